import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import type { Principal } from '../auth/principal';
import { UuidPipe } from '../common/pipes';
import { idempotencyKey } from './http-headers';
import { CreateProgrammeDto, PatchProgrammeDto } from './programme.dto';
import { ProgrammesService, type Page, type ProgrammeView } from './programmes.service';
import { PageQuery } from './query.dto';

@Controller('api/programmes')
export class ProgrammesController {
  constructor(private readonly programmes: ProgrammesService) {}

  @Post()
  @Roles('admin')
  @HttpCode(201)
  async create(
    @Body() body: CreateProgrammeDto,
    @CurrentPrincipal() principal: Principal,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ProgrammeView> {
    const programme = await this.programmes.create(body, principal, idempotencyKey(key));
    void reply.header('location', `/api/programmes/${programme.id}`);
    return programme;
  }

  @Get()
  list(
    @Query() query: PageQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Page<ProgrammeView>> {
    return this.programmes.list(principal, query);
  }

  @Get(':id')
  get(
    @Param('id', UuidPipe) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ProgrammeView> {
    return this.programmes.get(id, principal);
  }

  @Patch(':id')
  @Roles('admin')
  patch(
    @Param('id', UuidPipe) id: string,
    @Body() body: PatchProgrammeDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ProgrammeView> {
    return this.programmes.patch(id, body, principal);
  }
}
