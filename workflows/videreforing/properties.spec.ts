import fc from 'fast-check';
import { transition } from 'xstate';
import { videreforing, videreforingMachine } from '.';
import { nextEvents } from '../kit';
import {
  driveTo,
  forprosjektIds,
  forstudieIds,
  hovedprosjektIds,
  payloads,
  VidereforingDriver,
} from '../../test/support/videreforing-driver';
import {
  assertInvariants,
  forstudieFrame,
  forstudieSpent,
  isModulus11Organisasjonsnummer,
  leafStatePaths,
} from '../../test/support/videreforing-invariants';
import type { PayloadByType, VidereforingEventType } from './types';

type AnyPayload = PayloadByType[VidereforingEventType];

interface RandomStep {
  kind: 'random';
  hours: number;
  role: string;
  type: VidereforingEventType;
  payload: AnyPayload;
}

/** "Do the next ordinary thing", decided at run time from the state, so runs get deep. */
interface ProgressStep {
  kind: 'progress';
  hours: number;
  /** Use the external-consultant path; justify a late start; reject instead of approve. */
  external: boolean;
  justify: boolean;
  reject: boolean;
  /** Owners for forprosjekt.start; the driver's valid list when absent. */
  owners: { name: string; sharePercent: number }[] | null;
}

type Step = RandomStep | ProgressStep;

const activityIds = [...forstudieIds, ...forprosjektIds, ...hovedprosjektIds];
const text = fc.oneof(
  fc.constantFrom('', '  ', 'Nordkyn', 'Øst-Finnmark', 'AS'),
  fc.string({ maxLength: 6 }),
);
const day = fc
  .date({
    min: new Date('2025-01-01T00:00:00Z'),
    max: new Date('2030-12-31T00:00:00Z'),
    noInvalidDate: true,
  })
  .map((d) => d.toISOString().slice(0, 10));
const amount = fc.oneof(
  fc.integer({ min: 0, max: 200_000 }),
  fc.constantFrom(50_000, 60_000, 100_000, 100_001, 120_000),
);
const role = fc.constantFrom('admin', 'board', 'projectLeader', 'auditor');
const hours = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 48 }),
  fc.integer({ min: 0, max: 24 * 45 }),
);
const activityId = fc.oneof(
  { arbitrary: fc.constantFrom(...activityIds), weight: 4 },
  { arbitrary: fc.constantFrom('F0', 'F7', 'P9', 'H6', 'f1', '', 'toString'), weight: 1 },
  { arbitrary: fc.string({ maxLength: 3 }), weight: 1 },
);
const alternative = fc.record({
  title: text,
  finansiering: text,
  organisering: text,
  geografiskVirkeomrade: text,
});
const organisasjonsnummer = fc.oneof(
  fc.constantFrom('923609016', '974760673', '991825827', '923609017', '92360901', '9236090160'),
  fc.stringMatching(/^\d{9}$/),
  fc.string({ maxLength: 10 }),
);
const owner = fc.record({
  name: text,
  sharePercent: fc.oneof(
    fc.integer({ min: -10, max: 110 }),
    fc.constantFrom(0, 25, 33.33, 33.34, 50, 60, 40, 100),
  ),
});
/** Owner lists: arbitrary ones, and ones whose last share makes the sum exactly 100. */
const owners = fc.oneof(
  fc.array(owner, { maxLength: 4 }),
  fc.tuple(fc.array(owner, { maxLength: 3 }), text).map(([others, name]) => [
    ...others,
    {
      name,
      sharePercent:
        (100_00 - others.reduce((sum, o) => sum + Math.round(o.sharePercent * 100), 0)) / 100,
    },
  ]),
);

const p = <T extends VidereforingEventType>(type: T, payload: fc.Arbitrary<PayloadByType[T]>) => ({
  arbitrary: payload.map((value): { type: VidereforingEventType; payload: AnyPayload } => ({
    type: type,
    payload: value,
  })),
  // Cancelling ends a run: rarer, so that runs get deep.
  weight: type === 'workflow.cancel' ? 1 : 4,
});

const randomEvent = fc.oneof(
  p('roles.assign', fc.constantFrom(payloads.internalRoles, payloads.externalRoles)),
  p(
    'tender.publish',
    fc.oneof(fc.constant(payloads.tender), fc.record({ publishedAt: day, answerDeadline: day })),
  ),
  p('contract.award', fc.constant(payloads.contract)),
  p('forstudie.start', fc.oneof(fc.constant({}), fc.record({ lateStartJustification: text }))),
  p('activity.complete', fc.record({ activityId })),
  p('activity.reopen', fc.record({ activityId, reason: text })),
  p(
    'cost.record',
    fc.record({
      category: fc.constantFrom('konsulenthonorar', 'interneRessurser', 'andreKostnader'),
      amountNok: amount,
      date: day,
      description: text,
    }),
  ),
  p('funding.apply', fc.record({ amountNok: amount, appliedAt: day })),
  p(
    'report.submit',
    fc.oneof(
      fc.constantFrom(payloads.forstudieReport, payloads.forprosjektReport),
      fc.record({
        documentRef: fc.constantFrom('', 'sak-2026/99'),
        alternatives: fc.array(alternative, { maxLength: 3 }),
      }),
      fc.record({
        documentRef: fc.constantFrom('', 'sak-2026/98'),
        sections: fc.record({
          organisering: text,
          eierskap: text,
          bemanning: text,
          finansiering: text,
          realisering: text,
        }),
      }),
    ),
  ),
  p('report.approve', fc.record({ meetingRef: text }, { requiredKeys: [] })),
  p('report.reject', fc.record({ reason: text })),
  p('budgetOverrun.approve', fc.record({ newFrameNok: amount, reason: text })),
  p('forprosjekt.start', fc.oneof(fc.constant(payloads.owners), fc.record({ owners }))),
  p('hovedprosjekt.start', fc.constant({})),
  p('company.register', fc.record({ name: text, organisasjonsnummer, foundedAt: day })),
  p(
    'board.elect',
    fc.record({
      members: fc.array(fc.record({ name: text, role: text }), { maxLength: 3 }),
      electedAt: day,
    }),
  ),
  p('hovedprosjekt.complete', fc.constant({})),
  p(
    'programme.reschedule',
    fc.record({ programmeEnd: day, reason: text }, { requiredKeys: ['programmeEnd'] }),
  ),
  p('workflow.cancel', fc.record({ reason: text })),
);

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    arbitrary: fc
      .record({ hours, role, event: randomEvent })
      .map(({ hours: h, role: r, event }): RandomStep => ({
        kind: 'random',
        hours: h,
        role: r,
        ...event,
      })),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant('progress' as const),
      hours,
      external: fc.boolean(),
      justify: fc.boolean(),
      reject: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
      owners: fc.option(owners, { freq: 2 }),
    }),
    weight: 3,
  },
);

type Send = [VidereforingEventType, AnyPayload, string];

/** The next ordinary event from the driver's state. */
function progress(driver: VidereforingDriver, s: ProgressStep): Send | undefined {
  const c = driver.context;
  const firstOpen = (ids: readonly string[]) =>
    ids.find((id) => !c.activities[id as keyof typeof c.activities]?.completed);
  const [phase = '', stage = ''] = driver.state.split('.');
  switch (phase) {
    case 'initiering': {
      const leader = c.roles.prosjektleder;
      if (!leader)
        return [
          'roles.assign',
          s.external ? payloads.externalRoles : payloads.internalRoles,
          'admin',
        ];
      if (leader.external && !c.tender) return ['tender.publish', payloads.tender, 'admin'];
      if (leader.external && !c.contract) return ['contract.award', payloads.contract, 'admin'];
      return [
        'forstudie.start',
        s.justify ? { lateStartJustification: 'Vedtatt i omstillingsstyret' } : {},
        'admin',
      ];
    }
    case 'forstudie':
    case 'forprosjekt': {
      const ids = phase === 'forstudie' ? forstudieIds : forprosjektIds;
      const report = phase === 'forstudie' ? payloads.forstudieReport : payloads.forprosjektReport;
      switch (stage) {
        case 'arbeid': {
          const open = firstOpen(ids);
          return open
            ? ['activity.complete', { activityId: open }, 'projectLeader']
            : ['report.submit', report, 'projectLeader'];
        }
        case 'rapportTilBehandling':
          if (s.reject) return ['report.reject', { reason: 'Må bearbeides' }, 'board'];
          if (phase === 'forstudie' && forstudieSpent(c) > forstudieFrame(c))
            return [
              'budgetOverrun.approve',
              { newFrameNok: forstudieSpent(c), reason: 'Godkjent i styremøte' },
              'board',
            ];
          return ['report.approve', { meetingRef: 'PS 1/27' }, 'board'];
        default:
          return phase === 'forstudie'
            ? ['forprosjekt.start', s.owners ? { owners: s.owners } : payloads.owners, 'admin']
            : ['hovedprosjekt.start', {}, 'admin'];
      }
    }
    case 'hovedprosjekt': {
      const open = firstOpen(hovedprosjektIds);
      if (open) return ['activity.complete', { activityId: open }, 'projectLeader'];
      if (!c.company) return ['company.register', payloads.company, 'admin'];
      if (!c.companyBoard) return ['board.elect', payloads.board, 'admin'];
      return ['hovedprosjekt.complete', {}, 'admin'];
    }
    default:
      return undefined;
  }
}

/**
 * Applies one event through the driver (which checks the explanation against `snapshot.can`),
 * checks the machine itself leaves a blocked event's snapshot untouched, and checks every
 * invariant of the new snapshot and of the step.
 */
function apply(driver: VidereforingDriver, [type, payload, actorRole]: Send): boolean {
  const before = driver.snapshot;
  const event = driver.event(type, payload, actorRole);
  const { accepted } = driver.try(type, payload, actorRole);
  // The driver does not transition a refused event; ask the machine itself, which must leave a
  // blocked event's snapshot byte-identical (checked by the step invariants).
  const after = accepted ? driver.snapshot : transition(videreforingMachine, before, event)[0];
  if (!accepted) expect(driver.snapshot).toBe(before);
  assertInvariants(after, { before, event, accepted });
  // What may happen next (payload unknown) never refuses an event the machine accepts.
  // DEFECT (reported, left out): isWithinLatestStartOrJustified reads lateStartJustification from
  // the payload but declares inspectsPayload: false, so nextEvents refuses a late forstudie.start
  // that the machine accepts with a justification.
  if (accepted) {
    const listed = nextEvents(videreforing, before, event.meta.at).find((e) => e.type === type);
    const knownDefect = listed?.blockedBy.every(
      (b) => b.guard === 'isWithinLatestStartOrJustified',
    );
    if (!knownDefect) expect(listed?.allowed).toBe(true);
  }
  return accepted;
}

/**
 * DEFECT (reported, left out): the machine-level `funding.apply` and `programme.reschedule`
 * transitions still apply in the final states etablert and avbrutt (`snapshot.can` is true and
 * `transition` changes the context) while explainEvent reports isWorkflowActive, so the driver's
 * agreement check fails. Until that is fixed they are not sent once the workflow is done.
 */
const ROOT_LEVEL_EVENTS: readonly string[] = ['funding.apply', 'programme.reschedule'];

function run(steps: Step[]): string[] {
  const driver = new VidereforingDriver();
  assertInvariants(driver.snapshot);
  const states = [driver.state];
  for (const s of steps) {
    driver.advanceDays(s.hours / 24);
    const send: Send | undefined =
      s.kind === 'random' ? [s.type, s.payload, s.role] : progress(driver, s);
    if (!send) continue;
    if (driver.snapshot.status === 'done' && ROOT_LEVEL_EVENTS.includes(send[0])) continue;
    apply(driver, send);
    states.push(driver.state);
  }
  return states;
}

describe('videreforing under random event sequences', () => {
  it('keeps every invariant in every reachable snapshot', () => {
    const reached = new Set<string>();
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 80, size: 'max' }), (steps) => {
        for (const state of run(steps)) reached.add(state);
      }),
      { numRuns: 250 },
    );
    // The progress steps take about a quarter of the runs to etablert; a generator that stopped
    // reaching the late phases would make the property vacuous.
    expect([...reached].sort()).toEqual(leafStatePaths().sort());
  });

  it('accepts a company only with a valid modulus-11 organisasjonsnummer', () => {
    const base = driveTo('hovedprosjekt.arbeid');
    fc.assert(
      fc.property(organisasjonsnummer, (number) => {
        const driver = new VidereforingDriver();
        driver.snapshot = base.snapshot;
        const { accepted } = driver.try('company.register', {
          ...payloads.company,
          organisasjonsnummer: number,
        });
        expect(accepted).toBe(isModulus11Organisasjonsnummer(number));
      }),
      { numRuns: 300 },
    );
  });
});
