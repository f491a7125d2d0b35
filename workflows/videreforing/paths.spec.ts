import { initialTransition, transition } from 'xstate';
import { getShortestPaths, getSimplePaths, type StatePath } from 'xstate/graph';
import { videreforing, videreforingMachine } from '.';
import { statePath } from '../kit';
import {
  driveTo,
  forprosjektIds,
  forstudieIds,
  hovedprosjektIds,
  nordkyn,
  payloads,
} from '../../test/support/videreforing-driver';
import {
  assertInvariants,
  consultantFeesForFunding,
  forstudieFrame,
  forstudieSpent,
  fundingTotal,
  leafStatePaths,
  reportStatusOf,
  type VidereforingSnapshot,
} from '../../test/support/videreforing-invariants';
import type { PayloadByType, VidereforingEvent, VidereforingEventType } from './types';

/** Before the latest start (2026-12-31 for a programme ending 2028-12-31). */
const AT = '2026-03-02T09:00:00+01:00';

function ev<T extends VidereforingEventType>(
  type: T,
  payload: PayloadByType[T],
  role = 'admin',
): VidereforingEvent {
  return {
    type,
    ...payload,
    meta: { at: AT, actor: { id: `token-${role}`, role } },
  } as VidereforingEvent;
}

const activityIds = [...forstudieIds, ...forprosjektIds, ...hovedprosjektIds];

/** A finite list of concrete events: valid ones, and a few that some guard must refuse. */
const events: VidereforingEvent[] = [
  ev('roles.assign', payloads.internalRoles),
  ev('roles.assign', payloads.externalRoles),
  ev('tender.publish', payloads.tender),
  ev('tender.publish', { publishedAt: '2026-03-30', answerDeadline: '2026-03-02' }),
  ev('contract.award', payloads.contract),
  ev('forstudie.start', {}),
  ev('forstudie.start', { lateStartJustification: 'Programmet ble forlenget' }),
  ev('programme.reschedule', { programmeEnd: '2027-12-31', reason: 'Kortere periode' }),
  ...activityIds.map((activityId) => ev('activity.complete', { activityId }, 'projectLeader')),
  ev('activity.complete', { activityId: 'X9' }, 'projectLeader'),
  ...['F1', 'P1', 'H5'].map((activityId) =>
    ev('activity.reopen', { activityId, reason: 'Må gjøres om' }, 'projectLeader'),
  ),
  ev(
    'cost.record',
    {
      category: 'konsulenthonorar',
      amountNok: 120_000,
      date: '2026-03-02',
      description: 'Konsulent',
    },
    'projectLeader',
  ),
  ev('funding.apply', { amountNok: 60_000, appliedAt: '2026-03-02' }),
  ev('budgetOverrun.approve', { newFrameNok: 150_000, reason: 'Ekstra møter' }, 'board'),
  ev('budgetOverrun.approve', { newFrameNok: 90_000, reason: 'Under rammen' }, 'board'),
  ev('report.submit', payloads.forstudieReport, 'projectLeader'),
  ev('report.submit', payloads.forprosjektReport, 'projectLeader'),
  ev('report.approve', { meetingRef: 'PS 1/26' }, 'board'),
  ev('report.reject', { reason: 'Mangler alternativ' }, 'board'),
  ev('forprosjekt.start', payloads.owners),
  ev('forprosjekt.start', { owners: [{ name: 'Nordkyn kommune', sharePercent: 90 }] }),
  ev('hovedprosjekt.start', {}),
  ev('company.register', payloads.company),
  ev('company.register', { ...payloads.company, organisasjonsnummer: '923609017' }),
  ev('board.elect', payloads.board),
  ev('board.elect', { members: [], electedAt: '2027-06-01' }),
  ev('hovedprosjekt.complete', {}),
  ev('workflow.cancel', { reason: 'Avsluttet' }),
];

/**
 * What of the context decides which events are possible later: the state, completed activities,
 * the initiation facts while they matter, report standings, the money that guards read, and the
 * company's result. Everything else (stamps, notes, histories) is left out, which keeps the state
 * space finite: cost entries are bounded by the event filter below.
 */
function serialize(snapshot: VidereforingSnapshot): string {
  const c = snapshot.context;
  const path = statePath(snapshot.value);
  // Nothing can happen after the end: the state (and for avbrutt the phase left) is all there is.
  if (snapshot.status === 'done') return JSON.stringify({ path, from: c.cancellation?.phase });
  const leader = c.roles.prosjektleder;
  return JSON.stringify({
    path,
    completed: Object.entries(c.activities)
      .filter(([, a]) => a?.completed)
      .map(([id]) => id)
      .sort(),
    ...(path.startsWith('initiering')
      ? {
          roles: leader ? (leader.external ? 'external' : 'internal') : 'none',
          tender: !!c.tender,
          contract: !!c.contract,
          end: c.programme.end,
        }
      : {}),
    reports: [reportStatusOf(c.reports.forstudie), reportStatusOf(c.reports.forprosjekt)],
    ...(path.startsWith('forstudie') ? { spent: forstudieSpent(c), frame: forstudieFrame(c) } : {}),
    // What Innovasjon Norge may still be asked for decides funding.apply.
    fundingLeft: consultantFeesForFunding(c) / 2 - fundingTotal(c),
    company: !!c.company,
    board: !!c.companyBoard,
  });
}

/** At most one cost entry per phase keeps the amounts (and so the state space) bounded. */
function filterEvents(snapshot: VidereforingSnapshot, event: VidereforingEvent): boolean {
  if (event.type !== 'cost.record') return true;
  const phase = statePath(snapshot.value).split('.')[0];
  return !snapshot.context.costs.some((c) => c.phase === phase);
}

interface ReplayNode {
  snapshot: VidereforingSnapshot;
  next: Map<string, ReplayNode>;
}

/**
 * Replays events from the initial snapshot with the pure transition API, checking every
 * invariant at every step. Replays share their prefixes (the transition is a pure function, so a
 * prefix replayed once stands for every path that starts with it): the thousand-odd paths cost one
 * transition each rather than forty.
 */
function replayer() {
  const root: ReplayNode = {
    snapshot: initialTransition(videreforingMachine, nordkyn)[0],
    next: new Map(),
  };
  assertInvariants(root.snapshot);
  return (sent: VidereforingEvent[]): VidereforingSnapshot[] => {
    let node = root;
    const visited = [node.snapshot];
    for (const event of sent) {
      const key = JSON.stringify(event);
      let child = node.next.get(key);
      if (!child) {
        const before = node.snapshot;
        const accepted = before.can(event);
        const [snapshot] = transition(videreforingMachine, before, event);
        assertInvariants(snapshot, { before, event, accepted });
        child = { snapshot, next: new Map() };
        node.next.set(key, child);
      }
      node = child;
      visited.push(node.snapshot);
    }
    return visited;
  };
}

describe('videreforing state graph', () => {
  const leaves = leafStatePaths().sort();
  let paths: StatePath<VidereforingSnapshot, VidereforingEvent>[];
  beforeAll(() => {
    paths = getShortestPaths(videreforingMachine, {
      input: nordkyn,
      events,
      filterEvents,
      // About 1 600 abstract states × 49 events; a lost guard that blows the space up fails here
      // ("Traversal limit exceeded") instead of running for hours.
      limit: 150_000,
      serializeState: (snapshot) => serialize(snapshot),
    });
  });

  it('knows the machine has the twelve leaf states of the process', () => {
    expect(leaves).toEqual(
      [
        'initiering.forberedelse',
        'initiering.anbudUte',
        'initiering.kontraktTildelt',
        'forstudie.arbeid',
        'forstudie.rapportTilBehandling',
        'forstudie.rapportGodkjent',
        'forprosjekt.arbeid',
        'forprosjekt.rapportTilBehandling',
        'forprosjekt.rapportGodkjent',
        'hovedprosjekt.arbeid',
        'etablert',
        'avbrutt',
      ].sort(),
    );
    for (const leaf of leaves) expect(videreforing.stateLabels).toHaveProperty([leaf]);
  });

  it('reaches every leaf state of the machine through shortest paths', () => {
    const reached = new Set(paths.map((p) => statePath(p.state.value)));
    expect([...reached].sort()).toEqual(leaves);
    expect(paths.length).toBeGreaterThan(leaves.length);
  });

  it('reaches etablert in no fewer events than the process requires', () => {
    const etablert = paths.filter((p) => statePath(p.state.value) === 'etablert');
    expect(etablert.length).toBeGreaterThan(0);
    // roles, start, 6 activities, submit, approve, start, 8, submit, approve, start, H5, company,
    // board, complete: the shortest way there.
    const shortest = Math.min(...etablert.map((p) => p.steps.length - 1));
    expect(shortest).toBe(1 + 1 + 6 + 2 + 1 + 8 + 2 + 1 + 1 + 2 + 1);
  });

  it('takes every event type of the definition on some path', () => {
    const taken = new Set(paths.flatMap((p) => p.steps.slice(1).map((step) => step.event.type)));
    expect([...taken].sort()).toEqual(Object.keys(videreforing.events).sort());
  });

  it('replays every path to the same state, with every invariant holding at every step', () => {
    const replay = replayer();
    const ends = new Set(paths.map((p) => serialize(p.state)));
    expect(ends.size).toBe(paths.length);
    for (const path of paths) {
      expect(path.steps[0]!.event.type).toBe('xstate.init');
      const sent = path.steps.slice(1).map((s) => s.event);
      const visited = replay(sent);
      const last = visited[visited.length - 1]!;
      expect(statePath(last.value)).toBe(statePath(path.state.value));
      expect(serialize(last)).toBe(serialize(path.state));
      // A path without its last step is the path to the state before it, so checking where every
      // path ends checks every step of every path.
      if (path.steps.length > 1) expect(ends).toContain(serialize(path.steps.at(-2)!.state));
    }
  });

  it('enumerates the simple paths through the report decision and replays them', () => {
    // From a submitted forstudie report: approve or reject, resubmit, overruns and costs.
    const fromState = driveTo('forstudie.rapportTilBehandling').snapshot;
    const local = [
      ev('report.approve', {}, 'board'),
      ev('report.reject', { reason: 'Mangler kostnadsoverslag' }, 'board'),
      ev('report.submit', payloads.forstudieReport, 'projectLeader'),
      ev(
        'cost.record',
        { category: 'andreKostnader', amountNok: 120_000, date: '2026-03-02', description: 'Leie' },
        'projectLeader',
      ),
      ev('budgetOverrun.approve', { newFrameNok: 150_000, reason: 'Ekstra møter' }, 'board'),
      ev('forprosjekt.start', payloads.owners),
    ];
    const simple = getSimplePaths(videreforingMachine, {
      fromState,
      events: local,
      filterEvents,
      limit: 10_000,
      serializeState: (snapshot) => serialize(snapshot),
    });
    const reached = new Set(simple.map((p) => statePath(p.state.value)));
    expect([...reached].sort()).toEqual(
      [
        'forprosjekt.arbeid',
        'forstudie.arbeid',
        'forstudie.rapportGodkjent',
        'forstudie.rapportTilBehandling',
      ].sort(),
    );
    for (const path of simple) {
      let snapshot = fromState;
      for (const step of path.steps.slice(1)) {
        const event = step.event;
        const before = snapshot;
        const accepted = before.can(event);
        [snapshot] = transition(videreforingMachine, before, event);
        assertInvariants(snapshot, { before, event, accepted });
      }
      expect(serialize(snapshot)).toBe(serialize(path.state));
    }
    // A cost above the frame blocks approval until the board approves the overrun.
    const sentTypes = simple.map((p) => p.steps.slice(1).map((step) => step.event.type));
    const approvedOverSpent = sentTypes.filter((types) => {
      const approval = types.indexOf('report.approve');
      const cost = types.indexOf('cost.record');
      const overrun = types.indexOf('budgetOverrun.approve');
      return approval >= 0 && cost >= 0 && cost < approval && !(overrun >= 0 && overrun < approval);
    });
    expect(approvedOverSpent).toEqual([]);
    expect(sentTypes).toContainEqual(['cost.record', 'budgetOverrun.approve', 'report.approve']);
  });
});
