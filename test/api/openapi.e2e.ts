import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getMetadataStorage, ValidationTypes } from 'class-validator';
import { validatePayload } from '../../workflows/kit';
import { videreforing } from '../../workflows/videreforing';
import { payloadClasses } from '../../workflows/videreforing/payloads';
import type { VidereforingEventType } from '../../workflows/videreforing/types';
import { CreateTokenDto } from '../../src/auth/tokens.controller';
import { ROLES, type Role } from '../../src/auth/principal';
import { eventExamples, moreEventExamples } from '../../src/docs/examples';
import { buildOpenApiDocument } from '../../src/docs/openapi';
import {
  BoardMemberDto,
  ContactDto,
  CreateProgrammeDto,
  PatchProgrammeDto,
} from '../../src/programmes/programme.dto';
import { AtQuery, DeadlinesQuery, PageQuery } from '../../src/programmes/query.dto';
import { programmeBody, useHttpApp, type ApiResponse } from '../support/http-harness';

/**
 * The OpenAPI document (GET /docs-json) and UI (GET /docs): valid, complete, and true. Every
 * response this file gets from the server is checked against what the document says about it.
 */

const h = useHttpApp('sqlite');

type Json = any;
type Who = 'public' | Role[];
const ALL: Role[] = [...ROLES];

/** Every route of the application (SPEC §4, as far as the app has them) and who may call it. */
const EXPECTED_ROUTES: Record<string, Who> = {
  'POST /api/programmes': ['admin'],
  'GET /api/programmes': ALL,
  'GET /api/programmes/{id}': ALL,
  'PATCH /api/programmes/{id}': ['admin'],
  'GET /api/programmes/{id}/workflow': ALL,
  'POST /api/programmes/{id}/workflow/events': ALL,
  'GET /api/programmes/{id}/workflow/history': ALL,
  'GET /api/programmes/{id}/workflow/verify': ALL,
  'GET /api/programmes/{id}/workflow/at': ALL,
  'GET /api/programmes/{id}/workflow/graph': ALL,
  'GET /api/programmes/{id}/calendar.ics': ALL,
  'GET /api/definitions': ALL,
  'GET /api/definitions/{definitionId}': ALL,
  'GET /api/definitions/{definitionId}/graph': ALL,
  'GET /api/deadlines': ALL,
  'POST /api/reminders/run': ['admin'],
  'GET /api/reminders': ['admin', 'auditor'],
  'POST /api/tokens': ['admin'],
  'GET /api/tokens': ['admin'],
  'DELETE /api/tokens/{id}': ['admin'],
  'GET /health': 'public',
  'GET /docs': 'public',
  'GET /docs-json': 'public',
};

const SPEC_PROBLEM_STATUSES = [
  '400',
  '401',
  '403',
  '404',
  '409',
  '412',
  '413',
  '415',
  '422',
  '429',
];

let doc: Json;
const tokens = {} as Record<Role, string>;

beforeAll(async () => {
  const response = await h.request('GET', '/docs-json', { token: null });
  doc = response.body;
  for (const role of ROLES) tokens[role] = await h.token(role);
});

/**
 * `SwaggerParser.validate()` in a plain Node process: the parser loads an ES module
 * (@apidevtools/json-schema-ref-parser), which Node ≥ 20.19 can require but Jest's CommonJS
 * runtime cannot.
 */
async function swaggerParserValidate(
  document: unknown,
): Promise<{ valid: boolean; error: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'openapi-'));
  const file = join(dir, 'openapi.json');
  writeFileSync(file, JSON.stringify(document));
  const script = `require('@apidevtools/swagger-parser').validate(${JSON.stringify(file)}).then(
    () => process.exit(0),
    (error) => { console.error(error.message); process.exit(1); })`;
  try {
    return await new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['-e', script], { cwd: process.cwd() });
      let error = '';
      child.stderr.on('data', (chunk: Buffer) => (error += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ valid: code === 0, error }));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Many requests over real HTTP per test.
jest.setTimeout(120_000);

// ---- A small validator for the OpenAPI 3.0 schemas the document uses -------------------------

function resolve(schema: Json): Json {
  let current = schema;
  while (current && typeof current.$ref === 'string') {
    const name = current.$ref.replace('#/components/schemas/', '');
    current = doc.components.schemas[name];
    if (!current) throw new Error(`Unresolved ${schema.$ref}`);
  }
  return current;
}

/**
 * The problems of `value` against `schema`. With `closed`, an object schema that lists properties
 * and says nothing of others refuses undocumented ones (responses must not carry surprises).
 */
function problems(schema: Json, value: unknown, closed: boolean, path = '$'): string[] {
  const s = resolve(schema);
  if (value === null) return s.nullable ? [] : [`${path}: null`];
  const out: string[] = [];
  for (const part of s.allOf ?? []) out.push(...problems(part, value, closed, path));
  if (s.oneOf) {
    if (s.discriminator) {
      const tag = (value as Record<string, unknown>)[s.discriminator.propertyName];
      const target = s.discriminator.mapping?.[String(tag)];
      if (!target) out.push(`${path}: unknown ${s.discriminator.propertyName} ${String(tag)}`);
      else out.push(...problems({ $ref: target }, value, closed, path));
    } else {
      const matching = s.oneOf.filter((o: Json) => problems(o, value, closed, path).length === 0);
      if (matching.length !== 1) out.push(`${path}: matches ${matching.length} of oneOf`);
    }
  }
  if (s.enum && !s.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} not in enum`);
  switch (s.type) {
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value))
        return [...out, `${path}: not an object`];
      const record = value as Record<string, unknown>;
      for (const key of s.required ?? []) {
        if (!(key in record)) out.push(`${path}.${key}: missing`);
      }
      for (const [key, v] of Object.entries(record)) {
        const property = s.properties?.[key];
        if (property) out.push(...problems(property, v, closed, `${path}.${key}`));
        else if (
          s.additionalProperties === false ||
          (closed && s.properties && s.additionalProperties === undefined)
        )
          out.push(`${path}.${key}: not documented`);
      }
      break;
    }
    case 'array':
      if (!Array.isArray(value)) return [...out, `${path}: not an array`];
      if (s.minItems !== undefined && value.length < s.minItems) out.push(`${path}: too few`);
      if (s.maxItems !== undefined && value.length > s.maxItems) out.push(`${path}: too many`);
      value.forEach((item, i) => out.push(...problems(s.items, item, closed, `${path}[${i}]`)));
      break;
    case 'string':
      if (typeof value !== 'string') return [...out, `${path}: not a string`];
      if (s.pattern && !new RegExp(s.pattern, 'u').test(value)) out.push(`${path}: ≠ ${s.pattern}`);
      if (s.minLength !== undefined && value.length < s.minLength) out.push(`${path}: too short`);
      if (s.maxLength !== undefined && value.length > s.maxLength) out.push(`${path}: too long`);
      if (s.format === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(value))
        out.push(`${path}: not a date`);
      if (s.format === 'date-time' && Number.isNaN(Date.parse(value)))
        out.push(`${path}: not a date-time`);
      if (s.format === 'uuid' && !/^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(value))
        out.push(`${path}: not a uuid`);
      if (s.format === 'email' && !/^[^@\s]+@[^@\s]+$/.test(value))
        out.push(`${path}: not an e-mail`);
      break;
    case 'integer':
    case 'number':
      if (typeof value !== 'number' || (s.type === 'integer' && !Number.isInteger(value)))
        return [...out, `${path}: not ${s.type === 'integer' ? 'an integer' : 'a number'}`];
      if (s.minimum !== undefined && value < s.minimum) out.push(`${path}: below ${s.minimum}`);
      if (s.maximum !== undefined && value > s.maximum) out.push(`${path}: above ${s.maximum}`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') out.push(`${path}: not a boolean`);
      break;
    default:
      break;
  }
  return out;
}

function operation(method: string, template: string): Json {
  const op = doc.paths[template]?.[method.toLowerCase()];
  if (!op) throw new Error(`${method} ${template} is not in the document`);
  return op;
}

/** Fills `{id}`-style parameters of a path template. */
function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`No value for {${name}}`);
    return encodeURIComponent(value);
  });
}

/**
 * A request to a documented route; the answer's status must be documented for the operation and
 * its body must match the documented schema of its media type.
 */
async function call(
  method: string,
  template: string,
  options: {
    params?: Record<string, string>;
    query?: string;
    token?: string | null;
    body?: unknown;
    raw?: string;
    headers?: Record<string, string>;
  } = {},
): Promise<ApiResponse> {
  const path = fill(template, options.params ?? {}) + (options.query ? `?${options.query}` : '');
  const response = await h.request(method, path, {
    token: options.token === undefined ? tokens.admin : options.token,
    ...(options.body !== undefined ? { body: options.body } : {}),
    ...(options.raw !== undefined ? { raw: options.raw } : {}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
  expectDocumented(method, template, response);
  return response;
}

function expectDocumented(method: string, template: string, response: ApiResponse): void {
  const documented = operation(method, template).responses[String(response.status)];
  if (!documented) {
    throw new Error(
      `${method} ${template} answered ${response.status}, which is not documented: ${response.text.slice(0, 300)}`,
    );
  }
  const contentType = (response.headers.get('content-type') ?? '').split(';')[0]!.trim();
  if (!documented.content) {
    expect(response.text).toBe('');
    return;
  }
  const media = documented.content[contentType];
  if (!media) {
    throw new Error(
      `${method} ${template} ${response.status} answered ${contentType}; documented: ${Object.keys(documented.content).join(', ')}`,
    );
  }
  if (contentType.endsWith('json')) {
    const found = problems(media.schema, response.body, true);
    if (found.length > 0) {
      throw new Error(
        `${method} ${template} ${response.status} does not match its schema:\n${found.join('\n')}\n${response.text.slice(0, 500)}`,
      );
    }
  }
  for (const header of Object.keys(documented.headers ?? {})) {
    if (header !== 'Retry-After') expect(response.headers.get(header)).not.toBeNull();
  }
}

function routesOf(document: Json): string[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.keys(item as object)
      .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

function propertiesOf(cls: abstract new (...args: never[]) => unknown) {
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  const names = [...new Set(metadatas.map((m) => m.propertyName))];
  const optional = new Set(
    metadatas
      .filter((m) => m.type === ValidationTypes.CONDITIONAL_VALIDATION)
      .map((m) => m.propertyName),
  );
  return { names: names.sort(), required: names.filter((n) => !optional.has(n)).sort() };
}

// ---- The document ------------------------------------------------------------------------------

describe('GET /docs-json', () => {
  it('answers the OpenAPI document without a token', async () => {
    const response = await h.request('GET', '/docs-json', { token: null });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body.openapi).toBe('3.0.3');
    expect(response.body.info.title).toMatch(/Videreføring/);
    // The document the app builds is the one it serves.
    expect(response.body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument(h.app))));
  });

  it('is a valid OpenAPI document (SwaggerParser.validate)', async () => {
    expect(await swaggerParserValidate(doc)).toEqual({ valid: true, error: '' });
    // The check can fail: a dangling reference is found.
    const broken = structuredClone(doc);
    broken.components.schemas.Programme.properties.board.items = {
      $ref: '#/components/schemas/Missing',
    };
    expect((await swaggerParserValidate(broken)).valid).toBe(false);
  }, 30_000);

  it('has exactly the routes of the application, each with who may call it', () => {
    expect(routesOf(doc).sort()).toEqual(Object.keys(EXPECTED_ROUTES).sort());
    for (const [route, who] of Object.entries(EXPECTED_ROUTES)) {
      const [method, path] = route.split(' ') as [string, string];
      const op = operation(method, path);
      expect({ route, roles: op['x-roles'] }).toEqual({
        route,
        roles: who === 'public' ? [] : who,
      });
      if (who === 'public') expect(op.security ?? []).toEqual([]);
      else expect({ route, security: op.security }).toEqual({ route, security: [{ bearer: [] }] });
      expect({ route, summary: typeof op.summary }).toEqual({ route, summary: 'string' });
      expect(op.tags?.length).toBeGreaterThan(0);
    }
    const operationIds = routesOf(doc).map((r) => {
      const [method, path] = r.split(' ') as [string, string];
      return operation(method, path).operationId;
    });
    expect(new Set(operationIds).size).toBe(operationIds.length);
    expect(doc.components.securitySchemes.bearer).toEqual(
      expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    );
  });

  it('is checked by a validator that finds what is wrong', () => {
    const health = { $ref: '#/components/schemas/Health' };
    const valid = {
      status: 'ok',
      database: { dialect: 'sqlite', up: true },
      mail: { transport: 'eml', target: '/tmp' },
    };
    expect(problems(health, valid, true)).toEqual([]);
    expect(problems(health, { ...valid, extra: 1 }, true)).toEqual(['$.extra: not documented']);
    expect(problems(health, { ...valid, status: 'fine' }, true)).toEqual([
      '$.status: "fine" not in enum',
    ]);
    expect(problems(health, { status: 'ok', mail: valid.mail }, true)).toEqual([
      '$.database: missing',
    ]);
    const event = { $ref: '#/components/schemas/WorkflowEvent' };
    expect(problems(event, { type: 'cost.record', amountNok: 1.5 }, false)).toEqual(
      expect.arrayContaining(['$.amountNok: not an integer', '$.category: missing']),
    );
    expect(problems(event, { type: 'nope' }, false)).toEqual(['$: unknown type nope']);
  });

  it('documents success and the problem+json errors of every route (SPEC §4 status codes)', () => {
    const statuses = new Set<string>();
    for (const [route, who] of Object.entries(EXPECTED_ROUTES)) {
      const [method, path] = route.split(' ') as [string, string];
      const { responses, parameters = [], requestBody } = operation(method, path);
      const codes = Object.keys(responses);
      codes.forEach((c) => statuses.add(c));
      const success = codes.filter((c) => c.startsWith('2'));
      expect({ route, success: success.length }).toEqual({ route, success: 1 });
      const ok = responses[success[0]!];
      if (success[0] !== '204')
        expect({ route, content: Boolean(ok.content) }).toEqual({ route, content: true });
      // /health answers its own Health body with 503; every other error is problem+json.
      const problemCodes = codes.filter(
        (c) => c.startsWith('4') || (c === '503' && route !== 'GET /health'),
      );
      for (const code of problemCodes) {
        const media = responses[code].content?.['application/problem+json'];
        expect({ route, code, schema: media?.schema }).toEqual({
          route,
          code,
          schema: { $ref: '#/components/schemas/Problem' },
        });
        for (const example of Object.values<Json>(media.examples ?? {})) {
          expect(example.value.status).toBe(Number(code));
          expect(problems(media.schema, example.value, false)).toEqual([]);
        }
      }
      const expected = ['429', '503'];
      if (who !== 'public') expected.push('401');
      if (who !== 'public' && who.length < ROLES.length) expected.push('403');
      // Query parameters, UUID ids and bodies are validated.
      if (parameters.some((p: Json) => p.in === 'query') || path.includes('{id}'))
        expected.push('400');
      if (path.includes('{id}')) expected.push('404');
      if (requestBody) expected.push('400', '413', '415');
      if (parameters.some((p: Json) => p.name === 'idempotency-key')) expected.push('409', '422');
      if (parameters.some((p: Json) => p.name === 'if-match')) expected.push('412');
      if (path.startsWith('/docs')) expected.length = 0;
      for (const code of expected)
        expect({ route, [code]: codes.includes(code) }).toEqual({ route, [code]: true });
      for (const p of parameters.filter((p: Json) => p.in === 'path'))
        expect(p.required).toBe(true);
      if (responses['429']) expect(responses['429'].headers['Retry-After']).toBeDefined();
      if (responses['503'] && route !== 'GET /health')
        expect(responses['503'].headers['Retry-After']).toBeDefined();
    }
    for (const code of SPEC_PROBLEM_STATUSES) expect(statuses).toContain(code);
  });

  it('documents the headers: Authorization (bearer), Idempotency-Key, If-Match, ETag, Location', () => {
    const events = operation('POST', '/api/programmes/{id}/workflow/events');
    const headers = events.parameters.filter((p: Json) => p.in === 'header');
    expect(headers.map((p: Json) => p.name.toLowerCase()).sort()).toEqual([
      'idempotency-key',
      'if-match',
    ]);
    expect(headers.every((p: Json) => p.required === false && p.description)).toBe(true);
    expect(events.responses['200'].headers.ETag).toBeDefined();
    expect(
      events.responses['409'].content['application/problem+json'].examples['transition-blocked']
        .value.blockedBy,
    ).toEqual([
      expect.objectContaining({ guard: expect.any(String), message: expect.any(String) }),
    ]);
    expect(doc.components.schemas.Problem.properties.blockedBy.items).toEqual({
      $ref: '#/components/schemas/Blocker',
    });
    expect(
      operation('GET', '/api/programmes/{id}/workflow').responses['200'].headers.ETag,
    ).toBeDefined();
    const create = operation('POST', '/api/programmes');
    expect(create.parameters.map((p: Json) => p.name)).toContain('idempotency-key');
    expect(create.responses['201'].headers.Location).toBeDefined();
  });

  it('documents the request bodies and queries with the fields the validation accepts', () => {
    const body = (method: string, path: string) =>
      operation(method, path).requestBody.content['application/json'].schema.$ref.split('/').pop();
    expect(body('POST', '/api/programmes')).toBe('CreateProgrammeDto');
    expect(body('PATCH', '/api/programmes/{id}')).toBe('PatchProgrammeDto');
    expect(body('POST', '/api/tokens')).toBe('CreateTokenDto');
    expect(body('POST', '/api/programmes/{id}/workflow/events')).toBe('WorkflowEvent');
    const dtos = {
      CreateProgrammeDto,
      PatchProgrammeDto,
      ContactDto,
      BoardMemberDto,
      CreateTokenDto,
    };
    for (const [name, cls] of Object.entries(dtos)) {
      const schema = doc.components.schemas[name];
      const { names, required } = propertiesOf(cls);
      expect({ name, properties: Object.keys(schema.properties).sort() }).toEqual({
        name,
        properties: names,
      });
      expect({ name, required: [...(schema.required ?? [])].sort() }).toEqual({ name, required });
      expect({ name, closed: schema.additionalProperties }).toEqual({ name, closed: false });
    }
    const query = (method: string, path: string) =>
      operation(method, path)
        .parameters.filter((p: Json) => p.in === 'query')
        .map((p: Json) => p.name)
        .sort();
    expect(query('GET', '/api/programmes')).toEqual(propertiesOf(PageQuery).names);
    expect(query('GET', '/api/programmes/{id}/workflow/history')).toEqual(
      propertiesOf(PageQuery).names,
    );
    expect(query('GET', '/api/deadlines')).toEqual(propertiesOf(DeadlinesQuery).names);
    expect(query('GET', '/api/programmes/{id}/workflow/at')).toEqual(propertiesOf(AtQuery).names);
    // A valid programme body, as the SPEC gives it, matches the schema.
    expect(
      problems({ $ref: '#/components/schemas/CreateProgrammeDto' }, programmeBody(), false),
    ).toEqual([]);
  });

  it('requires a token exactly where the document says, and the roles it names', async () => {
    const params = { id: '3f2c1d7e-6a0b-4c1e-9f5d-2b8a7c6d5e4f', definitionId: 'videreforing' };
    for (const [route, who] of Object.entries(EXPECTED_ROUTES)) {
      const [method, path] = route.split(' ') as [string, string];
      const url = fill(path, params) + (path.endsWith('/at') ? '?time=2026-01-01' : '');
      const anonymous = await h.request(method, url, { token: null });
      expect({ route, unauthenticated: anonymous.status === 401 }).toEqual({
        route,
        unauthenticated: who !== 'public',
      });
      if (who === 'public') continue;
      for (const role of ROLES) {
        const answer = await h.request(method, url, { token: tokens[role] });
        expect({ route, role, forbidden: answer.status === 403 }).toEqual({
          route,
          role,
          forbidden: !who.includes(role),
        });
      }
    }
  });
});

// ---- The events ---------------------------------------------------------------------------------

describe('event payloads', () => {
  const types = Object.keys(videreforing.events) as VidereforingEventType[];

  it('are a oneOf discriminated by type, one schema with an example per event type', () => {
    const workflowEvent = doc.components.schemas.WorkflowEvent;
    expect(workflowEvent.discriminator.propertyName).toBe('type');
    expect(Object.keys(workflowEvent.discriminator.mapping).sort()).toEqual([...types].sort());
    expect(workflowEvent.oneOf.map((r: Json) => r.$ref).sort()).toEqual(
      Object.values(workflowEvent.discriminator.mapping).sort(),
    );
    const bodyExamples = operation('POST', '/api/programmes/{id}/workflow/events').requestBody
      .content['application/json'].examples;
    for (const type of types) {
      const schema = resolve({ $ref: workflowEvent.discriminator.mapping[type] });
      expect({ type, enum: schema.properties.type.enum }).toEqual({ type, enum: [type] });
      expect(schema.required).toContain('type');
      expect(schema.additionalProperties).toBe(false);
      expect({ type, roles: schema['x-roles'] }).toEqual({
        type,
        roles: videreforing.events[type]!.roles,
      });
      expect(schema.example?.type).toBe(type);
      expect({ type, problems: problems(workflowEvent, schema.example, false) }).toEqual({
        type,
        problems: [],
      });
      expect(bodyExamples[type].value).toEqual(schema.example);
    }
  });

  it('say what the validation says: every example is valid, required fields are required', () => {
    const workflowEvent = doc.components.schemas.WorkflowEvent;
    const all = [
      ...types.map((type) => [type, eventExamples[type]] as const),
      ...Object.entries(moreEventExamples).flatMap(([type, more]) =>
        (more ?? []).map((m) => [type as VidereforingEventType, m.payload] as const),
      ),
    ];
    for (const [type, payload] of all) {
      expect({ type, result: validatePayload(payloadClasses[type], payload) }).toEqual({
        type,
        result: expect.objectContaining({ ok: true }),
      });
      const schema = resolve({ $ref: workflowEvent.discriminator.mapping[type] });
      for (const field of Object.keys(payload)) {
        const without: Record<string, unknown> = { ...payload };
        delete without[field];
        const valid = validatePayload(payloadClasses[type], without).ok;
        const documentedValid = problems(schema, { type, ...without }, false).length === 0;
        expect({ type, field, required: schema.required.includes(field) }).toEqual({
          type,
          field,
          required: !documentedValid,
        });
        expect({ type, field, valid }).toEqual({ type, field, valid: documentedValid });
      }
      const extra = { ...payload, unknownField: 1 };
      expect(validatePayload(payloadClasses[type], extra).ok).toBe(false);
      expect(problems(schema, { type, ...extra }, false)).not.toEqual([]);
    }
  });

  it('every example is accepted by the server, each sent by the role it names', async () => {
    const leastRole = (type: VidereforingEventType): Role => {
      const roles = videreforing.events[type]!.roles as Role[];
      return roles.find((r) => r !== 'admin') ?? 'admin';
    };
    const sent = new Set<string>();
    const events = '/api/programmes/{id}/workflow/events';
    const create = await call('POST', '/api/programmes', { body: programmeBody() });
    expect(create.status).toBe(201);
    const id: string = create.body.id;

    const send = async (type: VidereforingEventType, payload: object = eventExamples[type]) => {
      const response = await call('POST', events, {
        params: { id },
        token: tokens[leastRole(type)],
        body: { type, ...payload },
      });
      if (response.status !== 200) {
        throw new Error(`${type} → ${response.status}: ${response.text.slice(0, 500)}`);
      }
      sent.add(type);
      return response;
    };
    const complete = async (ids: string[]) => {
      for (const activityId of ids) {
        await call('POST', events, {
          params: { id },
          token: tokens.projectLeader,
          body: { type: 'activity.complete', activityId },
        });
      }
    };

    await send('roles.assign');
    await send('tender.publish');
    await send('contract.award');
    await send('forstudie.start');
    await send('cost.record');
    await send('funding.apply');
    await send('activity.complete');
    await send('activity.reopen');
    await complete(['F1', 'F2', 'F3', 'F4', 'F5', 'F6']);
    await send('report.submit');
    await send('report.reject');
    await send('report.submit');
    await send('budgetOverrun.approve');
    await send('report.approve');
    await send('forprosjekt.start');
    await complete(['P1', 'P2', 'P3', 'P4', 'P5', 'P6', 'P7', 'P8']);
    await send('report.submit', moreEventExamples['report.submit']![0]!.payload);
    await send('report.approve', {});
    await send('hovedprosjekt.start');
    await complete(['H1', 'H2', 'H3', 'H4', 'H5']);
    await send('company.register');
    await send('board.elect');
    await send('programme.reschedule');
    const done = await send('hovedprosjekt.complete');
    expect(done.body.phase).toBe('etablert');

    const other = await call('POST', '/api/programmes', { body: programmeBody() });
    // Roles not named in `x-roles` are refused, whatever the state.
    for (const type of types) {
      const allowed = videreforing.events[type]!.roles;
      for (const role of ROLES.filter((r) => !allowed.includes(r))) {
        const refused = await call('POST', events, {
          params: { id: other.body.id },
          token: tokens[role],
          body: { type, ...eventExamples[type] },
        });
        expect({ type, role, status: refused.status }).toEqual({ type, role, status: 403 });
      }
    }
    const cancelled = await call('POST', events, {
      params: { id: other.body.id },
      body: { type: 'workflow.cancel', ...eventExamples['workflow.cancel'] },
    });
    expect(cancelled.body.phase).toBe('avbrutt');
    sent.add('workflow.cancel');

    expect([...sent].sort()).toEqual([...types].sort());
  });
});

// ---- The responses the server gives are the ones documented -----------------------------------

describe('responses match the document', () => {
  it('programmes, workflow, history, verify, at, deadlines, calendar', async () => {
    const created = await call('POST', '/api/programmes', {
      body: programmeBody({ municipality: 'Vardø' }),
      headers: { 'idempotency-key': 'openapi-create-1' },
    });
    expect(created.status).toBe(201);
    const id: string = created.body.id;
    const params = { id };
    await call('GET', '/api/programmes', { query: 'limit=1' });
    await call('GET', '/api/programmes/{id}', { params });
    await call('PATCH', '/api/programmes/{id}', {
      params,
      body: { programmeEnd: '2029-06-30', mayor: null, reason: 'Forlenget' },
    });
    const view = await call('GET', '/api/programmes/{id}/workflow', { params });
    expect(view.headers.get('etag')).toBe(`"${view.body.version}"`);
    const events = '/api/programmes/{id}/workflow/events';
    const accepted = await call('POST', events, {
      params,
      body: { type: 'roles.assign', ...eventExamples['roles.assign'] },
      headers: { 'if-match': view.headers.get('etag')!, 'idempotency-key': 'openapi-event-1' },
    });
    expect(accepted.status).toBe(200);
    await call('GET', '/api/programmes/{id}/workflow/history', { params, query: 'limit=2' });
    await call('GET', '/api/programmes/{id}/workflow/verify', { params });
    await call('GET', '/api/programmes/{id}/workflow/at', { params, query: 'time=2026-03-02' });
    await call('GET', '/api/deadlines', { query: 'before=2030-01-01' });
    const ics = await call('GET', '/api/programmes/{id}/calendar.ics', { params });
    expect(ics.text).toContain('BEGIN:VCALENDAR');
    await call('GET', '/api/programmes/{id}/workflow/graph', { params });
    await call('GET', '/api/programmes/{id}/workflow/graph', { params, query: 'format=dot' });
  });

  it('definitions, tokens, reminders, health', async () => {
    await call('GET', '/api/definitions');
    await call('GET', '/api/definitions/{definitionId}', {
      params: { definitionId: 'videreforing' },
    });
    const token = await call('POST', '/api/tokens', {
      body: { role: 'auditor', label: 'Revisor' },
    });
    expect(token.status).toBe(201);
    await call('GET', '/api/tokens');
    expect(
      (await call('DELETE', '/api/tokens/{id}', { params: { id: token.body.id } })).status,
    ).toBe(204);
    await call('POST', '/api/reminders/run');
    await call('GET', '/api/reminders', { query: 'status=pending' });
    await call('GET', '/health', { token: null });
  });

  it('every problem status of the events route, as problem+json', async () => {
    const programme = await call('POST', '/api/programmes', { body: programmeBody() });
    const params = { id: programme.body.id };
    const events = '/api/programmes/{id}/workflow/events';
    const send = (options: Parameters<typeof call>[2]) =>
      call('POST', events, { params, ...options });
    const statusOf = async (options: Parameters<typeof call>[2]) => (await send(options)).status;

    expect(await statusOf({ body: { type: 'cost.record', amountNok: 'mye' } })).toBe(400);
    expect(await statusOf({ body: { type: 'report.send' } })).toBe(400);
    expect(
      await statusOf({ raw: '{"type":', headers: { 'content-type': 'application/json' } }),
    ).toBe(400);
    expect(await statusOf({ token: null, body: { type: 'forstudie.start' } })).toBe(401);
    expect(await statusOf({ token: tokens.auditor, body: { type: 'forstudie.start' } })).toBe(403);
    expect(
      await statusOf({
        params: { id: '3f2c1d7e-6a0b-4c1e-9f5d-2b8a7c6d5e4f' },
        body: { type: 'forstudie.start' },
      }),
    ).toBe(404);
    const blocked = await send({ body: { type: 'hovedprosjekt.complete' } });
    expect(blocked.status).toBe(409);
    expect(blocked.body.blockedBy.length).toBeGreaterThan(0);
    expect(
      await statusOf({ body: { type: 'forstudie.start' }, headers: { 'if-match': '"999"' } }),
    ).toBe(412);
    expect(
      await statusOf({
        raw: JSON.stringify({ type: 'x', pad: 'x'.repeat(300_000) }),
        headers: { 'content-type': 'application/json' },
      }),
    ).toBe(413);
    expect(
      await statusOf({ raw: 'type=forstudie.start', headers: { 'content-type': 'text/plain' } }),
    ).toBe(415);
    const key = { 'idempotency-key': 'openapi-problem-1' };
    expect(await statusOf({ body: { type: 'workflow.cancel', reason: 'a' }, headers: key })).toBe(
      200,
    );
    expect(await statusOf({ body: { type: 'workflow.cancel', reason: 'b' }, headers: key })).toBe(
      422,
    );
    // The period cannot change once the workflow has ended.
    expect(
      (
        await call('PATCH', '/api/programmes/{id}', {
          params,
          body: { programmeEnd: '2029-12-31' },
        })
      ).status,
    ).toBe(409);
  });
});

// ---- The UI -------------------------------------------------------------------------------------

describe('GET /docs', () => {
  it('serves the UI without a token, with local assets only', async () => {
    const page = await h.request('GET', '/docs', { token: null });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const assets = [
      ...page.text.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)=["']([^"']+)["']/gi),
    ].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    const base = `${h.url}/docs`;
    for (const asset of assets) {
      expect(asset).not.toMatch(/^(https?:)?\/\//i);
      const url = new URL(asset, base);
      expect(url.origin).toBe(h.url);
      const response = await fetch(url);
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }
    expect(assets.some((a) => a.endsWith('swagger-ui-bundle.js'))).toBe(true);
    const init = await fetch(
      new URL(
        assets.find((a) => a.endsWith('swagger-ui-init.js'))!,
        base,
      ),
    );
    const script = await init.text();
    // The document is embedded, and the UI does not call the public validator.
    expect(script).toContain('"WorkflowEvent"');
    expect(script).toMatch(/"validatorUrl":\s*null/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
  });
});
