import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal } from '../auth/decorators';
import type { Principal } from '../auth/principal';
import { InvalidRequest } from '../common/errors';
import { UuidPipe } from '../common/pipes';
import {
  ApiAuth,
  ApiIdempotencyKey,
  ApiIfMatch,
  ApiJsonBodyProblems,
  ApiProblem,
  ApiProblems,
  ETAG_HEADER,
} from '../docs/decorators';
import { WORKFLOW_EVENT } from '../docs/event-schemas';
import { eventBodyExamples } from '../docs/examples';
import { schemaRef } from '../docs/refs';
import type { EventInput } from '../engine/engine.service';
import { madeViewJson } from '../engine/view';
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

const ApiView = (description: string) =>
  ApiResponse({
    status: 200,
    description,
    schema: schemaRef('WorkflowView'),
    headers: ETAG_HEADER,
  });

@ApiTags('workflow')
@ApiParam({ name: 'id', format: 'uuid', description: 'The programme id' })
@Controller('api/programmes/:id/workflow')
export class WorkflowController {
  constructor(private readonly programmes: ProgrammesService) {}

  @Get()
  @ApiOperation({
    summary: 'The workflow view of a programme',
    description:
      'Where the workflow is (`phase`, `state`, `status`), its `version` (also the `ETag`), its data, ' +
      'its deadlines and every event type with whether it may happen next and what blocks it.',
  })
  @ApiView('The workflow view')
  @ApiAuth()
  @ApiProblems(400, 404)
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
  @ApiOperation({
    summary: 'Send an event',
    description:
      'Sends `{ "type": "…", ...payload }` (SPEC §4.2). The payload is validated first (400 naming each ' +
      'field), then the role (403: who may send which event is in each event schema’s `x-roles`), then ' +
      'the rules: an event that is not possible now is a 409 whose `blockedBy` names each rule and why. ' +
      'An accepted event answers with the new workflow view. `nextEvents` of the view tells in advance ' +
      'what is allowed.',
  })
  @ApiBody({
    description: 'The event: its `type` and its payload',
    schema: schemaRef(WORKFLOW_EVENT),
    examples: eventBodyExamples,
  })
  @ApiView('The event was accepted: the new workflow view')
  @ApiAuth()
  @ApiJsonBodyProblems()
  @ApiProblem(400, {
    description:
      'Malformed body, unknown event type or invalid payload: every field’s problem is listed in `errors`',
    cases: ['invalid-event', 'unknown-event-type', 'invalid-request', 'malformed-json'],
  })
  @ApiProblem(403, {
    description: 'The token’s role may not send this event type',
    cases: ['event-not-permitted'],
  })
  @ApiProblems(404)
  @ApiProblem(409, {
    description:
      'The event is not possible now: `blockedBy` names every rule that blocks it and why. Also: a ' +
      'request with the same Idempotency-Key is still running (no `blockedBy`).',
    cases: ['transition-blocked', 'idempotency-in-progress'],
  })
  @ApiIfMatch()
  @ApiIdempotencyKey()
  async send(
    @Param('id', UuidPipe) id: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
    @Headers('if-match') ifMatch: string | undefined,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<WorkflowView | string> {
    const view = await this.programmes.send(id, eventOf(body), principal, {
      expectedVersion: expectedVersion(ifMatch),
      idempotencyKey: idempotencyKey(key),
    });
    void reply.header('etag', etag(view.version));
    const text = madeViewJson(view);
    if (text === undefined) return view;
    // Already serialised for the idempotency record: sent as it is.
    void reply.type('application/json; charset=utf-8');
    return text;
  }

  @Get('history')
  @ApiOperation({
    summary: 'The history of a programme’s workflow',
    description:
      'One entry per accepted change, oldest first: who, when, the event and its payload, the state ' +
      'before and after, and the hash chain.',
  })
  @ApiResponse({
    status: 200,
    description: 'A page of history entries',
    schema: schemaRef('HistoryPage'),
  })
  @ApiAuth()
  @ApiProblems(400, 404)
  history(
    @Param('id', UuidPipe) id: string,
    @Query() query: PageQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Page<HistoryItem>> {
    return this.programmes.history(id, principal, query);
  }

  @Get('verify')
  @ApiOperation({
    summary: 'Verify the history’s hash chain',
    description: 'Reports the first entry that was altered, removed or reordered, if any.',
  })
  @ApiResponse({ status: 200, description: 'The verification', schema: schemaRef('Verification') })
  @ApiAuth()
  @ApiProblems(400, 404)
  verify(
    @Param('id', UuidPipe) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Verification> {
    return this.programmes.verify(id, principal);
  }

  @Get('at')
  @ApiOperation({
    summary: 'The workflow view as it was at a past time',
    description: 'A calendar date means the end of that day in Europe/Oslo.',
  })
  @ApiResponse({
    status: 200,
    description: 'The workflow view at that time',
    schema: schemaRef('WorkflowView'),
  })
  @ApiAuth()
  @ApiProblems(400)
  @ApiProblem(404, {
    description: 'Unknown programme, or it did not exist yet at that time',
    cases: ['unknown-programme', 'not-yet-created'],
  })
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
