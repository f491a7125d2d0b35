import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { ROLES } from '../auth/principal';
import { schemaRef } from './refs';

/**
 * The response bodies of the API as OpenAPI 3.0 schemas. The services answer with TypeScript
 * interfaces (no runtime metadata), so their shapes are written out here; test/api/openapi.e2e.ts
 * checks real responses against them so that the two cannot drift apart unnoticed.
 */

type Schema = SchemaObject | ReferenceObject;

const string = (description?: string, extra: SchemaObject = {}): SchemaObject => ({
  type: 'string',
  ...(description ? { description } : {}),
  ...extra,
});
const day = (description: string): SchemaObject =>
  string(description, { format: 'date', example: '2027-03-15' });
const instant = (description: string): SchemaObject =>
  string(description, { format: 'date-time', example: '2026-03-02T08:00:00.000Z' });
const uuid = (description: string): SchemaObject => string(description, { format: 'uuid' });
const arrayOf = (items: Schema, description?: string): SchemaObject => ({
  type: 'array',
  items,
  ...(description ? { description } : {}),
});
const object = (
  properties: Record<string, Schema>,
  required: string[] = Object.keys(properties),
  extra: SchemaObject = {},
): SchemaObject => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
  ...extra,
});
/** A list page: `{ items, nextCursor }` (SPEC §4). */
const page = (item: string, description: string): SchemaObject =>
  object(
    {
      items: arrayOf(schemaRef(item)),
      nextCursor: string('Pass as `cursor` to get the next page; null on the last page.', {
        nullable: true,
      }),
    },
    ['items', 'nextCursor'],
    { description },
  );

const role: SchemaObject = string('A token role', { enum: [...ROLES] });
const programmeIds: SchemaObject = {
  ...arrayOf(uuid('A programme'), 'The programmes the token may see; null for all'),
  nullable: true,
};
/** A nullable reference: OpenAPI 3.0 applies `nullable` only next to `type`. */
const nullableRef = (name: string, description: string): SchemaObject => ({
  type: 'object',
  allOf: [schemaRef(name)],
  nullable: true,
  description,
});

export const staticSchemas: Record<string, SchemaObject> = {
  Text: object({ nb: string('Norwegian (bokmål)'), en: string('English') }, ['nb', 'en'], {
    description: 'User-facing text in Norwegian bokmål with English alongside.',
  }),
  FieldProblem: object(
    {
      field: string(
        'Dotted path of the field (`alternatives.0.title`); empty for the body itself.',
      ),
      message: string('What is wrong, in Norwegian'),
      messageEn: string('What is wrong, in English'),
    },
    undefined,
    { description: 'One problem with one field of a request body, query or header.' },
  ),
  Blocker: object(
    {
      guard: string('The name of the guard (rule) that blocks', {
        example: 'hasCompletedAllActivities',
      }),
      message: string('Why, in Norwegian', {
        example: 'Aktivitet F3 og F5 i forstudien er ikke fullført',
      }),
      messageEn: string('Why, in English', {
        example: 'Activities F3 and F5 of the pre-study are not completed',
      }),
    },
    undefined,
    { description: 'A rule that stops an event from being accepted now.' },
  ),
  Problem: object(
    {
      type: string('A URN naming the kind of problem', {
        example: 'urn:videreforing:problem:transition-blocked',
      }),
      title: string('Short English summary of the kind of problem'),
      status: { type: 'integer', description: 'The HTTP status code' },
      detail: string('What went wrong, in Norwegian (user-facing)'),
      instance: string('The request path'),
      errors: arrayOf(
        schemaRef('FieldProblem'),
        '400 invalid-request / invalid-event: every field problem',
      ),
      blockedBy: arrayOf(
        schemaRef('Blocker'),
        '409 transition-blocked: every guard that blocks the event, with its reason',
      ),
      state: string('409 transition-blocked: the state the instance is in'),
      event: string('409 transition-blocked: the event type that was refused'),
      currentVersion: {
        type: 'integer',
        description: '412 version-conflict: the version the instance has now',
      },
      roles: arrayOf(string(), '403 event-not-permitted: the roles that may send the event'),
    },
    ['type', 'title', 'status', 'detail'],
    {
      description:
        'RFC 9457 problem details (`application/problem+json`), the body of every error response.',
      additionalProperties: true,
    },
  ),
  Contact: object(
    {
      name: string(undefined, { example: 'Siri Sekretær' }),
      email: string(undefined, { format: 'email' }),
    },
    undefined,
    { description: 'A person to contact.' },
  ),
  BoardContact: object(
    {
      name: string(undefined, { example: 'Kari Nordmann' }),
      email: string(undefined, { format: 'email' }),
      role: string('Role on the board, e.g. «styreleder»'),
    },
    ['name', 'email'],
    { description: 'A member of the restructuring board (omstillingsstyret).' },
  ),
  NextDeadline: object(
    {
      kind: string('Kind of deadline (stable, English), e.g. `forstudieEnd`'),
      key: string('Unique within the instance'),
      due: day('Calendar day in Europe/Oslo'),
      overdue: { type: 'boolean', description: 'Not met and due before today (Europe/Oslo)' },
      label: schemaRef('Text'),
    },
    undefined,
    { description: 'The earliest open deadline of a programme.' },
  ),
  Programme: object(
    {
      id: uuid('The programme id'),
      municipality: string(undefined, { example: 'Nordkyn' }),
      municipalityNumber: string('Kommunenummer', { example: '5636' }),
      programmeStart: day('Start of the restructuring programme'),
      programmeEnd: day('End of the restructuring programme; deadlines follow it'),
      board: arrayOf(schemaRef('BoardContact')),
      administrators: arrayOf(schemaRef('Contact')),
      mayor: nullableRef('Contact', 'null when not given'),
      instanceId: uuid('The workflow instance that runs the programme'),
      phase: string('initiering, forstudie, forprosjekt, hovedprosjekt, etablert or avbrutt'),
      state: string('Dotted path of the active state', { example: 'forstudie.arbeid' }),
      status: string('Status of the workflow instance', { example: 'active' }),
      version: { type: 'integer', description: 'Version of the workflow instance' },
      nextDeadline: nullableRef(
        'NextDeadline',
        'The earliest open deadline; null when none is open',
      ),
      createdAt: instant('When the programme was created'),
      updatedAt: instant('When the programme was last changed'),
    },
    undefined,
    { description: 'A municipality’s restructuring programme with its current state.' },
  ),
  ProgrammePage: page('Programme', 'Programmes the token may see, oldest first.'),
  Deadline: object(
    {
      kind: string(
        'latestStart, forstudieEnd, forprosjektEnd, hovedprosjektEnd, reportDecision or tenderAnswer',
      ),
      key: string('Unique within the instance and stable while it is the same obligation'),
      label: schemaRef('Text'),
      due: day('Calendar day in Europe/Oslo'),
      met: { type: 'boolean' },
      overdue: { type: 'boolean', description: 'Not met and due before today (Europe/Oslo)' },
      recipients: arrayOf(string(), 'Who is told, as the definition names its recipient groups'),
      source: string('The rule the deadline comes from'),
    },
    undefined,
    { description: 'A deadline derived from the workflow’s state.' },
  ),
  NextEvent: object(
    {
      type: string('Event type', { example: 'report.submit' }),
      allowed: { type: 'boolean', description: 'Whether the event would be accepted now' },
      blockedBy: arrayOf(schemaRef('Blocker'), 'Every rule that blocks it; empty when allowed'),
      roles: arrayOf(string(), 'Roles that may send it'),
    },
    undefined,
    { description: 'An event the definition knows, and whether it may happen next.' },
  ),
  WorkflowView: object(
    {
      programmeId: uuid('The programme'),
      instanceId: uuid('The workflow instance'),
      definition: string('Workflow definition id', { example: 'videreforing' }),
      definitionVersion: string('Content version of the definition the instance runs'),
      phase: string('initiering, forstudie, forprosjekt, hovedprosjekt, etablert or avbrutt', {
        example: 'forstudie',
      }),
      state: string('Dotted path of the active state', { example: 'forstudie.arbeid' }),
      status: string('XState snapshot status: active, done, error or stopped', {
        example: 'active',
      }),
      version: {
        type: 'integer',
        description: 'Increases with every accepted event; also sent as the `ETag`',
        example: 7,
      },
      context: {
        type: 'object',
        additionalProperties: true,
        description: 'The workflow’s data, as the definition keeps it',
      },
      deadlines: arrayOf(schemaRef('Deadline')),
      nextEvents: arrayOf(schemaRef('NextEvent'), 'Every event type the definition knows'),
      updatedAt: instant('When the instance last changed'),
    },
    undefined,
    { description: 'Where a programme’s workflow is, what is due and what may happen next.' },
  ),
  HistoryEntry: object(
    {
      seq: { type: 'integer', description: '1 for the creation, then one more per entry' },
      kind: string('created, event or migrated', { enum: ['created', 'event', 'migrated'] }),
      at: instant('When the engine accepted it'),
      actor: object(
        {
          tokenId: string('Id of the token (or `env:ADMIN_TOKEN`)'),
          role: string('Role of the token'),
        },
        undefined,
        { description: 'Who sent it' },
      ),
      event: object(
        {
          type: string('Event type'),
          payload: { type: 'object', additionalProperties: true, description: 'The payload' },
        },
        undefined,
      ),
      from: string('State path before; null for the creation', { nullable: true }),
      to: string('State path after'),
      definitionVersion: string('Definition version the entry was applied with'),
      hash: string('sha256 of the canonical entry and prevHash (hex)'),
      prevHash: string('hash of the previous entry; 64 zeros for the first'),
    },
    undefined,
    { description: 'One accepted change, append-only and hash-chained.' },
  ),
  HistoryPage: page('HistoryEntry', 'History entries, oldest first.'),
  Verification: object(
    {
      valid: { type: 'boolean', description: 'Whether every entry holds' },
      entries: { type: 'integer', description: 'Number of entries checked' },
      brokenAt: object(
        {
          seq: { type: 'integer' },
          reason: string(undefined, { enum: ['altered', 'missing', 'reordered', 'truncated'] }),
          message: string(),
        },
        undefined,
        { description: 'The first entry that does not hold; absent when valid' },
      ),
    },
    ['valid', 'entries'],
    { description: 'The result of verifying the hash chain of a programme’s history.' },
  ),
  DeadlineItem: object(
    {
      programmeId: uuid('The programme'),
      municipality: string(),
      kind: string('Kind of deadline'),
      key: string('Unique within the instance'),
      label: schemaRef('Text'),
      due: day('Calendar day in Europe/Oslo'),
      met: { type: 'boolean' },
      overdue: { type: 'boolean' },
      recipients: arrayOf(string()),
    },
    undefined,
    { description: 'An open deadline of one programme.' },
  ),
  DeadlinePage: page('DeadlineItem', 'Open deadlines, earliest first.'),
  DefinitionSummary: object(
    {
      id: string('Definition id', { example: 'videreforing' }),
      version: string('Content version'),
      title: schemaRef('Text'),
      roles: arrayOf(string()),
      events: arrayOf(
        object({ type: string(), label: schemaRef('Text'), roles: arrayOf(string()) }),
      ),
      states: arrayOf(object({ path: string(), label: schemaRef('Text') })),
      guards: arrayOf(
        object({
          name: string(),
          label: schemaRef('Text'),
          source: string('The rule in the seed or SPEC the guard enforces'),
        }),
      ),
    },
    undefined,
    { description: 'A workflow definition: its events, states and guards.' },
  ),
  DefinitionPage: page('DefinitionSummary', 'Every definition the engine runs.'),
  CreatedToken: object(
    {
      id: uuid('Token id'),
      role,
      programmeIds,
      label: string(),
      token: string('The secret bearer token: shown this once, stored only as a hash', {
        example: 'vf_…',
      }),
    },
    undefined,
    { description: 'A new API token with its secret.' },
  ),
  TokenSummary: object(
    {
      id: uuid('Token id'),
      role,
      programmeIds,
      label: string(),
      createdAt: instant('When it was created'),
      createdBy: string('Id of the token that created it'),
      revokedAt: string('When it was revoked; null while active', {
        format: 'date-time',
        nullable: true,
      }),
    },
    undefined,
    { description: 'An API token (without its secret).' },
  ),
  TokenPage: page('TokenSummary', 'Every token, oldest first, revoked ones included.'),
  Health: object(
    {
      status: string(undefined, { enum: ['ok', 'unavailable'] }),
      database: object({ dialect: string('sqlite or postgresql'), up: { type: 'boolean' } }),
      mail: object(
        {
          transport: string('smtp, or eml: files in the data folder', { enum: ['smtp', 'eml'] }),
          target: string('The SMTP server (without password) or the folder'),
        },
        undefined,
        { description: 'Where e-mail goes' },
      ),
    },
    undefined,
    { description: 'Liveness and readiness.' },
  ),
};
