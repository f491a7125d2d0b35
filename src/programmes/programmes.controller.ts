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
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, Roles } from '../auth/decorators';
import type { Principal } from '../auth/principal';
import { UuidPipe } from '../common/pipes';
import {
  ApiAuth,
  ApiIdempotencyKey,
  ApiJsonBodyProblems,
  ApiProblem,
  ApiProblems,
} from '../docs/decorators';
import { schemaRef } from '../docs/refs';
import { idempotencyKey } from './http-headers';
import { CreateProgrammeDto, PatchProgrammeDto } from './programme.dto';
import { ProgrammesService, type Page, type ProgrammeView } from './programmes.service';
import { PageQuery } from './query.dto';

const ApiProgrammeId = () =>
  ApiParam({ name: 'id', format: 'uuid', description: 'The programme id' });

@ApiTags('programmes')
@Controller('api/programmes')
export class ProgrammesController {
  constructor(private readonly programmes: ProgrammesService) {}

  @Post()
  @Roles('admin')
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create a programme and its workflow instance',
    description:
      'Starts the videreføring workflow in `initiering`; deadlines follow from the programme period.',
  })
  @ApiResponse({
    status: 201,
    description: 'The new programme',
    schema: schemaRef('Programme'),
    headers: {
      Location: { description: 'The programme’s URL', schema: { type: 'string' } },
    },
  })
  @ApiAuth(['admin'], {
    description:
      'Only admin may call this route, and only with a token for all programmes (a new programme ' +
      'would lie outside a bound token’s scope)',
    cases: ['forbidden', 'scope-too-narrow'],
  })
  @ApiProblems(400)
  @ApiJsonBodyProblems()
  @ApiIdempotencyKey()
  @ApiProblem(409, {
    description: 'A request with the same Idempotency-Key is still running',
    cases: ['idempotency-in-progress'],
  })
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
  @ApiOperation({
    summary: 'List programmes',
    description:
      'The programmes the token may see, oldest first, each with its current state and next deadline.',
  })
  @ApiResponse({
    status: 200,
    description: 'A page of programmes',
    schema: schemaRef('ProgrammePage'),
  })
  @ApiAuth()
  @ApiProblems(400)
  list(
    @Query() query: PageQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Page<ProgrammeView>> {
    return this.programmes.list(principal, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one programme' })
  @ApiProgrammeId()
  @ApiResponse({ status: 200, description: 'The programme', schema: schemaRef('Programme') })
  @ApiAuth()
  @ApiProblems(400, 404)
  get(
    @Param('id', UuidPipe) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ProgrammeView> {
    return this.programmes.get(id, principal);
  }

  @Patch(':id')
  @Roles('admin')
  @ApiOperation({
    summary: 'Change a programme',
    description:
      'Contacts, board members, the mayor (null removes) and the programme period. A new period is ' +
      'recorded in the history as a `programme.reschedule` event and the deadlines follow it.',
  })
  @ApiProgrammeId()
  @ApiResponse({
    status: 200,
    description: 'The changed programme',
    schema: schemaRef('Programme'),
  })
  @ApiAuth(['admin'])
  @ApiProblems(400, 404)
  @ApiJsonBodyProblems()
  @ApiProblem(409, {
    description:
      'The period cannot change in the workflow’s current state (e.g. when it has ended)',
    cases: ['transition-blocked'],
  })
  patch(
    @Param('id', UuidPipe) id: string,
    @Body() body: PatchProgrammeDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ProgrammeView> {
    return this.programmes.patch(id, body, principal);
  }
}
