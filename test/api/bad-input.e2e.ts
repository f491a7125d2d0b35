import { request as httpRequest } from 'node:http';
import { dialects } from '../support/databases';
import {
  ADMIN_TOKEN,
  programmeBody,
  useHttpApp,
  type ApiResponse,
  type HttpHarness,
} from '../support/http-harness';
import { payloads } from '../support/videreforing-driver';

/**
 * Bad requests over real HTTP: each one is answered with the right 4xx as problem+json, names the
 * field when a field is wrong (in Norwegian), leaks no stack trace or path, and changes nothing.
 */

jest.setTimeout(30_000);

const JSON_TYPE = { 'content-type': 'application/json' };
const BODY_LIMIT_BYTES = 262_144; // the default BODY_LIMIT_BYTES
const UNKNOWN_ID = '6f1c1d2e-9a4b-4c3d-8e5f-0a1b2c3d4e5f';
const NOT_UUIDS = ['not-a-uuid', '12345', `${UNKNOWN_ID}0`, '6f1c1d2e9a4b4c3d8e5f0a1b2c3d4e5f'];
/** What a leaked stack trace or server path looks like. */
const LEAK = /\bat \S+ \(|\.(?:ts|js):\d+|node_modules|\/work\/|\/home\/|\/tmp\/|"stack"/;
/** An English validator message where a Norwegian one belongs. */
const ENGLISH = /\b(?:must|should|property|expected|invalid)\b/i;

const cost = {
  type: 'cost.record',
  category: 'konsulenthonorar',
  amountNok: 25_000,
  date: '2026-03-01',
  description: 'Møte med konsulenten',
};
const funding = { type: 'funding.apply', amountNok: 10_000, appliedAt: '2026-03-01' };
const tender = { type: 'tender.publish', ...payloads.tender };
const rolesAssign = { type: 'roles.assign', ...payloads.internalRoles };

interface Expectation {
  status: number;
  /** The fields the problem must name (exactly these, in `errors[].field`). */
  fields?: string[];
}

/** Checks the problem+json shape of a refusal; the case label shows in a failure. */
function expectProblem(
  label: string,
  response: ApiResponse,
  { status, fields }: Expectation,
): void {
  const body = response.body as Record<string, unknown> | undefined;
  expect({
    case: label,
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: typeof body === 'object' && body !== null ? body : response.text,
  }).toEqual({
    case: label,
    status,
    contentType: expect.stringMatching(/^application\/problem\+json\b/),
    body: expect.objectContaining({
      type: expect.stringMatching(/\S/),
      title: expect.stringMatching(/\S/),
      status,
      detail: expect.stringMatching(/\S/),
    }),
  });
  expect({ case: label, leak: LEAK.exec(response.text)?.[0] ?? null }).toEqual({
    case: label,
    leak: null,
  });
  if (!fields) return;
  const errors = (body?.errors ?? []) as { field: string; message: string; messageEn?: string }[];
  expect({ case: label, fields: [...new Set(errors.map((e) => e.field))].sort() }).toEqual({
    case: label,
    fields: [...fields].sort(),
  });
  for (const error of errors) {
    expect({ case: label, field: error.field, message: error.message }).toEqual({
      case: label,
      field: error.field,
      message: expect.stringMatching(/\S/),
    });
    expect({ case: label, english: ENGLISH.exec(error.message)?.[0] ?? null }).toEqual({
      case: label,
      english: null,
    });
    if (error.messageEn !== undefined) expect(error.message).not.toBe(error.messageEn);
  }
}

/** A raw HTTP/1.1 request with a chunked body (no Content-Length for the server to check first). */
function chunkedPost(
  url: string,
  path: string,
  chunks: string[],
  headers: Record<string, string>,
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const request = httpRequest(
      `${url}${path}`,
      { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          settled = true;
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (typeof value === 'string') responseHeaders.set(name, value);
          }
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON
          }
          resolve({ status: response.statusCode ?? 0, headers: responseHeaders, body, text });
        });
      },
    );
    // The server may answer 413 and close before every chunk is written.
    request.on('error', (error) => {
      if (!settled) setTimeout(() => !settled && reject(error), 2000);
    });
    const writeAll = async () => {
      for (const chunk of chunks) {
        if (request.destroyed) return;
        if (!request.write(chunk)) await new Promise((r) => request.once('drain', r));
      }
      request.end();
    };
    void writeAll();
  });
}

/** Every key anywhere in a JSON value. */
function keysDeep(value: unknown, into: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) keysDeep(item, into);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      into.push(key);
      keysDeep(item, into);
    }
  }
  return into;
}

describe.each(dialects())('bad input is refused and changes nothing (%s)', (dialect) => {
  const h: HttpHarness = useHttpApp(dialect);
  let id: string;
  let events: string;

  beforeAll(async () => {
    const created = await h.request('POST', '/api/programmes', { body: programmeBody() });
    expect(created.status).toBe(201);
    id = created.body.id;
    events = `/api/programmes/${id}/workflow/events`;
  });

  /** Everything a refused request must leave as it was, read in one query. */
  async function snapshot() {
    const [row] = await h.sql<Record<string, unknown>>(
      `select
         (select count(*) from programme) as programmes,
         (select count(*) from workflow_instance) as instances,
         (select count(*) from history_entry) as history_entries,
         (select count(*) from idempotency_record) as idempotency_records,
         (select count(*) from deadline) as deadlines,
         (select count(*) from api_token) as tokens,
         (select count(*) from history_entry e join programme p on p.instance_id = e.instance_id
           where p.id = ?) as history_length,
         w.version, w.state, w.last_seq, w.head_hash, w.updated_at as workflow_updated_at,
         p.municipality, p.municipality_number, p.programme_start, p.programme_end,
         p.updated_at as programme_updated_at
       from programme p join workflow_instance w on w.id = p.instance_id
       where p.id = ?`,
      [id, id],
    );
    // PostgreSQL counts are bigint (strings); compare numbers.
    return Object.fromEntries(
      Object.entries(row!).map(([key, value]) => [
        key,
        typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value,
      ]),
    );
  }

  /** Sends one bad request and checks the refusal and that nothing changed. */
  async function refused(
    label: string,
    send: () => Promise<ApiResponse>,
    expectation: Expectation,
  ): Promise<ApiResponse> {
    const before = await snapshot();
    const response = await send();
    expectProblem(label, response, expectation);
    expect({ case: label, ...(await snapshot()) }).toEqual({ case: label, ...before });
    return response;
  }

  const postJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    h.request('POST', path, { body, headers });
  const postRaw = (path: string, raw: string, contentType = 'application/json') =>
    h.request('POST', path, { raw, headers: { 'content-type': contentType } });

  it('starts from a programme in initiering with one history entry', async () => {
    const start = await snapshot();
    expect(start).toMatchObject({
      programmes: 1,
      instances: 1,
      history_entries: 1,
      history_length: 1,
      version: 1,
      state: 'initiering.forberedelse',
    });
  });

  it('answers malformed JSON with 400', async () => {
    const bodies = [
      '{"municipality":',
      "{'municipality': 'Nordkyn'}",
      '{"municipality":"Nordkyn",}',
      '{"type":"roles.assign"}}',
      'not json at all',
      '',
    ];
    for (const raw of bodies) {
      await refused(
        `POST /api/programmes ${JSON.stringify(raw)}`,
        () => postRaw('/api/programmes', raw),
        { status: 400 },
      );
      await refused(`POST events ${JSON.stringify(raw)}`, () => postRaw(events, raw), {
        status: 400,
      });
      await refused(
        `PATCH ${JSON.stringify(raw)}`,
        () => h.request('PATCH', `/api/programmes/${id}`, { raw, headers: JSON_TYPE }),
        { status: 400 },
      );
    }
  });

  it('answers bodies that are not JSON with 415', async () => {
    const cases: [string, string][] = [
      ['text/plain', JSON.stringify(programmeBody())],
      ['text/plain; charset=utf-8', JSON.stringify(rolesAssign)],
      ['application/x-www-form-urlencoded', 'municipality=Nordkyn&municipalityNumber=5636'],
      ['application/xml', '<programme/>'],
    ];
    for (const [contentType, raw] of cases) {
      await refused(
        `POST /api/programmes as ${contentType}`,
        () => postRaw('/api/programmes', raw, contentType),
        { status: 415 },
      );
      await refused(`POST events as ${contentType}`, () => postRaw(events, raw, contentType), {
        status: 415,
      });
      await refused(
        `PATCH as ${contentType}`,
        () =>
          h.request('PATCH', `/api/programmes/${id}`, {
            raw: '{"municipality":"X"}',
            headers: { 'content-type': contentType },
          }),
        { status: 415 },
      );
    }
  });

  it('answers a body over the limit with 413, and one at the limit is read', async () => {
    const padded = (bytes: number) => {
      const base = JSON.stringify(programmeBody({ municipality: '' }));
      const text = JSON.stringify(
        programmeBody({ municipality: 'x'.repeat(bytes - Buffer.byteLength(base)) }),
      );
      expect(Buffer.byteLength(text)).toBe(bytes);
      return text;
    };
    await refused(
      'a body one byte over the limit',
      () => postRaw('/api/programmes', padded(BODY_LIMIT_BYTES + 1)),
      { status: 413 },
    );
    await refused(
      'an event over the limit',
      () => postRaw(events, JSON.stringify({ ...cost, description: 'x'.repeat(BODY_LIMIT_BYTES) })),
      { status: 413 },
    );
    // Exactly at the limit the body is parsed, and the field's length is what is wrong.
    await refused(
      'a body exactly at the limit',
      () => postRaw('/api/programmes', padded(BODY_LIMIT_BYTES)),
      { status: 400, fields: ['municipality'] },
    );
    // Without Content-Length the limit still holds while the body streams in.
    await refused(
      'a chunked body over the limit',
      () =>
        chunkedPost(
          h.url,
          '/api/programmes',
          ['{"municipality":"', ...Array.from({ length: 5 }, () => 'x'.repeat(65_536)), '"}'],
          { ...JSON_TYPE, authorization: `Bearer ${ADMIN_TOKEN}` },
        ),
      { status: 413 },
    );
  });

  it('answers JSON nested 10 000 levels deep with 400', async () => {
    const depth = 10_000;
    const cases: [string, string][] = [
      ['arrays', '['.repeat(depth) + ']'.repeat(depth)],
      ['objects', '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)],
      [
        'inside a valid field',
        JSON.stringify(programmeBody()).replace(
          '"board":',
          `"deep":${'['.repeat(depth)}${']'.repeat(depth)},"board":`,
        ),
      ],
      ['unbalanced', '['.repeat(depth)],
    ];
    for (const [label, raw] of cases) {
      await refused(`programme: ${label}`, () => postRaw('/api/programmes', raw), {
        status: 400,
      });
      await refused(`event: ${label}`, () => postRaw(events, raw), { status: 400 });
    }
  });

  it('answers a 1 MB string in a field with 413', async () => {
    const huge = 'x'.repeat(1_048_576);
    await refused(
      'programme municipality of 1 MB',
      () => postJson('/api/programmes', programmeBody({ municipality: huge })),
      { status: 413 },
    );
    await refused(
      'event description of 1 MB',
      () => postJson(events, { ...cost, description: huge }),
      {
        status: 413,
      },
    );
    await refused(
      'patch municipality of 1 MB',
      () => h.request('PATCH', `/api/programmes/${id}`, { body: { municipality: huge } }),
      { status: 413 },
    );
  });

  it('refuses __proto__ and constructor.prototype keys, at the top and nested, without pollution', async () => {
    const programme = JSON.stringify(programmeBody());
    const proto = '"__proto__":{"polluted":"yes","isAdmin":true}';
    const ctor = '"constructor":{"prototype":{"polluted":"yes","isAdmin":true}}';
    const cases: [string, string, string][] = [
      ['programme, __proto__ at the top', '/api/programmes', `{${proto},${programme.slice(1)}`],
      [
        'programme, constructor.prototype at the top',
        '/api/programmes',
        `{${ctor},${programme.slice(1)}`,
      ],
      [
        'programme, __proto__ in mayor',
        '/api/programmes',
        programme.replace('"mayor":{', `"mayor":{${proto},`),
      ],
      [
        'programme, constructor.prototype in board[0]',
        '/api/programmes',
        programme.replace('"board":[{', `"board":[{${ctor},`),
      ],
      [
        'programme, escaped \\u005f_proto__',
        '/api/programmes',
        `{"\\u005f_proto__":{"polluted":"yes"},${programme.slice(1)}`,
      ],
      ['programme, __proto__ alone', '/api/programmes', `{${proto}}`],
      ['event, __proto__ at the top', events, `{"type":"roles.assign",${proto}}`],
      ['event, constructor.prototype at the top', events, `{${ctor},"type":"cost.record"}`],
      [
        'event, __proto__ nested',
        events,
        JSON.stringify(rolesAssign).replace(
          '"prosjektansvarlig":{',
          `"prosjektansvarlig":{${proto},`,
        ),
      ],
      [
        'event, constructor.prototype nested',
        events,
        JSON.stringify(rolesAssign).replace('"prosjektleder":{', `"prosjektleder":{${ctor},`),
      ],
    ];
    for (const [label, path, raw] of cases) {
      await refused(label, () => postRaw(path, raw), { status: 400 });
    }
    await refused(
      'patch, __proto__ nested',
      () =>
        h.request('PATCH', `/api/programmes/${id}`, {
          raw: `{"mayor":{${proto},"name":"A","email":"a@example.no"}}`,
          headers: JSON_TYPE,
        }),
      { status: 400 },
    );

    // Nothing reached a prototype: not in this process (the server runs in it) ...
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('isAdmin');
    // ... and the server still works, and what it creates carries nothing injected.
    expect((await h.request('GET', '/health')).status).toBe(200);
    const created = await postJson('/api/programmes', programmeBody({ municipality: 'Lebesby' }));
    expect(created.status).toBe(201);
    expect(created.body.municipality).toBe('Lebesby');
    const fetched = await h.request('GET', `/api/programmes/${created.body.id}`);
    const workflow = await h.request('GET', `/api/programmes/${created.body.id}/workflow`);
    for (const response of [created, fetched, workflow]) {
      expect(response.text).not.toMatch(/polluted|isAdmin/);
      expect(keysDeep(response.body)).not.toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^(?:__proto__|constructor|prototype|polluted|isAdmin)$/),
        ]),
      );
    }
    expect(created.body.board).toEqual([
      { name: 'Kari Nordmann', email: 'kari@example.no', role: 'styreleder' },
    ]);
    expect(created.body.mayor).toEqual({
      name: 'Ola Ordfører',
      email: 'ordforer@nordkyn.kommune.no',
    });
  });

  it('names each unknown field on POST /api/programmes and on events', async () => {
    await refused(
      'programme with two unknown fields',
      () => postJson('/api/programmes', { ...programmeBody(), foo: 1, isAdmin: true }),
      { status: 400, fields: ['foo', 'isAdmin'] },
    );
    await refused(
      'programme with an unknown field in board[0] and mayor',
      () =>
        postJson(
          '/api/programmes',
          programmeBody({
            board: [{ name: 'Kari Nordmann', email: 'kari@example.no', phone: '99999999' }],
            mayor: { name: 'Ola', email: 'ola@example.no', title: 'ordfører' },
          }),
        ),
      { status: 400, fields: ['board.0.phone', 'mayor.title'] },
    );
    await refused('event with an unknown field', () => postJson(events, { ...funding, foo: 1 }), {
      status: 400,
      fields: ['foo'],
    });
    await refused(
      'event with unknown nested fields',
      () =>
        postJson(events, {
          ...rolesAssign,
          prosjektansvarlig: { ...payloads.internalRoles.prosjektansvarlig, phone: '99999999' },
          extra: true,
        }),
      { status: 400, fields: ['prosjektansvarlig.phone', 'extra'] },
    );
    await refused(
      'event with a field on an empty payload',
      () => postJson(events, { type: 'hovedprosjekt.start', force: true }),
      { status: 400, fields: ['force'] },
    );
    await refused(
      'event with the reserved meta field',
      () => postJson(events, { ...cost, meta: { at: '2020-01-01T00:00:00Z' } }),
      { status: 400, fields: ['meta'] },
    );
  });

  it('names each missing field on POST /api/programmes and on events', async () => {
    await refused('empty programme', () => postJson('/api/programmes', {}), {
      status: 400,
      fields: ['municipality', 'municipalityNumber', 'programmeStart', 'programmeEnd', 'board'],
    });
    const { municipality: _m, programmeEnd: _e, ...partial } = programmeBody();
    await refused(
      'programme without municipality and programmeEnd',
      () => postJson('/api/programmes', partial),
      { status: 400, fields: ['municipality', 'programmeEnd'] },
    );
    await refused(
      'board member without email',
      () => postJson('/api/programmes', programmeBody({ board: [{ name: 'Kari Nordmann' }] })),
      { status: 400, fields: ['board.0.email'] },
    );
    await refused('cost.record without payload', () => postJson(events, { type: 'cost.record' }), {
      status: 400,
      fields: ['category', 'amountNok', 'date', 'description'],
    });
    await refused(
      'funding.apply without appliedAt',
      () => postJson(events, { type: 'funding.apply', amountNok: 1000 }),
      { status: 400, fields: ['appliedAt'] },
    );
    await refused(
      'roles.assign without prosjektleder.external',
      () =>
        postJson(events, {
          ...rolesAssign,
          prosjektleder: { name: 'Ingrid Intern', email: 'ingrid@nordkyn.kommune.no' },
        }),
      { status: 400, fields: ['prosjektleder.external'] },
    );
  });

  it('names amountNok when it is NaN, negative, fractional, huge or text', async () => {
    const bad: unknown[] = ['NaN', -1, -0.5, 0.5, 1234.56, 1e30, '1000', null, true, [1000]];
    for (const amountNok of bad) {
      for (const event of [cost, funding]) {
        await refused(
          `${event.type} amountNok ${JSON.stringify(amountNok)}`,
          () => postJson(events, { ...event, amountNok }),
          { status: 400, fields: ['amountNok'] },
        );
      }
    }
    // NaN, Infinity and friends as bare tokens are not JSON at all.
    for (const token of ['NaN', 'Infinity', '-Infinity', '0x10', '+5', '1_000']) {
      for (const event of [cost, funding]) {
        await refused(
          `${event.type} amountNok bare ${token}`,
          () =>
            postRaw(
              events,
              JSON.stringify({ ...event, amountNok: 0 }).replace(
                '"amountNok":0',
                `"amountNok":${token}`,
              ),
            ),
          { status: 400 },
        );
      }
    }
  });

  it('names the field when a date does not exist or is not YYYY-MM-DD', async () => {
    const dates = [
      '2027-02-30',
      '2026-13-01',
      '2026-1-1',
      '2026-02-29',
      '2026-00-10',
      '01.03.2026',
      '2026-03-01T00:00:00Z',
      '',
    ];
    for (const day of dates) {
      await refused(
        `programmeStart ${day}`,
        () => postJson('/api/programmes', programmeBody({ programmeStart: day })),
        { status: 400, fields: ['programmeStart'] },
      );
      await refused(
        `programmeEnd ${day}`,
        () => postJson('/api/programmes', programmeBody({ programmeEnd: day })),
        { status: 400, fields: ['programmeEnd'] },
      );
      await refused(
        `tender.publish publishedAt ${day}`,
        () => postJson(events, { ...tender, publishedAt: day }),
        { status: 400, fields: ['publishedAt'] },
      );
      await refused(`cost.record date ${day}`, () => postJson(events, { ...cost, date: day }), {
        status: 400,
        fields: ['date'],
      });
    }
    await refused(
      'patch programmeStart 2027-02-30',
      () => h.request('PATCH', `/api/programmes/${id}`, { body: { programmeStart: '2027-02-30' } }),
      { status: 400, fields: ['programmeStart'] },
    );
  });

  it('refuses a programmeEnd that is not after programmeStart', async () => {
    for (const [start, end] of [
      ['2026-01-01', '2025-12-31'],
      ['2026-01-01', '2026-01-01'],
    ]) {
      await refused(
        `create ${start}–${end}`,
        () =>
          postJson('/api/programmes', programmeBody({ programmeStart: start, programmeEnd: end })),
        { status: 400, fields: ['programmeEnd'] },
      );
    }
    await refused(
      'patch the end before the start',
      () => h.request('PATCH', `/api/programmes/${id}`, { body: { programmeEnd: '2022-12-31' } }),
      { status: 400, fields: ['programmeEnd'] },
    );
  });

  it('names organisasjonsnummer in company.register, whatever the state', async () => {
    // EngineService.send validates the payload (checkEvent) before any guard runs, so the
    // programme may stay in initiering: a valid payload there is 409, an invalid one 400.
    const company = { type: 'company.register', ...payloads.company };
    for (const organisasjonsnummer of [
      '923609017',
      '123456789',
      '92360901',
      '9236090160',
      '923 609 016',
      'NO923609016',
      923609016,
      '',
    ]) {
      await refused(
        `organisasjonsnummer ${JSON.stringify(organisasjonsnummer)}`,
        () => postJson(events, { ...company, organisasjonsnummer }),
        { status: 400, fields: ['organisasjonsnummer'] },
      );
    }
    const blocked = await refused(
      'a valid company.register in initiering',
      () => postJson(events, company),
      { status: 409 },
    );
    expect(blocked.body.blockedBy.length).toBeGreaterThan(0);
  });

  it('refuses an unknown event type and a missing or non-text type', async () => {
    for (const type of [
      'no.such.event',
      'ROLES.ASSIGN',
      'toString',
      '__defineGetter__',
      'workflow.created',
    ]) {
      const response = await refused(`type ${type}`, () => postJson(events, { type }), {
        status: 400,
      });
      expect(response.body.type).toMatch(/unknown-event-type$/);
    }
    for (const [label, body] of [
      ['no type', { amountNok: 1 }],
      ['empty type', { type: '' }],
      ['numeric type', { type: 7 }],
      ['null type', { type: null }],
      ['object type', { type: { name: 'roles.assign' } }],
    ] as [string, unknown][]) {
      await refused(label, () => postJson(events, body), { status: 400, fields: ['type'] });
    }
    for (const raw of ['null', '[]', '"roles.assign"', '42']) {
      await refused(`event body ${raw}`, () => postRaw(events, raw), { status: 400 });
    }
  });

  it('answers a non-UUID programme id with 400 naming id, and an unknown UUID with 404', async () => {
    const routes: [string, (id: string) => string, unknown?][] = [
      ['GET', (p) => `/api/programmes/${p}`],
      ['PATCH', (p) => `/api/programmes/${p}`, { municipality: 'Lebesby' }],
      ['GET', (p) => `/api/programmes/${p}/workflow`],
      ['POST', (p) => `/api/programmes/${p}/workflow/events`, cost],
      ['GET', (p) => `/api/programmes/${p}/workflow/history`],
      ['GET', (p) => `/api/programmes/${p}/workflow/verify`],
      ['GET', (p) => `/api/programmes/${p}/workflow/at?time=2026-03-01`],
      ['GET', (p) => `/api/programmes/${p}/workflow/graph?format=json`],
      ['GET', (p) => `/api/programmes/${p}/calendar.ics`],
    ];
    for (const [method, path, body] of routes) {
      for (const bad of NOT_UUIDS) {
        await refused(`${method} ${path(bad)}`, () => h.request(method, path(bad), { body }), {
          status: 400,
          fields: ['id'],
        });
      }
      const response = await refused(
        `${method} ${path(UNKNOWN_ID)}`,
        () => h.request(method, path(UNKNOWN_ID), { body }),
        { status: 404 },
      );
      expect(response.body.type).toMatch(/unknown-programme$/);
    }
  });

  it('names the field when a name or e-mail carries a line break (header injection)', async () => {
    const injections = ['Kari\r\nBcc: alle@example.no', 'Kari\nBcc: alle@example.no', 'Kari\r'];
    const emails = ['kari@example.no\r\nBcc: alle@example.no', 'kari@example.no\nX-Evil: 1'];
    for (const name of injections) {
      await refused(
        `board name ${JSON.stringify(name)}`,
        () =>
          postJson(
            '/api/programmes',
            programmeBody({ board: [{ name, email: 'kari@example.no' }] }),
          ),
        { status: 400, fields: ['board.0.name'] },
      );
      await refused(
        `mayor name ${JSON.stringify(name)}`,
        () =>
          postJson('/api/programmes', programmeBody({ mayor: { name, email: 'ola@example.no' } })),
        { status: 400, fields: ['mayor.name'] },
      );
      await refused(
        `municipality ${JSON.stringify(name)}`,
        () => postJson('/api/programmes', programmeBody({ municipality: name })),
        { status: 400, fields: ['municipality'] },
      );
      await refused(
        `roles.assign prosjektansvarlig.name ${JSON.stringify(name)}`,
        () =>
          postJson(events, {
            ...rolesAssign,
            prosjektansvarlig: { name, email: 'ola@example.no' },
          }),
        { status: 400, fields: ['prosjektansvarlig.name'] },
      );
      await refused(
        `roles.assign prosjekteier ${JSON.stringify(name)}`,
        () => postJson(events, { ...rolesAssign, prosjekteier: name }),
        { status: 400, fields: ['prosjekteier'] },
      );
    }
    for (const email of emails) {
      await refused(
        `board email ${JSON.stringify(email)}`,
        () => postJson('/api/programmes', programmeBody({ board: [{ name: 'Kari', email }] })),
        { status: 400, fields: ['board.0.email'] },
      );
      await refused(
        `administrators email ${JSON.stringify(email)}`,
        () =>
          postJson('/api/programmes', programmeBody({ administrators: [{ name: 'Siri', email }] })),
        { status: 400, fields: ['administrators.0.email'] },
      );
      await refused(
        `mayor email ${JSON.stringify(email)}`,
        () => postJson('/api/programmes', programmeBody({ mayor: { name: 'Ola', email } })),
        { status: 400, fields: ['mayor.email'] },
      );
      await refused(
        `roles.assign prosjektleder.email ${JSON.stringify(email)}`,
        () =>
          postJson(events, {
            ...rolesAssign,
            prosjektleder: { ...payloads.internalRoles.prosjektleder, email },
          }),
        { status: 400, fields: ['prosjektleder.email'] },
      );
      await refused(
        `patch mayor email ${JSON.stringify(email)}`,
        () =>
          h.request('PATCH', `/api/programmes/${id}`, { body: { mayor: { name: 'Ola', email } } }),
        { status: 400, fields: ['mayor.email'] },
      );
    }
  });

  it('names Idempotency-Key when it is too long or not visible ASCII', async () => {
    for (const key of ['k'.repeat(256), 'two words', 'tab\there', 'nøkkel']) {
      const label = `Idempotency-Key ${JSON.stringify(key.length > 20 ? `${key.length} chars` : key)}`;
      await refused(
        `event, ${label}`,
        () => h.request('POST', events, { body: cost, headers: { 'idempotency-key': key } }),
        { status: 400, fields: ['Idempotency-Key'] },
      );
      await refused(
        `programme, ${label}`,
        () =>
          h.request('POST', '/api/programmes', {
            body: programmeBody(),
            headers: { 'idempotency-key': key },
          }),
        { status: 400, fields: ['Idempotency-Key'] },
      );
    }
  });

  it('names If-Match when it is not a version', async () => {
    for (const ifMatch of ['abc', '"abc"', '"-1"', '"1.5"', '"1234567890"', 'W/abc', '""']) {
      await refused(
        `If-Match ${ifMatch}`,
        () => h.request('POST', events, { body: cost, headers: { 'if-match': ifMatch } }),
        { status: 400, fields: ['If-Match'] },
      );
    }
  });

  it('names municipalityNumber when it is not four digits', async () => {
    for (const municipalityNumber of ['563', '56361', 'abcd', '56 3', '５６３６', '', 5636, null]) {
      await refused(
        `municipalityNumber ${JSON.stringify(municipalityNumber)}`,
        () => postJson('/api/programmes', programmeBody({ municipalityNumber })),
        { status: 400, fields: ['municipalityNumber'] },
      );
    }
  });

  it('names time when GET /workflow/at gets none, garbage or a time without offset', async () => {
    const at = `/api/programmes/${id}/workflow/at`;
    for (const query of [
      '',
      '?time=',
      '?time=garbage',
      '?time=2026-03-01T10:00:00',
      '?time=2026-03-01T10:00',
      '?time=2026-03-01 10:00:00Z',
      '?time=2026-02-30',
      '?time=2026-03-01T25:00:00Z',
      '?time=1709280000',
      '?time=2026-03-01&time=2026-03-02',
    ]) {
      await refused(`at${query}`, () => h.request('GET', `${at}${query}`), {
        status: 400,
        fields: ['time'],
      });
    }
    await refused(
      'at with an unknown parameter',
      () => h.request('GET', `${at}?time=2026-03-01&format=json`),
      { status: 400, fields: ['format'] },
    );
  });

  it('names limit and unknown query parameters on the lists', async () => {
    for (const list of [
      '/api/programmes',
      `/api/programmes/${id}/workflow/history`,
      '/api/deadlines',
    ]) {
      for (const limit of ['0', 'abc', '-1', '1.5', '201', '']) {
        await refused(`${list}?limit=${limit}`, () => h.request('GET', `${list}?limit=${limit}`), {
          status: 400,
          fields: ['limit'],
        });
      }
      await refused(
        `${list}?sort=name&admin=1`,
        () => h.request('GET', `${list}?sort=name&admin=1`),
        { status: 400, fields: ['sort', 'admin'] },
      );
      await refused(`${list}?cursor=garbage`, () => h.request('GET', `${list}?cursor=%00%01`), {
        status: 400,
        fields: ['cursor'],
      });
    }
    await refused(
      '/api/deadlines?before=garbage',
      () => h.request('GET', '/api/deadlines?before=garbage'),
      { status: 400, fields: ['before'] },
    );
  });

  it('refuses a lone constructor or prototype key like any other unknown field', async () => {
    // sjson refuses `constructor.prototype`; these keys alone are not pollution, but they are
    // fields nobody declared and must be refused like `foo` (400), never ignored or stored.
    const cases: [string, string, unknown][] = [
      [
        'programme, constructor at the top',
        '/api/programmes',
        { ...programmeBody(), constructor: 'x' },
      ],
      [
        'programme, prototype at the top',
        '/api/programmes',
        { ...programmeBody(), prototype: { polluted: 'yes' } },
      ],
      [
        'programme, constructor in board[0]',
        '/api/programmes',
        programmeBody({ board: [{ name: 'Kari', email: 'kari@example.no', constructor: 'x' }] }),
      ],
      ['event, constructor at the top', events, { ...cost, constructor: 'x' }],
      ['event, prototype at the top', events, { ...cost, prototype: 'x' }],
      [
        'event, constructor nested',
        events,
        {
          ...rolesAssign,
          prosjektansvarlig: { ...payloads.internalRoles.prosjektansvarlig, constructor: 'x' },
        },
      ],
    ];
    // Every case is tried before the one assertion, so a failure lists them all.
    const outcomes: unknown[] = [];
    for (const [label, path, body] of cases) {
      const before = await snapshot();
      const response = await postJson(path, body);
      const after = await snapshot();
      outcomes.push({
        case: label,
        status: response.status,
        problem: /^application\/problem\+json/.test(response.headers.get('content-type') ?? ''),
        unchanged: JSON.stringify(after) === JSON.stringify(before),
      });
    }
    expect(outcomes).toEqual(
      cases.map(([label]) => ({ case: label, status: 400, problem: true, unchanged: true })),
    );
  });

  it('still answers normally after all of that', async () => {
    const health = await h.request('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');
    const created = await postJson('/api/programmes', programmeBody({ municipality: 'Gamvik' }));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      municipality: 'Gamvik',
      state: 'initiering.forberedelse',
    });
    const accepted = await postJson(
      `/api/programmes/${created.body.id}/workflow/events`,
      rolesAssign,
    );
    expect(accepted.status).toBe(200);
    expect(accepted.body.version).toBe(2);
  });
});
