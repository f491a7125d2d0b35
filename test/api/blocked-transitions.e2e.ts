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
 * Every blocked transition of SPEC §2 over HTTP: 409 problem+json naming each guard with its exact
 * Norwegian reason (texts of workflows/videreforing/guards.ts), and nothing changed. Also the role
 * check (403) and optimistic concurrency with If-Match (412).
 */

const START = '2026-03-02T08:00:00.000Z';

jest.setTimeout(30_000);

type Role = 'admin' | 'board' | 'projectLeader' | 'auditor';

const EVENT_ROLES = SPEC_EVENT_ROLES;

/** A valid payload for every event type (SPEC §4.2). */
const VALID: Record<string, Record<string, unknown>> = {
  'roles.assign': payloads.internalRoles,
  'tender.publish': payloads.tender,
  'contract.award': payloads.contract,
  'forstudie.start': {},
  'activity.complete': { activityId: 'F1' },
  'activity.reopen': { activityId: 'F1', reason: 'Må gjøres om' },
  'cost.record': {
    category: 'andreKostnader',
    amountNok: 1_000,
    date: '2026-03-02',
    description: 'Møteleie',
  },
  'funding.apply': { amountNok: 1, appliedAt: '2026-03-02' },
  'report.submit': payloads.forstudieReport,
  'report.approve': {},
  'report.reject': { reason: 'Ufullstendig' },
  'budgetOverrun.approve': { newFrameNok: 120_000, reason: 'Utvidet kartlegging' },
  'forprosjekt.start': payloads.owners,
  'hovedprosjekt.start': {},
  'company.register': payloads.company,
  'board.elect': payloads.board,
  'hovedprosjekt.complete': {},
  'workflow.cancel': { reason: 'Kommunen avslutter' },
};

// ---- The guards' reasons, computed as guards.ts words them ---------------------------------------

/** «F3 og F5», «F1, F2 og F3». */
function listNb(items: readonly string[]): string {
  return items.length <= 1
    ? items.join('')
    : `${items.slice(0, -1).join(', ')} og ${items[items.length - 1]}`;
}

/** «100 000 kr». */
function nok(amount: number): string {
  return `${String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ' ')} kr`;
}

const reason = {
  hasRolesInPlace: `Forstudien kan ikke starte før ${listNb(['prosjekteier', 'prosjektansvarlig', 'prosjektleder'])} er på plass`,
  hasContractIfExternalLeader:
    'Prosjektlederen er ekstern konsulent, men oppdraget er ikke tildelt etter anbud',
  hasPublishedTender: 'Oppdraget må legges ut på anbud før kontrakten kan tildeles',
  hasNoAwardedContract: (name: string, organisation: string) =>
    `Kontrakten er allerede tildelt ${name} (${organisation})`,
  isValidTenderPeriod: (answerDeadline: string, publishedAt: string) =>
    `Svarfristen (${answerDeadline}) kan ikke være før anbudet ble publisert (${publishedAt})`,
  isWithinLatestStartOrJustified: (latest: string, end: string) =>
    `Forstudien skulle vært startet senest ${latest} (to år før programslutt ${end}); en skriftlig begrunnelse (lateStartJustification) kreves for å starte senere`,
  hasCompletedAllActivities: (open: string[], inPhase: string) =>
    `${open.length === 1 ? 'Aktivitet' : 'Aktivitetene'} ${listNb(open)} ${inPhase} er ikke fullført`,
  isOpenActivityOfPhaseDone: (id: string, inPhase: string) =>
    `Aktivitet ${id} ${inPhase} er allerede fullført`,
  unknownActivity: (id: string, inPhase: string, range: string) =>
    `Aktivitet «${id}» finnes ikke ${inPhase}; gyldige er ${range}`,
  isCompletedActivityOfPhase: (id: string, inPhase: string) =>
    `Aktivitet ${id} ${inPhase} er ikke fullført og kan ikke gjenåpnes`,
  documentRef: 'Rapporten mangler dokumentreferanse (documentRef)',
  minAlternatives: (count: number) =>
    `Forstudierapporten må ha minst 2 alternativer; den har ${count}`,
  alternativeLacks: (index: number, fields: string[]) =>
    `Alternativ ${index} mangler ${listNb(fields)}`,
  forprosjektSections: (sections: string[]) =>
    `Forprosjektrapporten gjør ikke greie for ${listNb(sections)}`,
  costFrame: (spent: number, frame: number) =>
    `Kostnadene i forstudien (${nok(spent)}) overstiger rammen på ${nok(frame)}; styret må godkjenne overskridelsen før rapporten kan godkjennes`,
  exceedsCostFrame: (newFrame: number) =>
    `En overskridelse gjelder en ny ramme over ${nok(100_000)}; ${nok(newFrame)} er innenfor rammen`,
  hasApprovedForstudieReport:
    'Forprosjektet kan ikke starte før forstudierapporten er godkjent av omstillingsstyret',
  hasApprovedForprosjektReport:
    'Hovedprosjektet kan ikke starte før forprosjektrapporten er godkjent av omstillingsstyret',
  ownersSum: (sum: string) => `Eierandelene summerer til ${sum} %, ikke 100 %`,
  noOwners: 'Forprosjektet må ha minst én eier',
  zeroShare: 'Hver eier må ha en andel over 0 %',
  funding: (ceiling: number, remaining: number, amount: number) =>
    `Innovasjon Norge kan dekke inntil 50 % av registrert konsulenthonorar i forstudie og forprosjekt: høyst ${nok(ceiling)} i alt, ${nok(remaining)} gjenstår; søknaden er på ${nok(amount)}`,
  hasRegisteredCompany: 'Selskapet er ikke stiftet og registrert med organisasjonsnummer',
  hasElectedBoard: 'Styret i selskapet er ikke valgt',
  hasStartedRecruitment:
    'Prosessen med å rekruttere daglig leder er ikke startet (aktivitet H5 er ikke fullført)',
  hasBoardMembers: 'Styret må ha minst ett medlem',
  isAcceptedInState: (event: string, state: string) =>
    `«${event}» er ikke mulig i tilstanden «${state}»`,
  isWorkflowActive: (state: string) =>
    `Arbeidsflyten er avsluttet («${state}»); ingen flere hendelser kan sendes`,
};

type Blockers = [guard: string, message: string][];

interface Observed {
  view: any;
  etag: string | null;
  history: any[];
}

describe.each(dialects())('blocked transitions over HTTP on %s', (dialect) => {
  const h = useHttpApp(dialect);
  const tokens = {} as Record<Role, string | undefined>;

  beforeAll(async () => {
    tokens.admin = undefined; // the harness's ADMIN_TOKEN
    tokens.board = await h.token('board');
    tokens.projectLeader = await h.token('projectLeader');
    tokens.auditor = await h.token('auditor');
  });

  beforeEach(() => h.clock.set(START));

  /** The role that ordinarily sends an event: the leader its work, the board its decisions. */
  function senderOf(type: string): Role {
    const roles = EVENT_ROLES[type] ?? ['admin'];
    return roles.find((r) => r !== 'admin') ?? 'admin';
  }

  function expectProblem(response: ApiResponse, status: number, slug: string): void {
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({
      type: `urn:videreforing:problem:${slug}`,
      status,
      title: expect.any(String),
      detail: expect.any(String),
    });
  }

  class Programme {
    private observed: { at: string; value: Observed } | undefined;
    /** What was seen before refused requests whose «nothing changed» is still to be checked. */
    private unverified: { at: string; value: Observed } | undefined;

    constructor(readonly id: string) {}

    get path(): string {
      return `/api/programmes/${this.id}/workflow`;
    }

    /** What an outsider can see: the workflow view with its ETag, and the whole history. */
    async observe(): Promise<Observed> {
      await this.verify();
      return this.fetch();
    }

    private async fetch(): Promise<Observed> {
      const at = h.clock.now().toISOString();
      if (this.observed?.at === at) return this.observed.value;
      const [view, history] = await Promise.all([
        h.request('GET', this.path),
        h.request('GET', `${this.path}/history?limit=200`),
      ]);
      expect(view.status).toBe(200);
      expect(history.status).toBe(200);
      expect(history.body.nextCursor).toBeNull();
      const value = {
        view: view.body,
        etag: view.headers.get('etag'),
        history: history.body.items,
      };
      this.observed = { at, value };
      return value;
    }

    /**
     * Checks that the refused requests since the last check changed nothing: the same version,
     * state, context and ETag, and not one history entry more. Runs before anything else is done
     * with the programme and after each test.
     */
    async verify(): Promise<void> {
      const pending = this.unverified;
      if (!pending) return;
      this.unverified = undefined;
      this.observed = undefined;
      const before = pending.value;
      const after = await this.fetch();
      expect(after.view.version).toBe(before.view.version);
      expect(after.view.state).toBe(before.view.state);
      expect(after.view.context).toEqual(before.view.context);
      expect(after.etag).toBe(before.etag);
      expect(after.history).toHaveLength(before.history.length);
      expect(after.history).toEqual(before.history);
      // Deadlines and next events are judged at the current time: equal while the clock stood.
      if (pending.at === h.clock.now().toISOString()) expect(after.view).toEqual(before.view);
    }

    private async refuse(
      type: string,
      payload: Record<string, unknown>,
      role: Role,
      headers: Record<string, string> = {},
    ): Promise<{ before: Observed; response: ApiResponse }> {
      const before = this.unverified?.value ?? (await this.fetch());
      this.unverified ??= { at: h.clock.now().toISOString(), value: before };
      const response = await h.request('POST', `${this.path}/events`, {
        token: tokens[role],
        body: { type, ...payload },
        headers,
      });
      return { before, response };
    }

    /** An event that must be accepted. */
    async send(
      type: string,
      payload: Record<string, unknown> = {},
      role: Role = senderOf(type),
      headers: Record<string, string> = {},
    ): Promise<any> {
      await this.verify();
      this.observed = undefined;
      const response = await h.request('POST', `${this.path}/events`, {
        token: tokens[role],
        body: { type, ...payload },
        headers,
      });
      expect({ type, status: response.status, body: response.body }).toMatchObject({
        type,
        status: 200,
      });
      expect(response.headers.get('etag')).toBe(`"${response.body.version}"`);
      return response.body;
    }

    /**
     * An event that must be refused with 409 naming exactly `expected` (guard and Norwegian
     * message, in order) and change nothing (checked by `verify`).
     * `inNextEvents`: the guard does not read the payload, so `nextEvents` says the same already.
     */
    async blocked(
      type: string,
      payload: Record<string, unknown>,
      expected: Blockers,
      options: { role?: Role; inNextEvents?: boolean } = {},
    ): Promise<any> {
      const { before, response } = await this.refuse(type, payload, options.role ?? senderOf(type));
      expect({ type, status: response.status, body: response.body }).toMatchObject({
        type,
        status: 409,
      });
      expectProblem(response, 409, 'transition-blocked');
      const problem = response.body;
      expect(problem.blockedBy.map((b: any) => [b.guard, b.message])).toEqual(expected);
      for (const blocker of problem.blockedBy) {
        expect(typeof blocker.messageEn).toBe('string');
        expect(blocker.messageEn.length).toBeGreaterThan(0);
      }
      expect(problem).toMatchObject({
        event: type,
        state: before.view.state,
        detail: expected.map(([, message]) => message).join('; '),
        instance: `${this.path}/events`,
      });
      if (options.inNextEvents) {
        const next = before.view.nextEvents.find((e: any) => e.type === type);
        expect(next).toEqual({
          type,
          allowed: false,
          blockedBy: problem.blockedBy,
          roles: EVENT_ROLES[type],
        });
      }
      return problem;
    }

    /** A request refused with `status` (403, 412 …) that must change nothing (see `verify`). */
    async refused(
      status: number,
      slug: string,
      type: string,
      payload: Record<string, unknown>,
      role: Role,
      headers: Record<string, string> = {},
    ): Promise<any> {
      const { response } = await this.refuse(type, payload, role, headers);
      expect({ type, role, status: response.status, body: response.body }).toMatchObject({
        type,
        role,
        status,
      });
      expectProblem(response, status, slug);
      return response.body;
    }

    async completeAll(ids: readonly string[]): Promise<void> {
      for (const activityId of ids) await this.send('activity.complete', { activityId });
    }
  }

  /** The programmes of the running test: what they were refused is checked after it. */
  let programmes: Programme[] = [];

  afterEach(async () => {
    const current = programmes;
    programmes = [];
    for (const p of current) await p.verify();
  });

  async function createProgramme(overrides: Record<string, unknown> = {}): Promise<Programme> {
    const response = await h.request('POST', '/api/programmes', {
      body: programmeBody(overrides),
    });
    expect({ status: response.status, body: response.body }).toMatchObject({ status: 201 });
    const p = new Programme(response.body.id);
    programmes.push(p);
    return p;
  }

  const path = [
    'initiering.forberedelse',
    'forstudie.arbeid',
    'forstudie.rapportTilBehandling',
    'forstudie.rapportGodkjent',
    'forprosjekt.arbeid',
    'forprosjekt.rapportTilBehandling',
    'forprosjekt.rapportGodkjent',
    'hovedprosjekt.arbeid',
    'etablert',
  ] as const;

  /** A new programme driven along the ordinary path (internal leader) to `target`. */
  async function programmeIn(target: (typeof path)[number]): Promise<Programme> {
    const p = await createProgramme();
    const steps: Record<(typeof path)[number], () => Promise<unknown>> = {
      'initiering.forberedelse': () => p.send('roles.assign', payloads.internalRoles),
      'forstudie.arbeid': () => p.send('forstudie.start'),
      'forstudie.rapportTilBehandling': async () => {
        await p.completeAll(forstudieIds);
        await p.send('report.submit', payloads.forstudieReport);
      },
      'forstudie.rapportGodkjent': () => p.send('report.approve', { meetingRef: 'PS 12/26' }),
      'forprosjekt.arbeid': () => p.send('forprosjekt.start', payloads.owners),
      'forprosjekt.rapportTilBehandling': async () => {
        await p.completeAll(forprosjektIds);
        await p.send('report.submit', payloads.forprosjektReport);
      },
      'forprosjekt.rapportGodkjent': () => p.send('report.approve'),
      'hovedprosjekt.arbeid': () => p.send('hovedprosjekt.start'),
      etablert: async () => {
        await p.completeAll(hovedprosjektIds);
        await p.send('company.register', payloads.company);
        await p.send('board.elect', payloads.board);
        await p.send('hovedprosjekt.complete');
      },
    };
    for (const state of path) {
      await steps[state]();
      if (state === target) break;
    }
    expect((await p.observe()).view.state).toBe(target);
    return p;
  }

  // ---- Initiering ------------------------------------------------------------------------------

  it('forstudie.start without roles: hasRolesInPlace', async () => {
    const p = await createProgramme();
    await p.blocked('forstudie.start', {}, [['hasRolesInPlace', reason.hasRolesInPlace]], {
      inNextEvents: true,
    });
    await p.send('roles.assign', payloads.internalRoles);
    const view = await p.send('forstudie.start');
    expect(view.state).toBe('forstudie.arbeid');
  });

  it('forstudie.start with an external leader and no contract: hasContractIfExternalLeader', async () => {
    const p = await createProgramme();
    await p.send('roles.assign', payloads.externalRoles);
    const blocker: Blockers = [['hasContractIfExternalLeader', reason.hasContractIfExternalLeader]];
    await p.blocked('forstudie.start', {}, blocker, { inNextEvents: true });

    await p.send('tender.publish', payloads.tender);
    await p.blocked('forstudie.start', {}, blocker, { inNextEvents: true });

    await p.send('contract.award', payloads.contract);
    const view = await p.send('forstudie.start');
    expect(view.state).toBe('forstudie.arbeid');
  });

  it('contract.award before a tender: hasPublishedTender; tender rules after the award', async () => {
    const p = await createProgramme();
    await p.send('roles.assign', payloads.externalRoles);
    await p.blocked(
      'contract.award',
      payloads.contract,
      [['hasPublishedTender', reason.hasPublishedTender]],
      { inNextEvents: true },
    );
    await p.blocked('tender.publish', { publishedAt: '2026-03-02', answerDeadline: '2026-03-01' }, [
      ['isValidTenderPeriod', reason.isValidTenderPeriod('2026-03-01', '2026-03-02')],
    ]);

    await p.send('tender.publish', payloads.tender);
    await p.send('contract.award', payloads.contract);
    const awarded = reason.hasNoAwardedContract('Kari Konsulent', 'Rådgiver AS');
    await p.blocked('contract.award', payloads.contract, [['hasNoAwardedContract', awarded]], {
      inNextEvents: true,
    });
    await p.blocked('tender.publish', payloads.tender, [['hasNoAwardedContract', awarded]]);
  });

  it('forstudie.start after programme end − 2 years: isWithinLatestStartOrJustified, unless justified', async () => {
    const p = await createProgramme({ programmeEnd: '2028-12-31' });
    await p.send('roles.assign', payloads.internalRoles);

    // 23:30 in Oslo on 31 December 2026, the latest start day: still in time.
    h.clock.set('2026-12-31T22:30:00.000Z');
    let { view } = await p.observe();
    expect(view.nextEvents.find((e: any) => e.type === 'forstudie.start')).toMatchObject({
      allowed: true,
      blockedBy: [],
    });
    expect(view.deadlines.find((d: any) => d.kind === 'latestStart')).toMatchObject({
      due: '2026-12-31',
      met: false,
      overdue: false,
    });

    // One hour later it is 1 January 2027 in Oslo: too late.
    h.clock.advance(60 * 60_000);
    ({ view } = await p.observe());
    expect(view.deadlines.find((d: any) => d.kind === 'latestStart')).toMatchObject({
      due: '2026-12-31',
      met: false,
      overdue: true,
      recipients: ['board', 'administrators', 'prosjektansvarlig'],
    });
    const late: Blockers = [
      [
        'isWithinLatestStartOrJustified',
        reason.isWithinLatestStartOrJustified('31. desember 2026', '31. desember 2028'),
      ],
    ];
    // The guard reads the payload's justification: only the send itself can judge it.
    await p.blocked('forstudie.start', {}, late);
    await p.blocked('forstudie.start', { lateStartJustification: '   ' }, late);

    const justification = 'Kommunestyret vedtok videreføringen først i desember (sak 88/26)';
    view = await p.send('forstudie.start', { lateStartJustification: justification });
    expect(view.state).toBe('forstudie.arbeid');
    expect(view.context.phases.forstudie).toMatchObject({
      startDay: '2027-01-01',
      lateStartJustification: justification,
    });
    expect(view.deadlines.find((d: any) => d.kind === 'latestStart')).toMatchObject({
      met: true,
    });
    const history = await h.request('GET', `${p.path}/history?limit=200`);
    const last = history.body.items[history.body.items.length - 1];
    expect(last).toMatchObject({
      event: { type: 'forstudie.start', payload: { lateStartJustification: justification } },
      from: 'initiering.forberedelse',
      to: 'forstudie.arbeid',
    });
  });

  // ---- Reports ---------------------------------------------------------------------------------

  it('report.submit with open activities: hasCompletedAllActivities', async () => {
    const p = await programmeIn('forstudie.arbeid');
    const open = (ids: string[]): Blockers => [
      ['hasCompletedAllActivities', reason.hasCompletedAllActivities(ids, 'i forstudien')],
    ];
    await p.blocked('report.submit', payloads.forstudieReport, open([...forstudieIds]), {
      inNextEvents: true,
    });
    await p.completeAll(['F1', 'F2', 'F4', 'F6']);
    const problem = await p.blocked('report.submit', payloads.forstudieReport, open(['F3', 'F5']), {
      inNextEvents: true,
    });
    expect(problem.blockedBy[0].message).toBe(
      'Aktivitetene F3 og F5 i forstudien er ikke fullført',
    );
    await p.completeAll(['F3']);
    await p.blocked('report.submit', payloads.forstudieReport, open(['F5']), {
      inNextEvents: true,
    });
    // With an incomplete report as well, both guards are named.
    await p.blocked('report.submit', { documentRef: 'sak-2026/17', alternatives: [] }, [
      ...open(['F5']),
      ['hasCompleteForstudieReport', reason.minAlternatives(0)],
    ]);
    await p.completeAll(['F5']);
    await p.send('activity.reopen', { activityId: 'F5', reason: 'Modellene må vurderes på nytt' });
    await p.blocked('report.submit', payloads.forstudieReport, open(['F5']), {
      inNextEvents: true,
    });
    await p.completeAll(['F5']);
    const view = await p.send('report.submit', payloads.forstudieReport);
    expect(view.state).toBe('forstudie.rapportTilBehandling');
  });

  it('forstudierapport with one alternative or missing fields: hasCompleteForstudieReport', async () => {
    const p = await programmeIn('forstudie.arbeid');
    await p.completeAll(forstudieIds);
    const [first, second] = payloads.forstudieReport.alternatives;
    const guard = 'hasCompleteForstudieReport';

    await p.blocked('report.submit', { documentRef: 'sak-2026/17', alternatives: [first] }, [
      [guard, reason.minAlternatives(1)],
    ]);
    await p.blocked(
      'report.submit',
      {
        documentRef: 'sak-2026/17',
        alternatives: [first, { title: second!.title, finansiering: second!.finansiering }],
      },
      [[guard, reason.alternativeLacks(2, ['organisering', 'geografisk virkeområde'])]],
    );
    await p.blocked(
      'report.submit',
      {
        documentRef: 'sak-2026/17',
        alternatives: [{ ...first, finansiering: '   ' }, { title: 'Stiftelse' }],
      },
      [
        [guard, reason.alternativeLacks(1, ['finansiering'])],
        [
          guard,
          reason.alternativeLacks(2, ['finansiering', 'organisering', 'geografisk virkeområde']),
        ],
      ],
    );
    await p.blocked(
      'report.submit',
      { documentRef: 'sak-2026/17', sections: payloads.forprosjektReport.sections },
      [[guard, reason.minAlternatives(0)]],
    );
    await p.blocked('report.submit', { documentRef: '  ', alternatives: [first] }, [
      [guard, reason.documentRef],
      [guard, reason.minAlternatives(1)],
    ]);

    const view = await p.send('report.submit', payloads.forstudieReport);
    expect(view.state).toBe('forstudie.rapportTilBehandling');
  });

  it('forprosjektrapport missing sections: hasCompleteForprosjektReport', async () => {
    const p = await programmeIn('forprosjekt.arbeid');
    const guard = 'hasCompleteForprosjektReport';
    const { sections } = payloads.forprosjektReport;

    await p.completeAll(forprosjektIds.slice(0, 7));
    await p.blocked('report.submit', { documentRef: 'sak-2026/44' }, [
      ['hasCompletedAllActivities', reason.hasCompletedAllActivities(['P8'], 'i forprosjektet')],
      [
        guard,
        reason.forprosjektSections([
          'organisering',
          'eierskap',
          'bemanning',
          'finansiering',
          'realisering',
        ]),
      ],
    ]);
    await p.completeAll(['P8']);
    await p.blocked(
      'report.submit',
      {
        documentRef: 'sak-2026/44',
        sections: {
          organisering: sections.organisering,
          eierskap: sections.eierskap,
          finansiering: sections.finansiering,
        },
      },
      [[guard, reason.forprosjektSections(['bemanning', 'realisering'])]],
    );
    await p.blocked(
      'report.submit',
      { documentRef: 'sak-2026/44', sections: { ...sections, eierskap: '  ' } },
      [[guard, reason.forprosjektSections(['eierskap'])]],
    );
    await p.blocked(
      'report.submit',
      { documentRef: ' ', sections: { ...sections, realisering: '' } },
      [
        [guard, reason.documentRef],
        [guard, reason.forprosjektSections(['realisering'])],
      ],
    );
    // A forstudierapport's alternatives are no forprosjektrapport.
    await p.blocked('report.submit', payloads.forstudieReport, [
      [
        guard,
        reason.forprosjektSections([
          'organisering',
          'eierskap',
          'bemanning',
          'finansiering',
          'realisering',
        ]),
      ],
    ]);

    const view = await p.send('report.submit', payloads.forprosjektReport);
    expect(view.state).toBe('forprosjekt.rapportTilBehandling');
  });

  // ---- Phase gates -----------------------------------------------------------------------------

  it('forprosjekt.start before the forstudierapport is approved: hasApprovedForstudieReport', async () => {
    const p = await programmeIn('forstudie.arbeid');
    const notApproved: Blockers = [
      ['hasApprovedForstudieReport', reason.hasApprovedForstudieReport],
    ];
    await p.blocked('forprosjekt.start', payloads.owners, notApproved, { inNextEvents: true });
    await p.blocked(
      'forprosjekt.start',
      { owners: [{ name: 'Nordkyn kommune', sharePercent: 50 }] },
      [...notApproved, ['hasOwnersSharingAll', reason.ownersSum('50')]],
    );

    await p.completeAll(forstudieIds);
    await p.send('report.submit', payloads.forstudieReport);
    await p.blocked('forprosjekt.start', payloads.owners, notApproved, { inNextEvents: true });

    await p.send('report.reject', { reason: 'Mangler vurdering av geografisk virkeområde' });
    await p.blocked('forprosjekt.start', payloads.owners, notApproved, { inNextEvents: true });

    await p.send('report.submit', payloads.forstudieReport);
    await p.send('report.approve');
    const view = await p.send('forprosjekt.start', payloads.owners);
    expect(view.state).toBe('forprosjekt.arbeid');
  });

  it('hovedprosjekt: start before approval (hasApprovedForprosjektReport), complete without company, board and H5 (three guards together), nothing after etablert (isWorkflowActive)', async () => {
    const p = await programmeIn('forprosjekt.arbeid');
    const notApproved: Blockers = [
      ['hasApprovedForprosjektReport', reason.hasApprovedForprosjektReport],
    ];
    await p.blocked('hovedprosjekt.start', {}, notApproved, { inNextEvents: true });
    await p.completeAll(forprosjektIds);
    await p.send('report.submit', payloads.forprosjektReport);
    await p.blocked('hovedprosjekt.start', {}, notApproved, { inNextEvents: true });
    await p.send('report.approve');
    const started = await p.send('hovedprosjekt.start');
    expect(started.state).toBe('hovedprosjekt.arbeid');

    // hovedprosjekt.complete without company, board and H5: three guards named together.
    const company: Blockers[number] = ['hasRegisteredCompany', reason.hasRegisteredCompany];
    const board: Blockers[number] = ['hasElectedBoard', reason.hasElectedBoard];
    const recruitment: Blockers[number] = ['hasStartedRecruitment', reason.hasStartedRecruitment];

    await p.blocked('hovedprosjekt.complete', {}, [company, board, recruitment], {
      inNextEvents: true,
    });
    await p.completeAll(['H1', 'H2', 'H3', 'H4', 'H5']);
    await p.blocked('hovedprosjekt.complete', {}, [company, board], { inNextEvents: true });
    await p.send('company.register', payloads.company);
    await p.blocked('board.elect', { members: [], electedAt: '2027-06-01' }, [
      ['hasBoardMembers', reason.hasBoardMembers],
    ]);
    await p.blocked('hovedprosjekt.complete', {}, [board], { inNextEvents: true });
    await p.send('activity.reopen', { activityId: 'H5', reason: 'Utlysningen ble trukket' });
    await p.send('board.elect', payloads.board);
    await p.blocked('hovedprosjekt.complete', {}, [recruitment], { inNextEvents: true });
    await p.completeAll(['H5']);
    const view = await p.send('hovedprosjekt.complete');
    expect(view).toMatchObject({ phase: 'etablert', state: 'etablert', status: 'done' });

    // Once etablert, every event is refused: the workflow has ended.
    const ended: Blockers = [['isWorkflowActive', reason.isWorkflowActive('Etablert')]];
    for (const type of Object.keys(EVENT_ROLES)) {
      await p.blocked(type, VALID[type]!, ended, { role: 'admin', inNextEvents: true });
    }
    await p.blocked('activity.complete', { activityId: 'H1' }, ended);
    await p.blocked('report.approve', {}, ended, { role: 'board' });
  });

  // ---- Money -----------------------------------------------------------------------------------

  it('report.approve with costs over NOK 100 000: isWithinCostFrameOrOverrunApproved until the board approves the overrun', async () => {
    const p = await programmeIn('forstudie.arbeid');
    const cost = (category: string, amountNok: number) =>
      p.send('cost.record', {
        category,
        amountNok,
        date: '2026-03-10',
        description: `${category} i forstudien`,
      });
    await cost('konsulenthonorar', 70_000);
    await cost('interneRessurser', 45_000);
    await p.completeAll(forstudieIds);
    await p.send('report.submit', payloads.forstudieReport);

    const guard = 'isWithinCostFrameOrOverrunApproved';
    await p.blocked('report.approve', { meetingRef: 'PS 12/26' }, [
      [guard, reason.costFrame(115_000, 100_000)],
    ]);
    const { view } = await p.observe();
    expect(view.nextEvents.find((e: any) => e.type === 'report.approve')).toMatchObject({
      allowed: false,
      blockedBy: [{ guard, message: reason.costFrame(115_000, 100_000) }],
    });
    expect(reason.costFrame(115_000, 100_000)).toBe(
      'Kostnadene i forstudien (115 000 kr) overstiger rammen på 100 000 kr; styret må godkjenne overskridelsen før rapporten kan godkjennes',
    );

    await p.blocked('budgetOverrun.approve', { newFrameNok: 100_000, reason: 'Ingen' }, [
      ['exceedsCostFrame', reason.exceedsCostFrame(100_000)],
    ]);
    await p.send('budgetOverrun.approve', { newFrameNok: 110_000, reason: 'Flere intervjuer' });
    await p.blocked('report.approve', {}, [[guard, reason.costFrame(115_000, 110_000)]], {
      inNextEvents: true,
    });
    await p.send('budgetOverrun.approve', { newFrameNok: 120_000, reason: 'Utvidet kartlegging' });
    const approved = await p.send('report.approve', { meetingRef: 'PS 12/26' });
    expect(approved.state).toBe('forstudie.rapportGodkjent');
    expect(approved.context.budgetOverruns).toEqual([
      expect.objectContaining({ newFrameNok: 110_000, role: 'board' }),
      expect.objectContaining({ newFrameNok: 120_000, role: 'board' }),
    ]);
  });

  it('funding.apply above 50 % of the consultant fees: isFundingWithinShare', async () => {
    const p = await createProgramme();
    const guard = 'isFundingWithinShare';
    const apply = (amountNok: number) => ({ amountNok, appliedAt: '2026-03-02' });
    await p.blocked('funding.apply', apply(1), [[guard, reason.funding(0, 0, 1)]]);

    // Fees recorded before the forstudie and internal resources do not count.
    await p.send('cost.record', {
      category: 'konsulenthonorar',
      amountNok: 40_000,
      date: '2026-03-02',
      description: 'Anbudsdokumenter',
    });
    await p.send('roles.assign', payloads.internalRoles);
    await p.send('forstudie.start');
    await p.send('cost.record', {
      category: 'interneRessurser',
      amountNok: 50_000,
      date: '2026-03-05',
      description: 'Egne dagsverk',
    });
    await p.blocked('funding.apply', apply(1), [[guard, reason.funding(0, 0, 1)]]);

    await p.send('cost.record', {
      category: 'konsulenthonorar',
      amountNok: 60_001,
      date: '2026-03-06',
      description: 'Rådgiver AS',
    });
    await p.blocked('funding.apply', apply(30_001), [
      [guard, reason.funding(30_000, 30_000, 30_001)],
    ]);
    expect(reason.funding(30_000, 30_000, 30_001)).toBe(
      'Innovasjon Norge kan dekke inntil 50 % av registrert konsulenthonorar i forstudie og forprosjekt: høyst 30 000 kr i alt, 30 000 kr gjenstår; søknaden er på 30 001 kr',
    );
    await p.send('funding.apply', apply(20_000), 'admin');
    await p.blocked('funding.apply', apply(10_001), [
      [guard, reason.funding(30_000, 10_000, 10_001)],
    ]);
    const view = await p.send('funding.apply', apply(10_000), 'admin');
    expect(view.context.fundingApplications).toHaveLength(2);
  });

  it('forprosjekt.start with owner shares that do not sum to 100: hasOwnersSharingAll', async () => {
    const p = await programmeIn('forstudie.rapportGodkjent');
    const guard = 'hasOwnersSharingAll';
    const owners = (...shares: number[]) => ({
      owners: shares.map((sharePercent, i) => ({ name: `Eier ${i + 1}`, sharePercent })),
    });
    await p.blocked('forprosjekt.start', owners(60, 30), [[guard, reason.ownersSum('90')]]);
    await p.blocked('forprosjekt.start', owners(60, 50), [[guard, reason.ownersSum('110')]]);
    await p.blocked('forprosjekt.start', owners(33.3, 33.3, 33.3), [
      [guard, reason.ownersSum('99,9')],
    ]);
    await p.blocked('forprosjekt.start', owners(), [[guard, reason.noOwners]]);
    await p.blocked('forprosjekt.start', owners(100, 0), [[guard, reason.zeroShare]]);

    const view = await p.send('forprosjekt.start', owners(33.33, 33.33, 33.34));
    expect(view.state).toBe('forprosjekt.arbeid');
    expect(view.context.owners.map((o: any) => o.sharePercent)).toEqual([33.33, 33.33, 33.34]);
  });

  // ---- Hovedprosjekt ---------------------------------------------------------------------------

  // ---- Structural blocks -----------------------------------------------------------------------

  it('an event the state does not accept: isAcceptedInState (and activities of another phase)', async () => {
    const p = await createProgramme();
    const notHere = (event: string, state: string): Blockers => [
      ['isAcceptedInState', reason.isAcceptedInState(event, state)],
    ];
    const forberedelse = 'Initiering – forberedelse';
    await p.blocked('report.approve', {}, notHere('Godkjenne rapport', forberedelse), {
      inNextEvents: true,
    });
    await p.blocked(
      'activity.complete',
      { activityId: 'F1' },
      notHere('Fullføre aktivitet', forberedelse),
      { inNextEvents: true },
    );
    await p.blocked(
      'forprosjekt.start',
      payloads.owners,
      notHere('Starte forprosjektet', forberedelse),
      { inNextEvents: true },
    );
    await p.blocked(
      'hovedprosjekt.complete',
      {},
      notHere('Fullføre hovedprosjektet', forberedelse),
      { inNextEvents: true },
    );

    await p.send('roles.assign', payloads.internalRoles);
    await p.send('forstudie.start');
    const arbeid = 'Forstudie – arbeid';
    await p.blocked('roles.assign', payloads.internalRoles, notHere('Utpeke roller', arbeid), {
      inNextEvents: true,
    });
    await p.blocked('tender.publish', payloads.tender, notHere('Legge ut anbud', arbeid), {
      inNextEvents: true,
    });
    await p.blocked('report.approve', {}, notHere('Godkjenne rapport', arbeid), {
      inNextEvents: true,
    });
    await p.blocked('hovedprosjekt.start', {}, notHere('Starte hovedprosjektet', arbeid), {
      inNextEvents: true,
    });
    await p.blocked('company.register', payloads.company, notHere('Registrere selskapet', arbeid), {
      inNextEvents: true,
    });

    // Activities belong to the current phase and can be completed once.
    await p.blocked('activity.complete', { activityId: 'P1' }, [
      ['isOpenActivityOfPhase', reason.unknownActivity('P1', 'i forstudien', 'F1–F6')],
    ]);
    await p.completeAll(['F1']);
    await p.blocked('activity.complete', { activityId: 'F1' }, [
      ['isOpenActivityOfPhase', reason.isOpenActivityOfPhaseDone('F1', 'i forstudien')],
    ]);
    await p.blocked('activity.reopen', { activityId: 'F2', reason: 'Feil' }, [
      ['isCompletedActivityOfPhase', reason.isCompletedActivityOfPhase('F2', 'i forstudien')],
    ]);

    await p.completeAll(forstudieIds.slice(1));
    await p.send('report.submit', payloads.forstudieReport);
    const tilBehandling = 'Forstudie – rapport til behandling';
    await p.blocked(
      'report.submit',
      payloads.forstudieReport,
      notHere('Levere rapport', tilBehandling),
      { inNextEvents: true },
    );
    await p.blocked(
      'activity.reopen',
      { activityId: 'F1', reason: 'Feil' },
      notHere('Gjenåpne aktivitet', tilBehandling),
      { inNextEvents: true },
    );
    await p.send('report.approve');
    await p.blocked(
      'hovedprosjekt.start',
      {},
      notHere('Starte hovedprosjektet', 'Forstudie – rapport godkjent'),
      { inNextEvents: true },
    );
  });

  it('any event after avbrutt: isWorkflowActive', async () => {
    const p = await programmeIn('forstudie.arbeid');
    const view = await p.send('workflow.cancel', { reason: 'Kommunen trekker seg' });
    expect(view).toMatchObject({ phase: 'avbrutt', state: 'avbrutt', status: 'done' });
    expect(view.context.cancellation).toMatchObject({ reason: 'Kommunen trekker seg' });
    const ended: Blockers = [['isWorkflowActive', reason.isWorkflowActive('Avbrutt')]];
    for (const type of Object.keys(EVENT_ROLES)) {
      await p.blocked(type, VALID[type]!, ended, { role: 'admin', inNextEvents: true });
    }
    await p.blocked('activity.complete', { activityId: 'F2' }, ended);
    await p.blocked('report.reject', { reason: 'For sent' }, ended, { role: 'board' });
  });

  // ---- Roles and concurrency -------------------------------------------------------------------

  it('a role that may not send an event gets 403 and changes nothing', async () => {
    const p = await programmeIn('forstudie.arbeid');
    let refused = 0;
    for (const [type, allowed] of Object.entries(EVENT_ROLES)) {
      for (const role of ['board', 'projectLeader', 'auditor'] as const) {
        if (allowed.includes(role)) continue;
        const problem = await p.refused(403, 'event-not-permitted', type, VALID[type]!, role);
        expect(problem).toMatchObject({
          detail: `Rollen «${role}» kan ikke sende «${type}»; det kan ${allowed.join(', ')}`,
          roles: allowed,
        });
        refused += 1;
      }
    }
    expect(refused).toBe(18 + 15 + 14);
    await p.verify();

    // What the board may not do here, the leader may; and the other way round.
    await p.refused(403, 'event-not-permitted', 'activity.complete', { activityId: 'F1' }, 'board');
    await p.send('activity.complete', { activityId: 'F1' }, 'projectLeader');
    await p.completeAll(forstudieIds.slice(1));
    await p.send('report.submit', payloads.forstudieReport, 'projectLeader');
    await p.refused(403, 'event-not-permitted', 'report.approve', {}, 'projectLeader');
    await p.refused(403, 'event-not-permitted', 'report.approve', {}, 'auditor');
    await p.refused(
      403,
      'event-not-permitted',
      'budgetOverrun.approve',
      VALID['budgetOverrun.approve']!,
      'projectLeader',
    );
    const view = await p.send('report.approve', { meetingRef: 'PS 12/26' }, 'board');
    expect(view.state).toBe('forstudie.rapportGodkjent');
  });

  it('If-Match with a stale version gets 412 and changes nothing; the current version is accepted', async () => {
    const p = await createProgramme();
    await p.send('roles.assign', payloads.internalRoles);
    const stale = await p.refused(412, 'version-conflict', 'forstudie.start', {}, 'admin', {
      'if-match': '"1"',
    });
    expect(stale).toMatchObject({
      currentVersion: 2,
      detail:
        'Arbeidsflyten er endret siden versjon 1; gjeldende versjon er 2. Hent den på nytt og prøv igjen.',
    });

    const current = await h.request('GET', p.path);
    expect(current.headers.get('etag')).toBe('"2"');
    let view = await p.send('forstudie.start', {}, 'admin', {
      'if-match': current.headers.get('etag')!,
    });
    expect(view).toMatchObject({ state: 'forstudie.arbeid', version: 3 });

    view = await p.send('activity.complete', { activityId: 'F1' }, 'projectLeader', {
      'if-match': '"3"',
    });
    expect(view.version).toBe(4);
    await p.refused(
      412,
      'version-conflict',
      'activity.complete',
      { activityId: 'F2' },
      'projectLeader',
      { 'if-match': '"3"' },
    );
    expect((await p.observe()).view.context.activities.F2).toBeUndefined();

    // The current version does not get a blocked event through.
    await p.refused(
      409,
      'transition-blocked',
      'report.submit',
      payloads.forstudieReport,
      'projectLeader',
      {
        'if-match': '"4"',
      },
    );
  });
});
