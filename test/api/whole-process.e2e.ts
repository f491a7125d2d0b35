import { dialects } from '../support/databases';
import { programmeBody, useHttpApp, type ApiResponse } from '../support/http-harness';
import {
  forprosjektIds,
  forstudieIds,
  hovedprosjektIds,
  payloads,
} from '../support/videreforing-driver';
import { SPEC_EVENT_ROLES } from '../support/spec-roles';

/**
 * One municipality's whole videreføring, from the programme's creation to `etablert`, through the
 * REST API alone (SPEC §4): every role acts with its own token, the auditor reads what happened.
 */

const EVENT_ROLES = SPEC_EVENT_ROLES;

const VIEW_KEYS = [
  'programmeId',
  'definition',
  'definitionVersion',
  'phase',
  'state',
  'status',
  'version',
  'context',
  'deadlines',
  'nextEvents',
];

interface Caller {
  role: 'admin' | 'board' | 'projectLeader' | 'auditor';
  tokenId: string;
  token: string;
}

interface Sent {
  type: string;
  payload: Record<string, unknown>;
  tokenId: string;
  role: string;
  from: string;
  to: string;
  version: number;
  at: string;
}

/** `YYYY-MM-DD` plus whole days (calendar arithmetic on the date alone). */
function plusDays(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + days);
  return date.toISOString().slice(0, 10);
}

/** `YYYY-MM-DD` plus calendar months (no day in these tests is past the 28th). */
function plusMonths(day: string, months: number): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCMonth(date.getUTCMonth() + months);
  return date.toISOString().slice(0, 10);
}

function deadlineOf(view: any, key: string): any {
  const found = view.deadlines.find((d: any) => (d.key ?? d.kind) === key);
  if (!found) {
    throw new Error(
      `No deadline ${key} in ${JSON.stringify(view.deadlines.map((d: any) => d.key ?? d.kind))}`,
    );
  }
  return found;
}

function nextEvent(view: any, type: string): any {
  const found = view.nextEvents.find((e: any) => e.type === type);
  if (!found) throw new Error(`No next event ${type}`);
  return found;
}

/** The contract of a workflow view (SPEC §4.1), whatever the state. */
function expectWorkflowView(response: ApiResponse, programmeId: string): void {
  const view = response.body;
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  for (const key of VIEW_KEYS) expect(view).toHaveProperty(key);
  expect(view.programmeId).toBe(programmeId);
  expect(view.definition).toBe('videreforing');
  expect(typeof view.definitionVersion).toBe('string');
  expect(view.definitionVersion.length).toBeGreaterThan(0);
  expect(view.state.split('.')[0]).toBe(view.phase);
  expect(Number.isInteger(view.version)).toBe(true);
  expect(response.headers.get('etag')).toBe(`"${view.version}"`);
  expect(typeof view.context).toBe('object');
  for (const deadline of view.deadlines) {
    expect(deadline).toEqual(
      expect.objectContaining({
        kind: expect.any(String),
        due: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        met: expect.any(Boolean),
        recipients: expect.any(Array),
      }),
    );
  }
  expect(view.nextEvents.map((e: any) => e.type)).toEqual(
    expect.arrayContaining(Object.keys(EVENT_ROLES)),
  );
  for (const entry of view.nextEvents) {
    expect(Object.keys(entry).sort()).toEqual(['allowed', 'blockedBy', 'roles', 'type']);
    expect(typeof entry.allowed).toBe('boolean');
    expect(entry.allowed).toBe(entry.blockedBy.length === 0);
    for (const blocker of entry.blockedBy) {
      expect(blocker).toEqual(
        expect.objectContaining({ guard: expect.any(String), message: expect.any(String) }),
      );
    }
    if (EVENT_ROLES[entry.type]) expect(entry.roles).toEqual(EVENT_ROLES[entry.type]);
  }
}

describe.each(dialects())('the whole videreføring over HTTP on %s', (dialect) => {
  const h = useHttpApp(dialect);

  const callers = {} as Record<Caller['role'], Caller>;
  const sent: Sent[] = [];
  let programmeId = '';
  let createdAt = '';
  /** The view just after the board rejected the first forstudierapport. */
  let afterRejection: any;
  let rejectionAt = '';
  let final: any;

  const today = () => h.clock.now().toISOString().slice(0, 10);

  async function createToken(role: Caller['role'], programmeIds?: string[]): Promise<Caller> {
    const response = await h.request('POST', '/api/tokens', {
      token: callers.admin?.token,
      body: { role, label: `Nordkyn ${role}`, ...(programmeIds ? { programmeIds } : {}) },
    });
    expect({ status: response.status, body: response.body }).toMatchObject({
      status: 201,
      body: { role, label: `Nordkyn ${role}`, programmeIds: programmeIds ?? null },
    });
    expect(response.body.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.body.token).toEqual(expect.any(String));
    return { role, tokenId: response.body.id, token: response.body.token };
  }

  async function workflow(caller: Caller = callers.auditor): Promise<any> {
    const response = await h.request('GET', `/api/programmes/${programmeId}/workflow`, {
      token: caller.token,
    });
    expect({ status: response.status, body: response.body }).toMatchObject({ status: 200 });
    expectWorkflowView(response, programmeId);
    return response.body;
  }

  /** Sends an event as `caller`; it must be accepted with the next version and a full view. */
  async function send(
    caller: Caller,
    type: string,
    payload: Record<string, unknown> = {},
  ): Promise<any> {
    const previous = sent[sent.length - 1];
    const from = previous ? previous.to : 'initiering.forberedelse';
    const version = previous ? previous.version + 1 : 2;
    const response = await h.request('POST', `/api/programmes/${programmeId}/workflow/events`, {
      token: caller.token,
      body: { type, ...payload },
    });
    expect({ type, status: response.status, body: response.body }).toMatchObject({
      type,
      status: 200,
      body: { programmeId, version },
    });
    expectWorkflowView(response, programmeId);
    sent.push({
      type,
      payload,
      tokenId: caller.tokenId,
      role: caller.role,
      from,
      to: response.body.state,
      version,
      at: h.clock.now().toISOString(),
    });
    return response.body;
  }

  it('runs the process from creation to etablert, each role with its own token', async () => {
    // --- Initiering ---------------------------------------------------------------------------
    callers.admin = await createToken('admin');
    const created = await h.request('POST', '/api/programmes', {
      token: callers.admin.token,
      body: programmeBody(),
    });
    expect({ status: created.status, body: created.body }).toMatchObject({
      status: 201,
      body: {
        municipality: 'Nordkyn',
        programmeEnd: '2028-12-31',
        phase: 'initiering',
        state: 'initiering.forberedelse',
        status: 'active',
        version: 1,
        nextDeadline: { kind: 'latestStart', due: '2026-12-31', overdue: false },
      },
    });
    programmeId = created.body.id;
    createdAt = h.clock.now().toISOString();
    expect(created.headers.get('location')).toBe(`/api/programmes/${programmeId}`);

    callers.board = await createToken('board', [programmeId]);
    callers.projectLeader = await createToken('projectLeader', [programmeId]);
    callers.auditor = await createToken('auditor', [programmeId]);

    let view = await workflow();
    expect(view).toMatchObject({
      phase: 'initiering',
      state: 'initiering.forberedelse',
      status: 'active',
      version: 1,
    });
    expect(view.deadlines).toEqual([
      expect.objectContaining({ kind: 'latestStart', due: '2026-12-31', met: false }),
    ]);
    expect(nextEvent(view, 'forstudie.start')).toMatchObject({
      allowed: false,
      blockedBy: [expect.objectContaining({ guard: 'hasRolesInPlace' })],
    });

    view = await send(callers.admin, 'roles.assign', payloads.externalRoles);
    expect(view.state).toBe('initiering.forberedelse');
    expect(view.context.roles.prosjektleder).toMatchObject({ external: true });
    expect(nextEvent(view, 'forstudie.start')).toMatchObject({
      allowed: false,
      blockedBy: [expect.objectContaining({ guard: 'hasContractIfExternalLeader' })],
    });

    view = await send(callers.admin, 'tender.publish', {
      publishedAt: today(),
      answerDeadline: plusDays(today(), 28),
      reference: 'Doffin 2026-123',
    });
    expect(view.state).toBe('initiering.anbudUte');
    expect(deadlineOf(view, 'tenderAnswer')).toMatchObject({
      kind: 'tenderAnswer',
      due: '2026-03-30',
      met: false,
      recipients: ['administrators'],
    });

    h.clock.advanceDays(31); // 2026-04-02: the tender has been answered
    view = await send(callers.admin, 'contract.award', {
      consultant: payloads.contract.consultant,
      awardedAt: today(),
      feeNok: 180_000,
    });
    expect(view.state).toBe('initiering.kontraktTildelt');
    expect(deadlineOf(view, 'tenderAnswer')).toMatchObject({ met: true });
    expect(nextEvent(view, 'forstudie.start')).toMatchObject({ allowed: true, blockedBy: [] });

    // --- Forstudie ----------------------------------------------------------------------------
    const forstudieStart = today();
    view = await send(callers.admin, 'forstudie.start', {});
    expect(view).toMatchObject({ phase: 'forstudie', state: 'forstudie.arbeid' });
    expect(view.context.phases.forstudie).toMatchObject({ startDay: forstudieStart });
    expect(deadlineOf(view, 'latestStart')).toMatchObject({ due: '2026-12-31', met: true });
    expect(deadlineOf(view, 'forstudieEnd')).toMatchObject({
      due: plusDays(forstudieStart, 42),
      met: false,
      recipients: ['board', 'prosjektleder'],
    });
    expect(deadlineOf(view, 'forstudieEnd').due).toBe('2026-05-14');
    expect(nextEvent(view, 'report.submit')).toMatchObject({
      allowed: false,
      blockedBy: [expect.objectContaining({ guard: 'hasCompletedAllActivities' })],
    });

    for (const activityId of forstudieIds) {
      h.clock.advanceDays(3);
      view = await send(callers.projectLeader, 'activity.complete', {
        activityId,
        note: `${activityId} gjort`,
      });
      expect(view.context.activities[activityId]).toMatchObject({
        completed: true,
        completedBy: callers.projectLeader.tokenId,
      });
    }
    view = await send(callers.projectLeader, 'cost.record', {
      category: 'konsulenthonorar',
      amountNok: 60_000,
      date: today(),
      description: 'Rådgiver AS, forstudien',
    });
    view = await send(callers.projectLeader, 'cost.record', {
      category: 'interneRessurser',
      amountNok: 25_000,
      date: today(),
      description: '10 dagsverk i kommunen',
    });
    expect(view.context.costs).toEqual([
      expect.objectContaining({
        phase: 'forstudie',
        category: 'konsulenthonorar',
        amountNok: 60_000,
      }),
      expect.objectContaining({
        phase: 'forstudie',
        category: 'interneRessurser',
        amountNok: 25_000,
      }),
    ]);
    expect(nextEvent(view, 'report.submit')).toMatchObject({ allowed: true, blockedBy: [] });

    h.clock.advanceDays(1); // 2026-04-21
    const firstSubmission = today();
    view = await send(callers.projectLeader, 'report.submit', payloads.forstudieReport);
    expect(view.state).toBe('forstudie.rapportTilBehandling');
    expect(deadlineOf(view, 'reportDecision:forstudie:1')).toMatchObject({
      kind: 'reportDecision',
      due: plusDays(firstSubmission, 14),
      met: false,
      recipients: ['board'],
    });

    h.clock.advanceDays(7); // 2026-04-28
    view = await send(callers.board, 'report.reject', {
      reason: 'Alternativ 2 må utredes bedre',
    });
    expect(view.state).toBe('forstudie.arbeid');
    expect(view.context.reports.forstudie.decisions).toEqual([
      expect.objectContaining({
        decision: 'rejected',
        reason: 'Alternativ 2 må utredes bedre',
        submission: 1,
        by: callers.board.tokenId,
      }),
    ]);
    expect(deadlineOf(view, 'reportDecision:forstudie:1')).toMatchObject({ met: true });
    afterRejection = view;
    rejectionAt = h.clock.now().toISOString();

    h.clock.advanceDays(3); // 2026-05-01
    const secondSubmission = today();
    view = await send(callers.projectLeader, 'report.submit', {
      ...payloads.forstudieReport,
      documentRef: 'sak-2026/17-v2',
    });
    expect(view.state).toBe('forstudie.rapportTilBehandling');
    expect(view.context.reports.forstudie.submissions).toHaveLength(2);
    expect(deadlineOf(view, 'reportDecision:forstudie:2')).toMatchObject({
      due: plusDays(secondSubmission, 14),
      met: false,
    });

    // The programme list and the deadline list, as the auditor sees them now.
    const programmes = await h.request('GET', '/api/programmes', {
      token: callers.auditor.token,
    });
    expect(programmes.status).toBe(200);
    expect(programmes.body).toEqual({
      items: [
        expect.objectContaining({
          id: programmeId,
          municipality: 'Nordkyn',
          phase: 'forstudie',
          state: 'forstudie.rapportTilBehandling',
          status: 'active',
          version: view.version,
          nextDeadline: expect.objectContaining({
            kind: 'forstudieEnd',
            due: '2026-05-14',
            overdue: false,
          }),
        }),
      ],
      nextCursor: null,
    });
    const deadlines = await h.request('GET', '/api/deadlines?before=2030-01-01', {
      token: callers.auditor.token,
    });
    expect(deadlines.status).toBe(200);
    expect(deadlines.body).toEqual({
      items: [
        expect.objectContaining({
          programmeId,
          municipality: 'Nordkyn',
          kind: 'forstudieEnd',
          due: '2026-05-14',
          met: false,
          overdue: false,
          recipients: ['board', 'prosjektleder'],
        }),
        expect.objectContaining({
          programmeId,
          kind: 'reportDecision',
          key: 'reportDecision:forstudie:2',
          due: '2026-05-15',
          met: false,
          recipients: ['board'],
        }),
      ],
      nextCursor: null,
    });
    const soon = await h.request('GET', '/api/deadlines?before=2026-05-15', {
      token: callers.auditor.token,
    });
    expect(soon.body.items.map((d: any) => d.kind)).toEqual(['forstudieEnd']);

    h.clock.advanceDays(6); // 2026-05-07
    view = await send(callers.board, 'report.approve', { meetingRef: 'PS 12/26' });
    expect(view.state).toBe('forstudie.rapportGodkjent');
    expect(deadlineOf(view, 'forstudieEnd')).toMatchObject({ met: true });
    expect(deadlineOf(view, 'reportDecision:forstudie:2')).toMatchObject({ met: true });

    // 50 % of the consultant fees recorded so far (60 000): exactly at the limit.
    view = await send(callers.admin, 'funding.apply', { amountNok: 30_000, appliedAt: today() });
    expect(view.state).toBe('forstudie.rapportGodkjent');
    expect(view.context.fundingApplications).toEqual([
      expect.objectContaining({ amountNok: 30_000, appliedAt: today() }),
    ]);

    // --- Forprosjekt --------------------------------------------------------------------------
    h.clock.advanceDays(7); // 2026-05-14
    const forprosjektStart = today();
    view = await send(callers.admin, 'forprosjekt.start', payloads.owners);
    expect(view).toMatchObject({ phase: 'forprosjekt', state: 'forprosjekt.arbeid' });
    expect(view.context.owners).toEqual(payloads.owners.owners);
    expect(deadlineOf(view, 'forprosjektEnd')).toMatchObject({
      due: plusMonths(forprosjektStart, 6),
      met: false,
      recipients: ['board', 'prosjektleder'],
    });
    expect(deadlineOf(view, 'forprosjektEnd').due).toBe('2026-11-14');

    for (const activityId of forprosjektIds) {
      h.clock.advanceDays(14);
      view = await send(callers.projectLeader, 'activity.complete', { activityId });
    }
    view = await send(callers.projectLeader, 'cost.record', {
      category: 'konsulenthonorar',
      amountNok: 120_000,
      date: today(),
      description: 'Rådgiver AS, forprosjektet',
    });
    const forprosjektSubmission = today();
    view = await send(callers.projectLeader, 'report.submit', payloads.forprosjektReport);
    expect(view.state).toBe('forprosjekt.rapportTilBehandling');
    expect(deadlineOf(view, 'reportDecision:forprosjekt:1')).toMatchObject({
      due: plusDays(forprosjektSubmission, 14),
      met: false,
    });

    h.clock.advanceDays(10);
    view = await send(callers.board, 'report.approve', { meetingRef: 'PS 31/26' });
    expect(view.state).toBe('forprosjekt.rapportGodkjent');
    expect(deadlineOf(view, 'forprosjektEnd')).toMatchObject({ met: true });

    // 50 % of all consultant fees (180 000) is 90 000; 30 000 was applied for already.
    view = await send(callers.admin, 'funding.apply', { amountNok: 60_000, appliedAt: today() });
    expect(view.context.fundingApplications).toHaveLength(2);

    // --- Hovedprosjekt ------------------------------------------------------------------------
    h.clock.advanceDays(18);
    const hovedprosjektStart = today();
    view = await send(callers.admin, 'hovedprosjekt.start', {});
    expect(view).toMatchObject({ phase: 'hovedprosjekt', state: 'hovedprosjekt.arbeid' });
    expect(deadlineOf(view, 'hovedprosjektEnd')).toMatchObject({
      due: plusMonths(hovedprosjektStart, 6),
      met: false,
      recipients: ['board', 'prosjektansvarlig'],
    });
    expect(nextEvent(view, 'hovedprosjekt.complete')).toMatchObject({
      allowed: false,
      blockedBy: [
        expect.objectContaining({ guard: 'hasRegisteredCompany' }),
        expect.objectContaining({ guard: 'hasElectedBoard' }),
        expect.objectContaining({ guard: 'hasStartedRecruitment' }),
      ],
    });

    for (const activityId of hovedprosjektIds) {
      h.clock.advanceDays(14);
      view = await send(callers.projectLeader, 'activity.complete', { activityId });
    }
    view = await send(callers.admin, 'company.register', {
      ...payloads.company,
      foundedAt: today(),
    });
    expect(view.context.company).toMatchObject({ organisasjonsnummer: '923609016' });
    view = await send(callers.admin, 'board.elect', {
      members: [
        { name: 'Kari Nordmann', role: 'styreleder' },
        { name: 'Per Pedersen', role: 'styremedlem' },
      ],
      electedAt: today(),
    });
    expect(view.context.companyBoard.members).toHaveLength(2);
    expect(nextEvent(view, 'hovedprosjekt.complete')).toMatchObject({
      allowed: true,
      blockedBy: [],
    });

    view = await send(callers.admin, 'hovedprosjekt.complete', {});
    expect(view).toMatchObject({ phase: 'etablert', state: 'etablert', status: 'done' });
    expect(view.deadlines.every((d: any) => d.met)).toBe(true);
    expect(view.nextEvents.every((e: any) => !e.allowed)).toBe(true);
    final = view;

    // Every event went through; the phases were reached in order.
    expect(sent.map((s) => s.to.split('.')[0])).toEqual([
      ...Array<string>(3).fill('initiering'),
      ...Array<string>(1 + 6 + 2 + 4 + 1).fill('forstudie'),
      ...Array<string>(1 + 8 + 1 + 2 + 1).fill('forprosjekt'),
      ...Array<string>(1 + 5 + 2).fill('hovedprosjekt'),
      'etablert',
    ]);
  }, 60_000);

  it('lets the auditor read the final workflow', async () => {
    const view = await workflow(callers.auditor);
    expect(view).toMatchObject({
      phase: 'etablert',
      state: 'etablert',
      status: 'done',
      version: final.version,
    });
    expect(view.context).toEqual(final.context);

    const one = await h.request('GET', `/api/programmes/${programmeId}`, {
      token: callers.auditor.token,
    });
    expect(one.body).toMatchObject({
      id: programmeId,
      phase: 'etablert',
      state: 'etablert',
      status: 'done',
      version: final.version,
      nextDeadline: null,
    });
    const list = await h.request('GET', '/api/programmes', { token: callers.auditor.token });
    expect(list.body.items).toEqual([
      expect.objectContaining({ id: programmeId, state: 'etablert', nextDeadline: null }),
    ]);
    const deadlines = await h.request('GET', '/api/deadlines?before=2030-01-01', {
      token: callers.auditor.token,
    });
    expect(deadlines.body).toEqual({ items: [], nextCursor: null });
  });

  it('gives the auditor the history page by page, oldest first, each entry with its sender', async () => {
    const entries: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=7&cursor=${encodeURIComponent(cursor)}` : '?limit=7';
      const page = await h.request(
        'GET',
        `/api/programmes/${programmeId}/workflow/history${query}`,
        {
          token: callers.auditor.token,
        },
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(7);
      entries.push(...page.body.items);
      cursor = page.body.nextCursor;
      pages += 1;
      expect(pages).toBeLessThan(20);
    } while (cursor !== null);

    expect(entries).toHaveLength(sent.length + 1);
    expect(pages).toBe(Math.ceil(entries.length / 7));
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_e, i) => i + 1));
    const times = entries.map((e) => e.at);
    expect([...times].sort()).toEqual(times);

    const [creation, ...events] = entries;
    expect(creation).toMatchObject({
      seq: 1,
      at: createdAt,
      actor: { tokenId: callers.admin.tokenId, role: 'admin' },
      event: { type: 'workflow.created' },
      from: null,
      to: 'initiering.forberedelse',
    });
    events.forEach((entry, index) => {
      const expected = sent[index]!;
      expect(entry).toEqual(
        expect.objectContaining({
          seq: index + 2,
          at: expected.at,
          actor: { tokenId: expected.tokenId, role: expected.role },
          event: { type: expected.type, payload: expected.payload },
          from: expected.from,
          to: expected.to,
        }),
      );
    });
    entries.forEach((entry, index) => {
      expect(entry.hash).toMatch(/^[0-9a-f]{16,}$/);
      expect(typeof entry.prevHash).toBe('string');
      if (index > 0) expect(entry.prevHash).toBe(entries[index - 1].hash);
    });
    expect(new Set(entries.map((e) => e.hash)).size).toBe(entries.length);
    // Each role's token is the one recorded for what it did.
    const byRole = (role: string) =>
      new Set(events.filter((e) => e.actor.role === role).map((e) => e.actor.tokenId));
    expect(byRole('projectLeader')).toEqual(new Set([callers.projectLeader.tokenId]));
    expect(byRole('board')).toEqual(new Set([callers.board.tokenId]));
    expect(byRole('admin')).toEqual(new Set([callers.admin.tokenId]));
    expect(byRole('auditor').size).toBe(0);
  });

  it('lets the auditor verify the history chain', async () => {
    const verify = await h.request('GET', `/api/programmes/${programmeId}/workflow/verify`, {
      token: callers.auditor.token,
    });
    expect(verify.status).toBe(200);
    expect(verify.body).toEqual(expect.objectContaining({ valid: true, entries: sent.length + 1 }));
    expect(verify.body.brokenAt).toBeUndefined();
  });

  it('shows the auditor the state at a past moment in the forstudie', async () => {
    // A day after the rejection, before the resubmission three days later.
    const moment = new Date(Date.parse(rejectionAt) + 86_400_000).toISOString();
    const at = await h.request(
      'GET',
      `/api/programmes/${programmeId}/workflow/at?time=${encodeURIComponent(moment)}`,
      { token: callers.auditor.token },
    );
    expect({ status: at.status, body: at.body }).toMatchObject({ status: 200 });
    expect(at.body).toMatchObject({
      programmeId,
      definition: 'videreforing',
      phase: 'forstudie',
      state: 'forstudie.arbeid',
      status: 'active',
      version: afterRejection.version,
    });
    expect(at.body.context).toEqual(afterRejection.context);
    expect(at.body.context.reports.forstudie.submissions).toHaveLength(1);
    expect(deadlineOf(at.body, 'forstudieEnd')).toMatchObject({ due: '2026-05-14', met: false });

    // A calendar date means the end of that day in Oslo: the first submission (21 April) stood.
    const byDay = await h.request(
      'GET',
      `/api/programmes/${programmeId}/workflow/at?time=2026-04-21`,
      { token: callers.auditor.token },
    );
    expect(byDay.status).toBe(200);
    expect(byDay.body).toMatchObject({ state: 'forstudie.rapportTilBehandling' });
    expect(byDay.body.context.reports.forstudie.decisions).toEqual([]);

    const before = await h.request(
      'GET',
      `/api/programmes/${programmeId}/workflow/at?time=2026-03-01`,
      { token: callers.auditor.token },
    );
    expect(before.status).toBe(404);
  });
});
