import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal } from '../auth/decorators';
import type { Principal } from '../auth/principal';
import { InvalidRequest } from '../common/errors';
import { UuidPipe } from '../common/pipes';
import type { EventInput } from '../engine/engine.service';
import type { Verification } from '../history/hash-chain';
import { etag, expectedVersion, idempotencyKey } from './http-headers';
import {
  ProgrammesService,
  type HistoryItem,
  type Page,
  type WorkflowView,
} from './programmes.service';
import { AtQuery, PageQuery } from './query.dto';
import { instantOf } from './time';

@Controller('api/programmes/:id/workflow')
export class WorkflowController {
  constructor(private readonly programmes: ProgrammesService) {}

  @Get()
  async view(
    @Param('id', UuidPipe) id: string,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WorkflowView> {
    const view = await this.programmes.workflow(id, principal);
    void reply.header('etag', etag(view.version));
    return view;
  }

  /** Sends `{ type, ...payload }`; who may send what is the definition's to say. */
  @Post('events')
  @HttpCode(200)
  async send(
    @Param('id', UuidPipe) id: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WorkflowView> {
    const view = await this.programmes.send(id, eventOf(body), principal, {
      expectedVersion: expectedVersion(ifMatch),
      idempotencyKey: idempotencyKey(key),
    });
    void reply.header('etag', etag(view.version));
    return view;
  }

  @Get('history')
  history(
    @Param('id', UuidPipe) id: string,
    @Query() query: PageQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Page<HistoryItem>> {
    return this.programmes.history(id, principal, query);
  }

  @Get('verify')
  verify(
    @Param('id', UuidPipe) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Verification> {
    return this.programmes.verify(id, principal);
  }

  @Get('at')
  at(
    @Param('id', UuidPipe) id: string,
    @Query() query: AtQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<WorkflowView> {
    return this.programmes.at(id, principal, instantOf('time', query.time, 'endOfDay'));
  }
}

function eventOf(body: unknown): EventInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequest([
      {
        field: '',
        message: 'må være et JSON-objekt med type',
        messageEn: 'must be a JSON object with a type',
      },
    ]);
  }
  const type = (body as { type?: unknown }).type;
  if (typeof type !== 'string' || type.length === 0) {
    throw new InvalidRequest([
      {
        field: 'type',
        message: 'mangler eller er ikke tekst',
        messageEn: 'is missing or not a string',
      },
    ]);
  }
  return body as EventInput;
}
