import type { AnyStateNode, SnapshotFrom } from 'xstate';
import { addYears, osloDay, statePath } from '../../workflows/kit';
import { videreforingMachine } from '../../workflows/videreforing';
import type { VidereforingMachine } from '../../workflows/videreforing/machine';
import type {
  ReportRecord,
  VidereforingContext,
  VidereforingEvent,
} from '../../workflows/videreforing/types';
import { forprosjektIds, forstudieIds, hovedprosjektIds } from './videreforing-driver';

/**
 * Invariants of the videreføring workflow, written independently of the definition's own queries
 * (they restate SPEC §2 and §4 rather than call the code under test). Each checker returns the
 * violations it found; `assertInvariants` throws with all of them.
 */

export type VidereforingSnapshot = SnapshotFrom<VidereforingMachine>;

const PHASE_ORDER = ['initiering', 'forstudie', 'forprosjekt', 'hovedprosjekt', 'etablert'];
const ACTIVITIES: Record<'forstudie' | 'forprosjekt' | 'hovedprosjekt', readonly string[]> = {
  forstudie: forstudieIds,
  forprosjekt: forprosjektIds,
  hovedprosjekt: hovedprosjektIds,
};
const ALL_ACTIVITY_IDS = new Set<string>([...forstudieIds, ...forprosjektIds, ...hovedprosjektIds]);
const FORSTUDIE_FRAME_NOK = 100_000;
const FUNDING_SHARE = 0.5;

type ReportStatus = 'none' | 'submitted' | 'approved' | 'rejected';

/** Every leaf state of the machine as a dotted path, read from the machine's own state nodes. */
export function leafStatePaths(node: AnyStateNode = videreforingMachine.root): string[] {
  const children = Object.values(node.states) as AnyStateNode[];
  if (children.length === 0) return [node.path.join('.')];
  return children.flatMap((child) => leafStatePaths(child));
}

/** The standing of a report, from its submissions and decisions (SPEC §2.2–2.3). */
export function reportStatusOf(report: ReportRecord | undefined): ReportStatus {
  if (!report || report.submissions.length === 0) return 'none';
  if (report.decisions.length < report.submissions.length) return 'submitted';
  return report.decisions[report.decisions.length - 1]!.decision;
}

/** Nine digits, weights 3 2 7 6 5 4 3 2, check digit 11 − (sum mod 11), 11 → 0, 10 invalid. */
export function isModulus11Organisasjonsnummer(value: string): boolean {
  if (!/^\d{9}$/.test(value)) return false;
  const weights = [3, 2, 7, 6, 5, 4, 3, 2];
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += weights[i]! * Number(value[i]);
  const check = (11 - (sum % 11)) % 11;
  return check !== 10 && check === Number(value[8]);
}

function sumOf(amounts: number[]): number {
  return amounts.reduce((a, b) => a + b, 0);
}

export function consultantFeesForFunding(context: VidereforingContext): number {
  return sumOf(
    context.costs
      .filter(
        (c) =>
          (c.phase === 'forstudie' || c.phase === 'forprosjekt') &&
          c.category === 'konsulenthonorar',
      )
      .map((c) => c.amountNok),
  );
}

export function fundingTotal(context: VidereforingContext): number {
  return sumOf(context.fundingApplications.map((f) => f.amountNok));
}

export function forstudieSpent(context: VidereforingContext): number {
  return sumOf(context.costs.filter((c) => c.phase === 'forstudie').map((c) => c.amountNok));
}

export function forstudieFrame(context: VidereforingContext): number {
  return Math.max(FORSTUDIE_FRAME_NOK, ...context.budgetOverruns.map((o) => o.newFrameNok));
}

const isBlank = (value: unknown) => typeof value !== 'string' || value.trim() === '';
const time = (iso: string) => Date.parse(iso);

/** How far the process got: the phase, or for a cancelled process the phase it was cancelled in. */
function reachedRank(snapshot: VidereforingSnapshot): number {
  const phase = statePath(snapshot.value).split('.')[0]!;
  if (phase === 'avbrutt') return PHASE_ORDER.indexOf(snapshot.context.cancellation?.phase ?? '');
  return PHASE_ORDER.indexOf(phase);
}

/** Invariants of a single snapshot. */
export function snapshotViolations(snapshot: VidereforingSnapshot): string[] {
  const violations: string[] = [];
  const path = statePath(snapshot.value);
  const phase = path.split('.')[0]!;
  const c = snapshot.context;
  const check = (ok: boolean, message: string) => {
    if (!ok) violations.push(`${path}: ${message}`);
  };

  const final = phase === 'etablert' || phase === 'avbrutt';
  check(
    snapshot.status === (final ? 'done' : 'active'),
    `status is ${snapshot.status}, expected ${final ? 'done' : 'active'}`,
  );
  check(!!c.cancellation === (phase === 'avbrutt'), 'a cancellation is recorded iff avbrutt');
  const rank = reachedRank(snapshot);
  check(rank >= 0, `unknown phase (cancellation phase ${String(c.cancellation?.phase)})`);
  check(phase !== 'avbrutt' || rank <= 3, 'cancelled from a final state');

  // Phase records: a phase is started exactly when it was entered, completed when it was left.
  (['forstudie', 'forprosjekt', 'hovedprosjekt'] as const).forEach((p, i) => {
    const record = c.phases[p];
    check(!!record === rank >= i + 1, `phases.${p} present=${String(!!record)} at rank ${rank}`);
    if (record) {
      check(record.startDay === osloDay(record.at), `phases.${p}.startDay is not the Oslo day`);
      check(
        !!record.completedAt === rank >= i + 2,
        `phases.${p}.completedAt present=${String(!!record.completedAt)} at rank ${rank}`,
      );
    }
  });

  // Reports: one decision per submission, in order; the standing matches the state.
  const statuses = {} as Record<'forstudie' | 'forprosjekt', ReportStatus>;
  for (const p of ['forstudie', 'forprosjekt'] as const) {
    const report = c.reports[p];
    statuses[p] = reportStatusOf(report);
    if (!report) continue;
    const { submissions, decisions } = report;
    check(
      decisions.length === submissions.length || decisions.length === submissions.length - 1,
      `${p}: ${decisions.length} decisions for ${submissions.length} submissions`,
    );
    decisions.forEach((d, i) =>
      check(d.submission === i + 1, `${p}: decision ${i + 1} is about submission ${d.submission}`),
    );
    decisions
      .slice(0, -1)
      .forEach((d, i) =>
        check(d.decision === 'rejected', `${p}: decision ${i + 1} approved but not the last`),
      );
    for (const s of submissions) {
      if (p === 'forstudie') {
        check(
          (s.alternatives?.length ?? 0) >= 2,
          'forstudierapport with fewer than 2 alternatives',
        );
        for (const a of s.alternatives ?? []) {
          check(
            !isBlank(a.finansiering) &&
              !isBlank(a.organisering) &&
              !isBlank(a.geografiskVirkeomrade),
            'forstudierapport alternative lacks finansiering/organisering/geografisk virkeområde',
          );
        }
      } else {
        const sections = (s.sections ?? {}) as Record<string, unknown>;
        for (const key of ['organisering', 'eierskap', 'bemanning', 'finansiering', 'realisering'])
          check(!isBlank(sections[key]), `forprosjektrapport lacks ${key}`);
      }
      check(!isBlank(s.documentRef), `${p}: submission without documentRef`);
    }
  }
  if (path === 'forstudie.arbeid')
    check(['none', 'rejected'].includes(statuses.forstudie), `forstudie ${statuses.forstudie}`);
  if (path === 'forstudie.rapportTilBehandling')
    check(statuses.forstudie === 'submitted', `forstudie report ${statuses.forstudie}`);
  if (path === 'forstudie.rapportGodkjent')
    check(statuses.forstudie === 'approved', `forstudie report ${statuses.forstudie}`);
  if (path === 'forprosjekt.arbeid')
    check(
      ['none', 'rejected'].includes(statuses.forprosjekt),
      `forprosjekt ${statuses.forprosjekt}`,
    );
  if (path === 'forprosjekt.rapportTilBehandling')
    check(statuses.forprosjekt === 'submitted', `forprosjekt report ${statuses.forprosjekt}`);
  if (path === 'forprosjekt.rapportGodkjent')
    check(statuses.forprosjekt === 'approved', `forprosjekt report ${statuses.forprosjekt}`);
  if (rank < 1) check(statuses.forstudie === 'none', 'a forstudie report before the forstudie');
  if (rank < 2) check(statuses.forprosjekt === 'none', 'a forprosjekt report before forprosjekt');
  // The gates of SPEC §2.3 and §2.4.
  if (rank >= 2)
    check(statuses.forstudie === 'approved', `past forstudie with report ${statuses.forstudie}`);
  if (rank >= 3)
    check(
      statuses.forprosjekt === 'approved',
      `past forprosjekt with report ${statuses.forprosjekt}`,
    );

  // Activities: only known ids, only of phases that started; consistent records.
  for (const [id, record] of Object.entries(c.activities)) {
    check(ALL_ACTIVITY_IDS.has(id), `unknown activity ${id}`);
    const owner = (['forstudie', 'forprosjekt', 'hovedprosjekt'] as const).find((p) =>
      ACTIVITIES[p].includes(id),
    );
    if (owner) check(!!c.phases[owner], `activity ${id} touched before ${owner} started`);
    if (!record) continue;
    if (record.completed) {
      check(!!record.completedAt && !!record.completedBy, `activity ${id} completed without stamp`);
    } else {
      check(record.completedAt === undefined, `open activity ${id} keeps completedAt`);
      check((record.reopened?.length ?? 0) > 0, `open activity ${id} has no reopening`);
    }
  }
  // A submitted report rests on completed activities: they cannot be reopened after submission,
  // so every one is still completed, at or before the latest submission.
  const reportWithActivities: [string[], 'forstudie' | 'forprosjekt', boolean][] = [
    [
      [...forstudieIds],
      'forstudie',
      path === 'forstudie.rapportTilBehandling' || path === 'forstudie.rapportGodkjent',
    ],
    [
      [...forprosjektIds],
      'forprosjekt',
      path === 'forprosjekt.rapportTilBehandling' || path === 'forprosjekt.rapportGodkjent',
    ],
  ];
  for (const [ids, p, submitted] of reportWithActivities) {
    if (!submitted && rank < PHASE_ORDER.indexOf(p) + 1) continue;
    const lastSubmission = c.reports[p]?.submissions.at(-1);
    check(!!lastSubmission, `${p}: no submission`);
    for (const id of ids) {
      const record = c.activities[id as keyof VidereforingContext['activities']];
      check(record?.completed === true, `${p}: activity ${id} not completed after submission`);
      if (record?.completedAt && lastSubmission)
        check(
          time(record.completedAt) <= time(lastSubmission.at),
          `${p}: activity ${id} completed after the report was submitted`,
        );
    }
  }

  // Hovedprosjekt's result (SPEC §2.4).
  if (c.company) {
    check(rank >= 3, 'company registered before hovedprosjekt');
    check(
      isModulus11Organisasjonsnummer(c.company.organisasjonsnummer),
      `invalid organisasjonsnummer ${c.company.organisasjonsnummer}`,
    );
  }
  if (c.companyBoard) {
    check(rank >= 3, 'board elected before hovedprosjekt');
    check(c.companyBoard.members.length >= 1, 'board without members');
  }
  if (phase === 'etablert') {
    check(!!c.company, 'etablert without a company');
    check((c.companyBoard?.members.length ?? 0) >= 1, 'etablert without an elected board');
    check(c.activities.H5?.completed === true, 'etablert without recruitment (H5)');
  }

  // Owners (SPEC §2.3).
  if (rank >= 2) {
    check(c.owners.length >= 1, 'forprosjekt without owners');
    check(
      c.owners.every((o) => o.sharePercent > 0),
      'an owner with a share of 0 % or less',
    );
    const hundredths = sumOf(c.owners.map((o) => Math.round(o.sharePercent * 100)));
    check(hundredths === 100_00, `owner shares sum to ${hundredths / 100} %`);
  } else {
    check(c.owners.length === 0, 'owners before forprosjekt');
  }

  // Money (SPEC §2.6).
  check(
    fundingTotal(c) <= FUNDING_SHARE * consultantFeesForFunding(c),
    `funding ${fundingTotal(c)} above 50 % of consultant fees ${consultantFeesForFunding(c)}`,
  );
  let lastCostRank = 0;
  for (const cost of c.costs) {
    const costRank = PHASE_ORDER.indexOf(cost.phase);
    check(costRank >= lastCostRank, `cost in ${cost.phase} recorded after a later phase`);
    check(costRank <= Math.max(rank, 0), `cost in ${cost.phase} before that phase`);
    lastCostRank = costRank;
  }

  // Initiering (SPEC §2.1).
  if (c.contract) check(!!c.tender, 'a contract without a tender');
  if (rank >= 1) {
    check(
      !!c.roles.prosjekteier && !!c.roles.prosjektansvarlig && !!c.roles.prosjektleder,
      'forstudie started without all roles',
    );
    if (c.roles.prosjektleder?.external)
      check(!!c.contract, 'forstudie started with an external leader but no contract');
  }
  return violations;
}

/** Appending, never rewriting: `before` must be a prefix of `after`. */
function prefixViolations(name: string, before: unknown[], after: unknown[]): string[] {
  if (after.length < before.length)
    return [`${name} shrank from ${before.length} to ${after.length}`];
  const changed = before.findIndex(
    (entry, i) => JSON.stringify(entry) !== JSON.stringify(after[i]),
  );
  return changed === -1 ? [] : [`${name}[${changed}] changed`];
}

function appendedEntries<T>(before: T[] | undefined, after: T[] | undefined): T[] {
  return (after ?? []).slice((before ?? []).length);
}

/**
 * Invariants of one step: `event` sent to `before` gave `after`; `accepted` is whether the
 * machine took the event.
 */
export function stepViolations(
  before: VidereforingSnapshot,
  event: VidereforingEvent,
  after: VidereforingSnapshot,
  accepted: boolean,
): string[] {
  const violations: string[] = [];
  const check = (ok: boolean, message: string) => {
    if (!ok) violations.push(`${event.type} in ${statePath(before.value)}: ${message}`);
  };
  if (!accepted) {
    check(JSON.stringify(after) === JSON.stringify(before), 'a blocked event changed the snapshot');
    return violations;
  }
  const b = before.context;
  const a = after.context;

  const histories: [string, unknown[], unknown[]][] = [
    ['costs', b.costs, a.costs],
    ['fundingApplications', b.fundingApplications, a.fundingApplications],
    ['budgetOverruns', b.budgetOverruns, a.budgetOverruns],
    ['reschedules', b.reschedules, a.reschedules],
  ];
  for (const p of ['forstudie', 'forprosjekt'] as const) {
    histories.push([
      `${p}.submissions`,
      b.reports[p]?.submissions ?? [],
      a.reports[p]?.submissions ?? [],
    ]);
    histories.push([
      `${p}.decisions`,
      b.reports[p]?.decisions ?? [],
      a.reports[p]?.decisions ?? [],
    ]);
  }
  for (const id of ALL_ACTIVITY_IDS) {
    const key = id as keyof VidereforingContext['activities'];
    histories.push([
      `${id}.reopened`,
      b.activities[key]?.reopened ?? [],
      a.activities[key]?.reopened ?? [],
    ]);
  }
  for (const [name, old, now] of histories) violations.push(...prefixViolations(name, old, now));

  // Who and when come from the event's meta, never from the payload.
  const stamped = [
    ...appendedEntries(b.costs, a.costs),
    ...appendedEntries(b.fundingApplications, a.fundingApplications),
    ...appendedEntries(b.budgetOverruns, a.budgetOverruns),
    ...appendedEntries(b.reschedules, a.reschedules),
    ...appendedEntries(b.reports.forstudie?.submissions, a.reports.forstudie?.submissions),
    ...appendedEntries(b.reports.forstudie?.decisions, a.reports.forstudie?.decisions),
    ...appendedEntries(b.reports.forprosjekt?.submissions, a.reports.forprosjekt?.submissions),
    ...appendedEntries(b.reports.forprosjekt?.decisions, a.reports.forprosjekt?.decisions),
  ];
  for (const entry of stamped) {
    check(
      entry.at === event.meta.at &&
        entry.by === event.meta.actor.id &&
        entry.role === event.meta.actor.role,
      `new entry stamped ${entry.at}/${entry.by}/${entry.role}, not from the event's meta`,
    );
  }

  // Phase records are written once; only completedAt is added later, and only once.
  for (const p of ['forstudie', 'forprosjekt', 'hovedprosjekt'] as const) {
    const old = b.phases[p];
    const now = a.phases[p];
    if (!old) {
      if (now) check(now.at === event.meta.at, `phases.${p} not started at the event's instant`);
      continue;
    }
    const { completedAt: oldCompleted, ...oldRest } = old;
    const { completedAt: newCompleted, ...newRest } = now ?? ({} as typeof old);
    check(JSON.stringify(oldRest) === JSON.stringify(newRest), `phases.${p} rewritten`);
    if (oldCompleted) check(newCompleted === oldCompleted, `phases.${p}.completedAt changed`);
  }
  if (b.contract)
    check(JSON.stringify(a.contract) === JSON.stringify(b.contract), 'contract changed');

  // The pre-study starts on time or with a written justification (SPEC §2.1), judged against the
  // programme end in force when it starts.
  if (!b.phases.forstudie && a.phases.forstudie) {
    const latest = addYears(b.programme.end, -2);
    if (osloDay(event.meta.at) > latest) {
      check(
        !isBlank(a.phases.forstudie.lateStartJustification),
        `late start (latest ${latest}) without justification`,
      );
    }
  }

  // Every funding application stays within 50 % of the consultant fees recorded so far.
  if (a.fundingApplications.length > b.fundingApplications.length) {
    check(
      fundingTotal(a) <= FUNDING_SHARE * consultantFeesForFunding(b),
      `funding ${fundingTotal(a)} above 50 % of consultant fees ${consultantFeesForFunding(b)}`,
    );
  }

  // The pre-study report is approved only within the cost frame or with an approved overrun.
  if (
    reportStatusOf(b.reports.forstudie) !== 'approved' &&
    reportStatusOf(a.reports.forstudie) === 'approved'
  ) {
    check(
      forstudieSpent(b) <= forstudieFrame(b),
      `forstudie approved with costs ${forstudieSpent(b)} above the frame ${forstudieFrame(b)}`,
    );
  }

  // Phases move forward one at a time; the end states are absorbing.
  const rankBefore = reachedRank(before);
  const phaseAfter = statePath(after.value).split('.')[0];
  if (phaseAfter !== 'avbrutt') {
    const rankAfter = reachedRank(after);
    check(
      rankAfter === rankBefore || rankAfter === rankBefore + 1,
      `jumped from rank ${rankBefore} to ${rankAfter}`,
    );
  } else {
    check(event.type === 'workflow.cancel', 'avbrutt reached without workflow.cancel');
  }
  return violations;
}

/** getPersistedSnapshot → JSON → resolveState gives back the same snapshot. */
export function roundTripViolations(snapshot: VidereforingSnapshot): string[] {
  const json = JSON.stringify(videreforingMachine.getPersistedSnapshot(snapshot));
  const restored = videreforingMachine.resolveState(JSON.parse(json) as never);
  const violations: string[] = [];
  if (JSON.stringify(videreforingMachine.getPersistedSnapshot(restored)) !== json)
    violations.push('persisted snapshot changed in a JSON round trip');
  if (JSON.stringify(restored) !== JSON.stringify(snapshot))
    violations.push('restored snapshot differs from the original');
  if (restored.status !== snapshot.status) violations.push('status changed in a JSON round trip');
  return violations;
}

/** Throws with every violation of the snapshot (and of the step, when one is given). */
export function assertInvariants(
  snapshot: VidereforingSnapshot,
  step?: { before: VidereforingSnapshot; event: VidereforingEvent; accepted: boolean },
): void {
  const violations = [
    ...snapshotViolations(snapshot),
    ...roundTripViolations(snapshot),
    ...(step ? stepViolations(step.before, step.event, snapshot, step.accepted) : []),
  ];
  if (violations.length > 0) throw new Error(`Invariants violated:\n- ${violations.join('\n- ')}`);
}
