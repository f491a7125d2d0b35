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
 * HTTP semantics over real HTTP (SPEC §4): ETag/If-Match, Idempotency-Key, rate limiting,
 * security headers, CORS and request ids.
 */

jest.setTimeout(30_000);

const PROBLEM = /^application\/problem\+json\b/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An event the administrator may send again and again in initiering (each one is recorded). */
function cost(amountNok = 25_000) {
  return {
    type: 'cost.record',
    category: 'konsulenthonorar',
    amountNok,
    date: '2026-03-01',
    description: 'Møte med konsulenten',
  };
}

function expectProblem(response: ApiResponse, status: number): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(PROBLEM);
  expect(response.body).toMatchObject({
    type: expect.any(String),
    title: expect.any(String),
    status,
    detail: expect.any(String),
  });
}

/** The workflow of one programme, as the tests look at it. */
interface Programme {
  id: string;
  events: string;
  workflow: string;
}

function programmeHelpers(h: HttpHarness) {
  const create = async (): Promise<Programme> => {
    const created = await h.request('POST', '/api/programmes', { body: programmeBody() });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    return {
      id,
      events: `/api/programmes/${id}/workflow/events`,
      workflow: `/api/programmes/${id}/workflow`,
    };
  };
  const history = async (p: Programme): Promise<unknown[]> => {
    const response = await h.request('GET', `${p.workflow}/history?limit=200`);
    expect(response.status).toBe(200);
    return response.body.items;
  };
  const version = async (p: Programme): Promise<number> => {
    const response = await h.request('GET', p.workflow);
    expect(response.status).toBe(200);
    return response.body.version;
  };
  const programmeCount = async (): Promise<number> =>
    Number((await h.sql<{ n: number | string }>('select count(*) as n from programme'))[0]!.n);
  return { create, history, version, programmeCount };
}

describe.each(dialects())('HTTP semantics (%s)', (dialect) => {
  const h = useHttpApp(dialect);
  const { create, history, version, programmeCount } = programmeHelpers(h);

  describe('ETag and If-Match', () => {
    it('sends the version as a strong ETag on GET /workflow and on every accepted event', async () => {
      const p = await create();
      const view = await h.request('GET', p.workflow);
      expect(view.status).toBe(200);
      expect(view.body.version).toBe(1);
      expect(view.headers.get('etag')).toBe('"1"');

      const accepted = await h.request('POST', p.events, { body: cost() });
      expect(accepted.status).toBe(200);
      expect(accepted.body.version).toBe(2);
      expect(accepted.headers.get('etag')).toBe(`"${accepted.body.version}"`);

      const again = await h.request('GET', p.workflow);
      expect(again.headers.get('etag')).toBe('"2"');
      expect(again.body.version).toBe(2);
    });

    it('answers a stale If-Match with 412 naming the current version, and changes nothing', async () => {
      const p = await create();
      expect((await h.request('POST', p.events, { body: cost() })).status).toBe(200);
      const before = await history(p);
      expect(before).toHaveLength(2);

      for (const stale of ['"1"', 'W/"1"', '1', '"99"']) {
        const response = await h.request('POST', p.events, {
          body: cost(1),
          headers: { 'if-match': stale },
        });
        expectProblem(response, 412);
        expect(response.body.currentVersion).toBe(2);
        expect(response.body.detail).toContain('2');
        expect(response.text).not.toMatch(/\bat \S+ \(|\.ts:\d+/);
      }
      expect(await version(p)).toBe(2);
      expect(await history(p)).toEqual(before);
    });

    it('applies an event whose If-Match is current: "n", W/"n" and *', async () => {
      const p = await create();
      for (const form of [(v: number) => `"${v}"`, (v: number) => `W/"${v}"`, () => '*']) {
        const view = await h.request('GET', p.workflow);
        const current = view.body.version as number;
        const response = await h.request('POST', p.events, {
          body: cost(),
          headers: { 'if-match': form(current) },
        });
        expect(response.status).toBe(200);
        expect(response.body.version).toBe(current + 1);
        expect(response.headers.get('etag')).toBe(`"${current + 1}"`);
      }
      expect(await history(p)).toHaveLength(4);
    });
  });

  describe('Idempotency-Key', () => {
    it('answers a repeated request with the identical stored response and applies it once', async () => {
      const p = await create();
      const send = () =>
        h.request('POST', p.events, { body: cost(), headers: { 'idempotency-key': 'cost-1' } });
      const first = await send();
      expect(first.status).toBe(200);
      const second = await send();
      expect(second.status).toBe(200);
      expect(second.text).toBe(first.text);
      expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
      // The first reply is the record's text sent as it is, the replay one serialised again.
      expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(second.headers.get('content-type')).toBe(first.headers.get('content-type'));
      expect(await history(p)).toHaveLength(2);

      // Still the stored response after the workflow has moved on.
      expect((await h.request('POST', p.events, { body: cost(5) })).status).toBe(200);
      const later = await send();
      expect(later.status).toBe(200);
      expect(later.text).toBe(first.text);
      expect(await history(p)).toHaveLength(3);
      expect(await version(p)).toBe(3);
    });

    it('answers the same key with a different body with 422 and changes nothing', async () => {
      const p = await create();
      const headers = { 'idempotency-key': 'cost-2' };
      expect((await h.request('POST', p.events, { body: cost(100), headers })).status).toBe(200);
      const before = await history(p);

      for (const body of [cost(200), { ...cost(100), description: 'Noe annet' }, cost(100.5)]) {
        const response = await h.request('POST', p.events, { body, headers });
        // cost(100.5) is invalid as well; validation comes first and answers 400.
        if (body.amountNok === 100.5) expectProblem(response, 400);
        else expectProblem(response, 422);
      }
      // The same key on another programme's events is another request too.
      const other = await create();
      expectProblem(await h.request('POST', other.events, { body: cost(100), headers }), 422);
      expect(await history(other)).toHaveLength(1);
      expect(await history(p)).toEqual(before);
    });

    it('keeps keys per token: another token with the same key is applied separately', async () => {
      const p = await create();
      const otherAdmin = await h.token('admin');
      const leader = await h.token('projectLeader');
      const headers = { 'idempotency-key': 'shared-key' };
      const mine = await h.request('POST', p.events, { body: cost(), headers });
      const theirs = await h.request('POST', p.events, {
        body: cost(),
        headers,
        token: otherAdmin,
      });
      const leaders = await h.request('POST', p.events, { body: cost(), headers, token: leader });
      expect([mine.status, theirs.status, leaders.status]).toEqual([200, 200, 200]);
      expect([mine.body.version, theirs.body.version, leaders.body.version]).toEqual([2, 3, 4]);
      const entries = (await history(p)) as { actor: { tokenId: string; role: string } }[];
      expect(entries).toHaveLength(4);
      expect(new Set(entries.slice(1).map((e) => e.actor.tokenId)).size).toBe(3);

      // Each token's retry still gets its own stored response.
      const theirRetry = await h.request('POST', p.events, {
        body: cost(),
        headers,
        token: otherAdmin,
      });
      expect(theirRetry.text).toBe(theirs.text);
      expect(await history(p)).toHaveLength(4);
    });

    it('applies 20 parallel requests with one key exactly once, with identical answers', async () => {
      const p = await create();
      const responses = await Promise.all(
        Array.from({ length: 20 }, () =>
          h.request('POST', p.events, {
            body: { type: 'roles.assign', ...payloads.internalRoles },
            headers: { 'idempotency-key': 'parallel-roles' },
          }),
        ),
      );
      // A retry while the first still runs may be told 409 (in progress); nothing else.
      for (const response of responses) {
        expect([200, 409]).toContain(response.status);
        if (response.status === 409) expect(response.body.type).toMatch(/idempotency-in-progress$/);
      }
      const ok = responses.filter((r) => r.status === 200);
      expect(ok.length).toBeGreaterThan(0);
      expect(new Set(ok.map((r) => r.text)).size).toBe(1);
      expect(ok[0]!.body.version).toBe(2);
      const entries = (await history(p)) as { event: { type: string } }[];
      expect(entries.map((e) => e.event.type)).toEqual(['workflow.created', 'roles.assign']);
      expect(await version(p)).toBe(2);
    });

    it('answers a blocked event with a key with the same 409 twice and changes nothing', async () => {
      const p = await create();
      const send = () =>
        h.request('POST', p.events, {
          body: { type: 'hovedprosjekt.start' },
          headers: { 'idempotency-key': 'too-early' },
        });
      const first = await send();
      expectProblem(first, 409);
      expect(first.body.blockedBy.length).toBeGreaterThan(0);
      const second = await send();
      expectProblem(second, 409);
      expect(second.text).toBe(first.text);
      expect(await history(p)).toHaveLength(1);
      expect(await version(p)).toBe(1);
    });

    it('creates one programme for POST /api/programmes sent twice with one key', async () => {
      const before = await programmeCount();
      const send = (body = programmeBody({ municipality: 'Berlevåg' })) =>
        h.request('POST', '/api/programmes', { body, headers: { 'idempotency-key': 'create-1' } });
      const first = await send();
      const second = await send();
      expect([first.status, second.status]).toEqual([201, 201]);
      expect(second.body.id).toBe(first.body.id);
      expect(second.text).toBe(first.text);
      expect(second.headers.get('location')).toBe(`/api/programmes/${first.body.id}`);
      expect(await programmeCount()).toBe(before + 1);

      expectProblem(await send(programmeBody({ municipality: 'Båtsfjord' })), 422);
      expect(await programmeCount()).toBe(before + 1);
      const list = await h.request('GET', '/api/programmes?limit=200');
      expect(
        list.body.items.filter((p: { municipality: string }) => p.municipality === 'Berlevåg'),
      ).toHaveLength(1);
    });
  });

  describe('headers', () => {
    /** A spread of responses: success, client errors from Nest and from the body parser. */
    const sample = async (headers: Record<string, string> = {}) => [
      await h.request('GET', '/health', { headers }),
      await h.request('GET', '/api/programmes', { headers }),
      await h.request('GET', '/api/programmes', { headers, token: null }),
      await h.request('GET', '/no/such/route', { headers }),
      await h.request('GET', '/api/programmes/not-a-uuid', { headers }),
      await h.request('POST', '/api/programmes', {
        raw: 'municipality=Nordkyn',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      }),
      await h.request('POST', '/api/programmes', {
        raw: '{"municipality":',
        headers: { ...headers, 'content-type': 'application/json' },
      }),
    ];

    it('sends the security headers on every response', async () => {
      const responses = await sample();
      expect(responses.map((r) => r.status)).toEqual([200, 200, 401, 404, 400, 415, 400]);
      for (const response of responses) {
        expect(response.headers.get('x-content-type-options')).toBe('nosniff');
        expect(response.headers.get('x-frame-options')).toMatch(/^(?:DENY|SAMEORIGIN)$/);
        const csp = response.headers.get('content-security-policy') ?? '';
        expect(csp).toContain("default-src 'self'");
        expect(csp).toContain("frame-ancestors 'none'");
        expect(csp).toContain("object-src 'none'");
      }
    });

    it('keeps CORS off by default: no Access-Control-Allow-Origin for a foreign Origin', async () => {
      const origin = 'https://evil.example';
      for (const response of await sample({ origin })) {
        expect(response.headers.get('access-control-allow-origin')).toBeNull();
        expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      }
      const preflight = await h.request('OPTIONS', '/api/programmes', {
        token: null,
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      expect(preflight.status).toBeGreaterThanOrEqual(400);
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      expect(preflight.headers.get('access-control-allow-methods')).toBeNull();
    });

    it('puts an x-request-id on every response and echoes the one the client sends', async () => {
      const made = await sample();
      const ids = made.map((r) => r.headers.get('x-request-id'));
      for (const id of ids) expect(id).toMatch(UUID);
      expect(new Set(ids).size).toBe(ids.length);

      const echoed = await sample({ 'x-request-id': 'client-trace-42' });
      for (const response of echoed) {
        expect(response.headers.get('x-request-id')).toBe('client-trace-42');
      }
      const p = await create();
      const event = await h.request('POST', p.events, {
        body: cost(),
        headers: { 'x-request-id': 'event-trace-7' },
      });
      expect(event.status).toBe(200);
      expect(event.headers.get('x-request-id')).toBe('event-trace-7');
    });
  });
});

describe.each(dialects())('rate limiting at 5 a minute (%s)', (dialect) => {
  const h = useHttpApp(dialect, { RATE_LIMIT_PER_MINUTE: '5' });

  async function sixTimes(send: () => Promise<ApiResponse>): Promise<ApiResponse[]> {
    const responses: ApiResponse[] = [];
    for (let i = 0; i < 6; i += 1) responses.push(await send());
    return responses;
  }

  function expectTooMany(response: ApiResponse): void {
    expectProblem(response, 429);
    expect(response.body.type).toMatch(/too-many-requests$/);
    const retryAfter = response.headers.get('retry-after');
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    expect(response.headers.get('x-request-id')).toMatch(UUID);
  }

  it('answers the sixth request within a minute with 429 problem+json and Retry-After', async () => {
    const responses = await sixTimes(() => h.request('GET', '/api/programmes'));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expectTooMany(responses[5]!);
  });

  it('limits GET /health too (it is not exempt)', async () => {
    const responses = await sixTimes(() => h.request('GET', '/health', { token: null }));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expectTooMany(responses[5]!);
  });

  it('counts before authentication: bad tokens use up the limit, and then a good one waits', async () => {
    const responses = [
      ...(await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          h.request('GET', '/api/definitions', { token: i % 2 ? null : 'vf_guessed-token' }),
        ),
      )),
      await h.request('GET', '/api/definitions', { token: ADMIN_TOKEN }),
    ];
    expect(responses.map((r) => r.status)).toEqual([401, 401, 401, 401, 401, 429]);
    expectTooMany(responses[5]!);
  });

  it('changes nothing for a request it refuses', async () => {
    const count = async () =>
      Number((await h.sql<{ n: number | string }>('select count(*) as n from programme'))[0]!.n);
    const before = await count();
    const responses = await sixTimes(() =>
      h.request('POST', '/api/programmes', { body: programmeBody() }),
    );
    expect(responses.map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 429]);
    expectTooMany(responses[5]!);
    expect(await count()).toBe(before + 5);
  });
});
