import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import {
  ApiOperation,
  ApiParam,
  ApiProperty,
  ApiPropertyOptional,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
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
import { ScopeTooNarrow, UnknownToken } from '../common/errors';
import { UuidPipe } from '../common/pipes';
import { ApiAuth, ApiJsonBodyProblems, ApiProblem, ApiProblems } from '../docs/decorators';
import { schemaRef } from '../docs/refs';
import { CurrentPrincipal, Roles } from './decorators';
import { ROLES, type Principal, type Role } from './principal';
import { TokensService, type CreatedToken, type TokenSummary } from './tokens.service';

export class CreateTokenDto {
  @ApiProperty({ enum: ROLES, description: 'The role the token acts in', example: 'projectLeader' })
  @IsString()
  @IsIn(ROLES)
  role!: Role;
  @ApiProperty({
    minLength: 1,
    maxLength: 200,
    description: 'What the token is for (one line)',
    example: 'Prosjektleder Nordkyn',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @IsSingleLine()
  label!: string;
  @ApiPropertyOptional({
    type: [String],
    format: 'uuid',
    maxItems: 1000,
    description: 'The programmes the token may see; all when left out',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(1000)
  @IsUUID('4', { each: true })
  @Type(() => String)
  programmeIds?: string[];
}

@ApiTags('tokens')
@Controller('api/tokens')
@Roles('admin')
export class TokensController {
  constructor(private readonly tokens: TokensService) {}

  /** Creates a token; the secret is in the response this once. */
  @Post()
  @ApiOperation({
    summary: 'Create an API token',
    description: 'The secret `token` is in this response only; the server keeps a hash of it.',
  })
  @ApiResponse({ status: 201, description: 'The new token', schema: schemaRef('CreatedToken') })
  @ApiAuth(['admin'])
  @ApiProblems(400)
  @ApiJsonBodyProblems()
  create(
    @Body() body: CreateTokenDto,
    @CurrentPrincipal() principal: Principal,
  ): Promise<CreatedToken> {
    requireAllProgrammes(principal);
    return this.tokens.create(body, principal.tokenId);
  }

  @Get()
  @ApiOperation({ summary: 'List API tokens', description: 'Revoked ones included; no secrets.' })
  @ApiResponse({ status: 200, description: 'Every token', schema: schemaRef('TokenPage') })
  @ApiAuth(['admin'])
  async list(
    @CurrentPrincipal() principal: Principal,
  ): Promise<{ items: TokenSummary[]; nextCursor: null }> {
    requireAllProgrammes(principal);
    return { items: await this.tokens.list(), nextCursor: null };
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Revoke an API token' })
  @ApiParam({ name: 'id', format: 'uuid', description: 'The token id' })
  @ApiResponse({ status: 204, description: 'Revoked' })
  @ApiAuth(['admin'])
  @ApiProblem(400, { description: 'The id is not a UUID', cases: ['bad-request'] })
  @ApiProblem(404, {
    description: 'Unknown or already revoked token',
    cases: ['unknown-token'],
  })
  async revoke(
    @Param('id', UuidPipe) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<void> {
    requireAllProgrammes(principal);
    if (!(await this.tokens.revoke(id))) throw new UnknownToken(id);
  }
}

/** Tokens reach every programme: only an admin who sees them all may manage them. */
function requireAllProgrammes(principal: Principal): void {
  if (principal.programmeIds !== null) throw new ScopeTooNarrow('Å forvalte nøkler');
}
