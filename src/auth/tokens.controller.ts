import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
} from '@nestjs/common';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
} from 'class-validator';
import { IsSingleLine } from '../../workflows/kit';
import { UnknownToken } from '../common/errors';
import { CurrentPrincipal, Roles } from './decorators';
import { ROLES, type Principal, type Role } from './principal';
import { TokensService, type CreatedToken, type TokenSummary } from './tokens.service';

export class CreateTokenDto {
  @IsString() @IsIn(ROLES) role!: Role;
  @IsString() @IsNotEmpty() @MaxLength(200) @IsSingleLine() label!: string;
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('4', { each: true })
  @Type(() => String)
  programmeIds?: string[];
}

@Controller('api/tokens')
@Roles('admin')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  /** Creates a token; the secret is in the response this once. */
  @Post()
  create(
    @Body() body: CreateTokenDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CreatedToken> {
    return this.tokens.create(body, principal.tokenId);
  }

  @Get()
  async list(): Promise<{ items: TokenSummary[]; nextCursor: null }> {
    return { items: await this.tokens.list(), nextCursor: null };
  }

  @Delete(':id')
  @HttpCode(204)
  async revoke(@Param('id', new ParseUUIDPipe({ version: '4' })) id: string): Promise<void> {
    if (!(await this.tokens.revoke(id))) throw new UnknownToken(id);
  }
}
