import { randomUUID } from 'node:crypto';
import type { Role } from '../../src/auth/principal';
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
 * SPEC §4 authorisation: every route that exists × every kind of caller × own (A) / foreign (B) /
 * unknown programme. The expectations are written out here from the SPEC, not read from the code.
 */

const PROBLEM = /^application\/problem\+json/;
const ENV_ADMIN = 'env:ADMIN_TOKEN';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type Scope = 'all' | 'A';

interface CallerSpec {
  name: string;
  /** null: the request does not authenticate (401). */
  role: Role | null;
  scope: Scope | null;
}

const CALLERS: CallerSpec[] = [
  { name: 'admin-all (ADMIN_TOKEN)', role: 'admin', scope: 'all' },
  { name: 'admin-A', role: 'admin', scope: 'A' },
  { name: 'board-A', role: 'board', scope: 'A' },
  { name: 'projectLeader-A', role: 'projectLeader', scope: 'A' },
  { name: 'auditor-A', role: 'auditor', scope: 'A' },
  { name: 'auditor-all', role: 'auditor', scope: 'all' },
  { name: 'revoked', role: null, scope: null },
  { name: 'no token', role: null, scope: null },
  { name: 'garbage', role: null, scope: null },
  { name: 'forged vf_ token', role: null, scope: null },
];
const VALID_CALLERS = CALLERS.filter((c) => c.role !== null);

/** Who may send which event (SPEC §4): administrators any, auditors none. */
const BOARD_EVENTS = ['report.approve', 'report.reject', 'budgetOverrun.approve'];
const LEADER_EVENTS = ['activity.complete', 'activity.reopen', 'cost.record', 'report.submit'];

function maySend(role: Role, type: string): boolean {
  switch (role) {
    case 'admin':
      return true;
    case 'board':
      return BOARD_EVENTS.includes(type);
    case 'projectLeader':
      return LEADER_EVENTS.includes(type);
    case 'auditor':
      return false;
  }
}

/** Every event type of the definition with a valid payload; `workflow.cancel` last (it ends A). */
const EVENTS: [string, Record<string, unknown>][] = [
  ['roles.assign', payloads.internalRoles],
  ['tender.publish', payloads.tender],
  ['contract.award', payloads.contract],
  ['forstudie.start', {}],
  ['activity.complete', { activityId: 'F1' }],
  ['activity.reopen', { activityId: 'F1', reason: 'Må gjøres på nytt' }],
  [
    'cost.record',
    { category: 'andreKostnader', amountNok: 1500, date: '2026-03-02', description: 'Møteleie' },
  ],
  ['funding.apply', { amountNok: 500_000, appliedAt: '2026-03-02' }],
  ['report.submit', payloads.forstudieReport],
  ['report.approve', { meetingRef: 'PS 12/26' }],
  ['report.reject', { reason: 'Alternativene mangler finansiering' }],
  ['budgetOverrun.approve', { newFrameNok: 2_000_000, reason: 'Utvidet omfang' }],
  ['forprosjekt.start', payloads.owners],
  ['hovedprosjekt.start', {}],
  ['company.register', payloads.company],
  ['board.elect', payloads.board],
  ['hovedprosjekt.complete', {}],
  ['programme.reschedule', { programmeEnd: '2028-12-31' }],
  ['workflow.cancel', { reason: 'Avsluttet i test' }],
];

interface Context {
  a: string;
  b: string;
  secrets: Record<string, string | null>;
  tokenIds: Record<string, string>;
}

type Target = 'A' | 'B' | 'unknown';

interface Call {
  method: string;
  path: string;
  body?: unknown;
}

/** What the route answers a caller that may use it and sees the programme. */
type Success = number | 'event';
type Expected = Success | number[];

interface RouteSpec {
  name: string;
  /** The route takes a programme id. */
  programme?: boolean;
  adminOnly?: boolean;
  /** Only a token for all programmes may call it (creating programmes, managing tokens). */
  allProgrammes?: boolean;
  public?: boolean;
  /** The event the route matrix sends (POST …/workflow/events). */
  event?: string;
  success: Success;
  /** Counts what the route creates: unchanged unless it answers 201, one more if it does. */
  count?(h: HttpHarness): Promise<number>;
  call(h: HttpHarness, c: Context, programmeId: string): Promise<Call> | Call;
}

const ROUTES: RouteSpec[] = [
  {
    name: 'POST /api/programmes',
    adminOnly: true,
    allProgrammes: true,
    success: 201,
    count: async (h) => (await h.sql('select id from programme')).length,
    call: () => ({
      method: 'POST',
      path: '/api/programmes',
      body: programmeBody({ municipality: 'Matrisekommune', municipalityNumber: '9999' }),
    }),
  },
  {
    name: 'GET /api/programmes',
    success: 200,
    call: () => ({ method: 'GET', path: '/api/programmes' }),
  },
  {
    name: 'GET /api/programmes/:id',
    programme: true,
    success: 200,
    call: (_h, _c, id) => ({ method: 'GET', path: `/api/programmes/${id}` }),
  },
  {
    name: 'PATCH /api/programmes/:id',
    programme: true,
    adminOnly: true,
    success: 200,
    call: (_h, _c, id) => ({
      method: 'PATCH',
      path: `/api/programmes/${id}`,
      body: { administrators: [{ name: 'Siri Sekretær', email: 'siri@nordkyn.kommune.no' }] },
    }),
  },
  {
    name: 'GET /api/programmes/:id/workflow',
    programme: true,
    success: 200,
    call: (_h, _c, id) => ({ method: 'GET', path: `/api/programmes/${id}/workflow` }),
  },
  {
    // Blocked in the initial state (409), so the matrix changes nothing.
    name: 'POST /api/programmes/:id/workflow/events',
    programme: true,
    event: 'report.approve',
    success: 'event',
    call: (_h, _c, id) => ({
      method: 'POST',
      path: `/api/programmes/${id}/workflow/events`,
      body: { type: 'report.approve', meetingRef: 'PS 1/26' },
    }),
  },
  {
    name: 'GET /api/programmes/:id/workflow/history',
    programme: true,
    success: 200,
    call: (_h, _c, id) => ({ method: 'GET', path: `/api/programmes/${id}/workflow/history` }),
  },
  {
    name: 'GET /api/programmes/:id/workflow/verify',
    programme: true,
    success: 200,
    call: (_h, _c, id) => ({ method: 'GET', path: `/api/programmes/${id}/workflow/verify` }),
  },
  {
    name: 'GET /api/programmes/:id/workflow/at?time=…',
    programme: true,
    success: 200,
    call: (_h, _c, id) => ({
      method: 'GET',
      path: `/api/programmes/${id}/workflow/at?time=2026-03-02T12:00:00Z`,
    }),
  },
  {
    name: 'GET /api/deadlines',
    success: 200,
    call: () => ({ method: 'GET', path: '/api/deadlines' }),
  },
  {
    name: 'GET /api/definitions',
    success: 200,
    call: () => ({ method: 'GET', path: '/api/definitions' }),
  },
  {
    name: 'GET /api/definitions/:id',
    success: 200,
    call: () => ({ method: 'GET', path: '/api/definitions/videreforing' }),
  },
  {
    name: 'POST /api/tokens',
    adminOnly: true,
    allProgrammes: true,
    success: 201,
    count: async (h) => (await h.sql('select id from api_token')).length,
    call: (_h, c) => ({
      method: 'POST',
      path: '/api/tokens',
      body: { role: 'auditor', label: 'Matrise', programmeIds: [c.a] },
    }),
  },
  {
    name: 'GET /api/tokens',
    adminOnly: true,
    allProgrammes: true,
    success: 200,
    call: () => ({ method: 'GET', path: '/api/tokens' }),
  },
  {
    // A fresh victim for every call, so a successful DELETE can be checked.
    name: 'DELETE /api/tokens/:id',
    adminOnly: true,
    allProgrammes: true,
    success: 204,
    call: async (h) => {
      const victim = await createToken(h, { role: 'auditor', label: 'Offer' });
      return { method: 'DELETE', path: `/api/tokens/${victim.id}` };
    },
  },
  {
    name: 'GET /health',
    public: true,
    success: 200,
    call: () => ({ method: 'GET', path: '/health' }),
  },
];

async function createToken(
  h: HttpHarness,
  body: { role: Role; label: string; programmeIds?: string[] },
): Promise<{ id: string; token: string }> {
  const response = await h.request<{ id: string; token: string }>('POST', '/api/tokens', {
    body,
  });
  if (response.status !== 201) {
    throw new Error(`POST /api/tokens answered ${response.status}: ${response.text}`);
  }
  return response.body;
}

/** The status SPEC §4 prescribes, in the order the checks apply. */
function expectedStatus(route: RouteSpec, caller: CallerSpec, target: Target | null): Expected {
  if (route.public) return 200;
  if (caller.role === null) return 401;
  if (route.adminOnly && caller.role !== 'admin') return 403;
  if (route.programme && (target === 'unknown' || (target === 'B' && caller.scope === 'A'))) {
    return 404;
  }
  if (route.event && !maySend(caller.role, route.event)) return 403;
  // SPEC §4 is silent; a bound admin could otherwise mint a token for all programmes.
  if (route.allProgrammes && caller.scope === 'A') return 403;
  return route.success;
}

function problemType(status: number): string | undefined {
  return {
    401: 'urn:videreforing:problem:unauthenticated',
    403: 'urn:videreforing:problem:forbidden',
    404: 'urn:videreforing:problem:unknown-programme',
  }[status];
}

function describeResponse(response: ApiResponse): string {
  return `${response.status} ${response.text.slice(0, 400)}`;
}

/** A response with the programme id taken out, to compare a foreign programme with an unknown one. */
function anonymised(response: ApiResponse, id: string): unknown {
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: JSON.parse(response.text.split(id).join(':id')) as unknown,
  };
}

describe.each(dialects())('authorisation (SPEC §4) on %s', (dialect) => {
  const h = useHttpApp(dialect);
  const c = { secrets: {}, tokenIds: {} } as Context;

  function secretOf(caller: CallerSpec): string | null {
    const secret = c.secrets[caller.name];
    if (secret === undefined) throw new Error(`no secret for ${caller.name}`);
    return secret;
  }

  async function send(caller: CallerSpec, call: Call): Promise<ApiResponse> {
    return h.request(call.method, call.path, {
      token: secretOf(caller),
      ...(call.body !== undefined ? { body: call.body } : {}),
    });
  }

  async function workflowVersion(): Promise<number> {
    const response = await h.request<{ version: number }>('GET', `/api/programmes/${c.a}/workflow`);
    expect(response.status).toBe(200);
    return response.body.version;
  }

  beforeAll(async () => {
    const created: string[] = [];
    for (const municipality of ['Kommune A', 'Kommune B']) {
      const response = await h.request<{ id: string }>('POST', '/api/programmes', {
        body: programmeBody({ municipality }),
      });
      if (response.status !== 201)
        throw new Error(`create programme: ${describeResponse(response)}`);
      created.push(response.body.id);
    }
    [c.a, c.b] = created as [string, string];

    const bound: [string, Role, string[] | undefined][] = [
      ['admin-A', 'admin', [c.a]],
      ['board-A', 'board', [c.a]],
      ['projectLeader-A', 'projectLeader', [c.a]],
      ['auditor-A', 'auditor', [c.a]],
      ['auditor-all', 'auditor', undefined],
    ];
    for (const [name, role, programmeIds] of bound) {
      const token = await createToken(h, {
        role,
        label: name,
        ...(programmeIds ? { programmeIds } : {}),
      });
      c.secrets[name] = token.token;
      c.tokenIds[name] = token.id;
    }
    c.secrets['admin-all (ADMIN_TOKEN)'] = ADMIN_TOKEN;

    const revoked = await createToken(h, { role: 'admin', label: 'Trukket tilbake' });
    const revocation = await h.request('DELETE', `/api/tokens/${revoked.id}`);
    if (revocation.status !== 204) throw new Error(`revoke: ${describeResponse(revocation)}`);
    c.secrets.revoked = revoked.token;
    c.secrets['no token'] = null;
    c.secrets.garbage = 'not-a-token';
    c.secrets['forged vf_ token'] = `vf_${'A'.repeat(43)}`;
  }, 60_000);

  describe('lists show only what the token may see', () => {
    it.each(VALID_CALLERS)('GET /api/programmes as $name', async (caller) => {
      const response = await send(caller, { method: 'GET', path: '/api/programmes' });
      expect(response.status).toBe(200);
      const ids = (response.body as { items: { id: string }[] }).items.map((p) => p.id).sort();
      expect(ids).toEqual(caller.scope === 'A' ? [c.a] : [c.a, c.b].sort());
      if (caller.scope === 'A') expect(response.text).not.toContain(c.b);
    });

    it.each(VALID_CALLERS)('GET /api/deadlines as $name', async (caller) => {
      const response = await send(caller, {
        method: 'GET',
        path: '/api/deadlines?before=2100-01-01',
      });
      expect(response.status).toBe(200);
      const items = (response.body as { items: { programmeId: string }[] }).items;
      const ids = [...new Set(items.map((d) => d.programmeId))].sort();
      expect(ids).toEqual(caller.scope === 'A' ? [c.a] : [c.a, c.b].sort());
      if (caller.scope === 'A') expect(response.text).not.toContain(c.b);
    });
  });

  describe('route matrix', () => {
    for (const route of ROUTES) {
      for (const caller of CALLERS) {
        it(`${route.name} as ${caller.name}`, async () => {
          const targets: (Target | null)[] = route.programme ? ['A', 'B', 'unknown'] : [null];
          const responses = new Map<Target, { response: ApiResponse; id: string }>();
          const ids = targets.map((t) => (t === 'A' ? c.a : t === 'B' ? c.b : randomUUID()));
          // Reads change nothing: they may run side by side.
          const prefetched = route.name.startsWith('GET ')
            ? await Promise.all(
                ids.map(async (id) => {
                  const call = await route.call(h, c, id);
                  return { call, response: await send(caller, call) };
                }),
              )
            : undefined;
          for (const [index, target] of targets.entries()) {
            const id = ids[index]!;
            const call = prefetched?.[index]!.call ?? (await route.call(h, c, id));
            const countBefore = await route.count?.(h);
            const response = prefetched?.[index]!.response ?? (await send(caller, call));
            const countAfter = await route.count?.(h);
            const counted = route.count ? ` (rows ${countBefore} → ${countAfter})` : '';
            const where = `${call.method} ${call.path} as ${caller.name}: ${describeResponse(response)}${counted}`;
            const expected = expectedStatus(route, caller, target);

            if (expected === 'event') {
              // Allowed to send it: whatever the state says, never an authorisation failure.
              expect({ where, denied: [401, 403, 404].includes(response.status) }).toEqual({
                where,
                denied: false,
              });
              expect(response.status).toBeLessThan(500);
            } else if (Array.isArray(expected)) {
              expect({ where, status: expected.includes(response.status) }).toEqual({
                where,
                status: true,
              });
            } else {
              expect({ where, status: response.status }).toEqual({ where, status: expected });
            }
            if (response.status >= 400) {
              expect(response.headers.get('content-type')).toMatch(PROBLEM);
              const body = response.body as { status: number; type: string };
              expect(body.status).toBe(response.status);
              if (response.status === 403 && route.event) {
                expect(body.type).toBe('urn:videreforing:problem:event-not-permitted');
              } else if (expected !== 'event') {
                // A bound admin asking for an all-programmes action is refused as «scope too narrow».
                const allowed = [problemType(response.status)];
                if (response.status === 403)
                  allowed.push('urn:videreforing:problem:scope-too-narrow');
                expect(allowed).toContain(body.type);
              }
            }
            if (route.count) {
              const created = response.status === 201 ? 1 : 0;
              expect({ where, count: countAfter }).toEqual({
                where,
                count: countBefore! + created,
              });
            }
            if (response.status === 201) {
              const createdId = (response.body as { id: string }).id;
              expect(createdId).toMatch(UUID);
              if (call.path === '/api/programmes') {
                expect(response.headers.get('location')).toBe(`/api/programmes/${createdId}`);
              }
            }
            if (route.name === 'DELETE /api/tokens/:id') {
              // The victim is gone after a 204 and untouched otherwise.
              const victim = call.path.split('/').pop()!;
              const list = await h.request<{ items: { id: string; revokedAt: string | null }[] }>(
                'GET',
                '/api/tokens',
              );
              const row = list.body.items.find((t) => t.id === victim);
              expect(row).toBeDefined();
              if (response.status === 204) expect(row!.revokedAt).not.toBeNull();
              else expect(row!.revokedAt).toBeNull();
            }
            if (target) responses.set(target, { response, id });
          }

          if (route.programme && caller.scope !== 'all') {
            // A foreign programme must be indistinguishable from one that does not exist.
            const foreign = responses.get('B')!;
            const unknown = responses.get('unknown')!;
            expect(anonymised(foreign.response, foreign.id)).toEqual(
              anonymised(unknown.response, unknown.id),
            );
            if (foreign.response.status === 404) {
              // …also from the 404 of a programme that is missing from the database.
              const missing = randomUUID();
              const call = await route.call(h, c, missing);
              const reference = await h.request(call.method, call.path, {
                token: ADMIN_TOKEN,
                ...(call.body !== undefined ? { body: call.body } : {}),
              });
              expect(reference.status).toBe(404);
              expect(anonymised(foreign.response, foreign.id)).toEqual(
                anonymised(reference, missing),
              );
            }
          }
        });
      }
    }
  });

  describe('the history records which token did what', () => {
    it('actor.tokenId is the id POST /api/tokens gave, or env:ADMIN_TOKEN', async () => {
      const events = `/api/programmes/${c.a}/workflow/events`;
      const steps: [string, string, Record<string, unknown>][] = [
        ['admin-all (ADMIN_TOKEN)', 'roles.assign', payloads.internalRoles],
        ['admin-A', 'forstudie.start', {}],
        ...['F1', 'F2', 'F3', 'F4', 'F5', 'F6'].map(
          (activityId): [string, string, Record<string, unknown>] => [
            'projectLeader-A',
            'activity.complete',
            { activityId },
          ],
        ),
        ['projectLeader-A', 'report.submit', payloads.forstudieReport],
        ['board-A', 'report.approve', { meetingRef: 'PS 12/26' }],
      ];
      for (const [name, type, payload] of steps) {
        const response = await h.request('POST', events, {
          token: c.secrets[name]!,
          body: { type, ...payload },
        });
        expect({ name, type, status: response.status, text: response.text }).toMatchObject({
          status: 200,
        });
      }

      const history = await h.request<{
        items: { event: { type: string }; actor: { tokenId: string; role: string } }[];
      }>('GET', `/api/programmes/${c.a}/workflow/history?limit=200`, {
        token: c.secrets['auditor-A']!,
      });
      expect(history.status).toBe(200);
      const recorded = history.body.items.slice(-steps.length).map((entry) => ({
        type: entry.event.type,
        actor: entry.actor,
      }));
      const tokenIdOf = (name: string) =>
        name === 'admin-all (ADMIN_TOKEN)' ? ENV_ADMIN : c.tokenIds[name];
      const roleOf = (name: string) => CALLERS.find((x) => x.name === name)!.role;
      expect(recorded).toEqual(
        steps.map(([name, type]) => ({
          type,
          actor: { tokenId: tokenIdOf(name), role: roleOf(name) },
        })),
      );
      // The programme was created with ADMIN_TOKEN: the first entry says so.
      expect(history.body.items[0]!.actor).toEqual({ tokenId: ENV_ADMIN, role: 'admin' });
      expect(Object.values(c.tokenIds)).not.toContain(ENV_ADMIN);
    });
  });

  describe('who may send which event', () => {
    it.each(EVENTS)('%s', async (type, payload) => {
      const path = `/api/programmes/${c.a}/workflow/events`;
      const denied = VALID_CALLERS.filter((caller) => !maySend(caller.role!, type));
      const allowed = VALID_CALLERS.filter((caller) => maySend(caller.role!, type));

      const before = await workflowVersion();
      const refusals = await Promise.all(
        denied.map((caller) => send(caller, { method: 'POST', path, body: { type, ...payload } })),
      );
      for (const [index, caller] of denied.entries()) {
        const response = refusals[index]!;
        const where = `${type} as ${caller.name}: ${describeResponse(response)}`;
        expect({ where, status: response.status }).toEqual({ where, status: 403 });
        expect(response.headers.get('content-type')).toMatch(PROBLEM);
        expect(response.body).toMatchObject({
          status: 403,
          type: 'urn:videreforing:problem:event-not-permitted',
        });
        expect((response.body as { roles: string[] }).roles).toContain('admin');
        expect((response.body as { roles: string[] }).roles).not.toContain(caller.role);
      }
      expect(await workflowVersion()).toBe(before);

      for (const caller of allowed) {
        const response = await send(caller, { method: 'POST', path, body: { type, ...payload } });
        const where = `${type} as ${caller.name}: ${describeResponse(response)}`;
        expect({ where, denied: [401, 403, 404].includes(response.status) }).toEqual({
          where,
          denied: false,
        });
        expect(response.status).toBeLessThan(500);
      }
    });
  });
});
