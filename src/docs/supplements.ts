import type {
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  ReferenceObject,
  ResponsesObject,
  SchemaObject,
} from '@nestjs/swagger';
import { ROLES } from '../auth/principal';
import { problemResponse, type ProblemOptions, type ProblemStatus } from './decorators';
import { BEARER, schemaRef } from './refs';

/**
 * Documentation for routes whose controllers do not carry the docs decorators (src/reminders).
 * Applied only to operations without `x-roles`, i.e. not documented at the controller: once a
 * controller is decorated, its entry here is no longer used and can go.
 */
interface Supplement {
  tag: string;
  summary: string;
  description?: string;
  /** Who may call it; `null` for everyone without a token. */
  roles: readonly string[] | null;
  success: ResponsesObject;
  problems: ProblemStatus[];
  /** Where a problem means something particular on the route. */
  problemOptions?: Partial<Record<ProblemStatus, ProblemOptions>>;
  parameters?: ParameterObject[];
}

const json = (schema: SchemaObject | ReferenceObject) => ({
  content: { 'application/json': { schema } },
});

const GRAPH_FORMAT: ParameterObject = {
  name: 'format',
  in: 'query',
  required: false,
  description: 'json (default), dot (Graphviz), mermaid or svg',
  schema: { type: 'string', enum: ['json', 'dot', 'mermaid', 'svg'] },
};

const GRAPH_CONTENT = {
  'application/json': { schema: schemaRef('StateGraph') },
  'text/vnd.graphviz': { schema: { type: 'string' } },
  'text/vnd.mermaid': { schema: { type: 'string' } },
  'image/svg+xml': { schema: { type: 'string' } },
};

const SUPPLEMENTS: Record<string, Supplement> = {
  'get /api/definitions/{definitionId}/graph': {
    tag: 'definitions',
    summary: 'The state graph of a definition',
    description: 'Every state and transition with its guards, as JSON, DOT, Mermaid or SVG.',
    roles: [...ROLES],
    success: {
      '200': { description: 'The graph in the format asked for', content: GRAPH_CONTENT },
    },
    problems: [400, 401, 404, 429, 503],
    problemOptions: { 404: { description: 'Unknown definition', cases: ['unknown-definition'] } },
    parameters: [
      {
        name: 'definitionId',
        in: 'path',
        required: true,
        schema: { type: 'string' },
        example: 'videreforing',
      },
      GRAPH_FORMAT,
    ],
  },
  'get /api/programmes/{id}/workflow/graph': {
    tag: 'workflow',
    summary: 'The state graph of a programme’s workflow',
    description:
      'The definition’s graph with the current state and the path taken (who, when) highlighted.',
    roles: [...ROLES],
    success: {
      '200': { description: 'The graph in the format asked for', content: GRAPH_CONTENT },
    },
    problems: [400, 401, 404, 429, 503],
    parameters: [
      {
        name: 'id',
        in: 'path',
        required: true,
        description: 'The programme id',
        schema: { type: 'string', format: 'uuid' },
      },
      GRAPH_FORMAT,
    ],
  },

  'post /api/reminders/run': {
    tag: 'reminders',
    summary: 'Run the reminder sweep now',
    description:
      'The same code the cron job runs: queues the reminders that are due, then sends what is due in ' +
      'the outbox. Returns the counts.',
    roles: ['admin'],
    success: { '200': { description: 'The counts', ...json(schemaRef('ReminderRun')) } },
    problems: [401, 403, 429, 503],
  },
  'get /api/reminders': {
    tag: 'reminders',
    summary: 'The e-mail outbox',
    description:
      'Pending, sending, sent and failed mail, newest first, with attempts and last error.',
    roles: ['admin', 'auditor'],
    success: { '200': { description: 'A page of outbox mail', ...json(schemaRef('OutboxPage')) } },
    problems: [400, 401, 403, 429, 503],
    parameters: [
      {
        name: 'status',
        in: 'query',
        required: false,
        description: 'Only mail with this status',
        schema: { type: 'string', enum: ['pending', 'sending', 'sent', 'failed'] },
      },
    ],
  },
  'get /api/programmes/{id}/calendar.ics': {
    tag: 'programmes',
    summary: 'Every deadline of a programme as iCalendar events',
    description:
      'A calendar feed to subscribe to: the UIDs are stable, so changed deadlines update.',
    roles: [...ROLES],
    success: {
      '200': {
        description: 'An iCalendar (RFC 5545) document',
        content: { 'text/calendar': { schema: { type: 'string' } } },
      },
    },
    problems: [400, 401, 404, 429, 503],
    parameters: [
      {
        name: 'id',
        in: 'path',
        required: true,
        description: 'The programme id',
        schema: { type: 'string', format: 'uuid' },
      },
    ],
  },
};

export const supplementSchemas: Record<string, SchemaObject> = {
  ReminderRun: {
    type: 'object',
    description: 'What a reminder sweep did.',
    properties: {
      considered: { type: 'integer', description: 'Open deadlines looked at' },
      queued: { type: 'integer', description: 'New e-mails put in the outbox' },
      sent: { type: 'integer', description: 'E-mails sent' },
      failed: { type: 'integer', description: 'E-mails that failed for good' },
      retrying: { type: 'integer', description: 'E-mails that failed and will be retried' },
    },
    required: ['considered', 'queued', 'sent', 'failed', 'retrying'],
  },
  OutboxMail: {
    type: 'object',
    description: 'One e-mail in the outbox.',
    properties: {
      id: { type: 'string', format: 'uuid' },
      kind: { type: 'string', enum: ['reminder', 'notice'] },
      programmeId: { type: 'string', format: 'uuid', nullable: true },
      subject: { type: 'string' },
      recipients: { type: 'array', items: schemaRef('Contact') },
      status: { type: 'string', enum: ['pending', 'sending', 'sent', 'failed'] },
      attempts: { type: 'integer' },
      lastError: { type: 'string', nullable: true },
      nextAttemptAt: { type: 'string', format: 'date-time' },
      sentAt: { type: 'string', format: 'date-time', nullable: true },
      createdAt: { type: 'string', format: 'date-time' },
      messageId: { type: 'string' },
      dedupeKey: { type: 'string', description: 'Makes each e-mail be sent once' },
    },
    required: [
      'id',
      'kind',
      'programmeId',
      'subject',
      'recipients',
      'status',
      'attempts',
      'lastError',
      'nextAttemptAt',
      'sentAt',
      'createdAt',
      'messageId',
      'dedupeKey',
    ],
  },
  StateGraph: {
    type: 'object',
    description:
      'States (nodes) and transitions (edges) of a workflow, as src/inspection builds them.',
    additionalProperties: true,
  },
  OutboxPage: {
    type: 'object',
    description: 'Outbox mail, newest first.',
    properties: {
      items: { type: 'array', items: schemaRef('OutboxMail') },
      nextCursor: { type: 'string', nullable: true },
    },
    required: ['items', 'nextCursor'],
  },
};

export const supplementTags: [string, string][] = [
  ['reminders', 'Reminder e-mails and the outbox'],
];

/** Documents the operations the controllers leave undocumented, where this module knows them. */
export function applySupplements(document: OpenAPIObject): void {
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const operation: (OperationObject & { 'x-roles'?: unknown }) | undefined = item[method];
      const supplement = SUPPLEMENTS[`${method} ${path}`];
      if (!operation || !supplement || operation['x-roles'] !== undefined) continue;
      operation.tags = [supplement.tag];
      operation.summary = supplement.summary;
      if (supplement.description) operation.description = supplement.description;
      operation['x-roles'] = supplement.roles ? [...supplement.roles] : [];
      if (supplement.roles) operation.security = [{ [BEARER]: [] }];
      const problems = Object.fromEntries(
        supplement.problems.map((status) => [
          String(status),
          problemResponse(
            status,
            supplement.problemOptions?.[status] ??
              (status === 403
                ? { description: `Only ${supplement.roles?.join(', ')} may call this route` }
                : {}),
          ),
        ]),
      );
      operation.responses = { ...supplement.success, ...problems };
      const parameters = (operation.parameters ?? []).filter(
        (p): p is ParameterObject => !('$ref' in p),
      );
      for (const parameter of supplement.parameters ?? []) {
        const index = parameters.findIndex(
          (p) => p.name === parameter.name && p.in === parameter.in,
        );
        if (index >= 0) parameters[index] = { ...parameters[index], ...parameter };
        else parameters.push(parameter);
      }
      operation.parameters = parameters;
    }
  }
}
