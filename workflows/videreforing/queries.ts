import { addDuration, type Day } from '../kit/calendar';
import type { EventMeta } from '../kit/definition';
import { phases, rules, type ActivityId, type PhaseId, type ReportPhase } from './data';
import type { ReportDecision, ReportRecord, Stamp, VidereforingContext } from './types';

/** Read-only questions about a videreføring context, shared by guards, actions and deadlines. */

export function stampOf(meta: EventMeta): Stamp {
  return { at: meta.at, by: meta.actor.id, role: meta.actor.role };
}

export function activityIdsOf(phase: PhaseId): ActivityId[] {
  return phases[phase].activities.map((a) => a.id);
}

export function isActivityOf(phase: PhaseId, id: string): id is ActivityId {
  return (activityIdsOf(phase) as string[]).includes(id);
}

export function isActivityCompleted(context: VidereforingContext, id: ActivityId): boolean {
  return context.activities[id]?.completed === true;
}

export function openActivities(context: VidereforingContext, phase: PhaseId): ActivityId[] {
  return activityIdsOf(phase).filter((id) => !isActivityCompleted(context, id));
}

export function latestDecision(report: ReportRecord | undefined): ReportDecision | undefined {
  return report?.decisions[report.decisions.length - 1];
}

/** The report's standing: none, submitted (awaiting the board), approved or rejected. */
export function reportStatus(
  context: VidereforingContext,
  phase: ReportPhase,
): 'none' | 'submitted' | 'approved' | 'rejected' {
  const report = context.reports[phase];
  if (!report || report.submissions.length === 0) return 'none';
  const decision = latestDecision(report);
  if (!decision || decision.submission < report.submissions.length) return 'submitted';
  return decision.decision;
}

export function isReportApproved(context: VidereforingContext, phase: ReportPhase): boolean {
  return reportStatus(context, phase) === 'approved';
}

export function costsOf(
  context: VidereforingContext,
  phasesToCount: readonly (PhaseId | 'initiering')[],
  category?: string,
): number {
  return context.costs
    .filter((c) => phasesToCount.includes(c.phase) && (!category || c.category === category))
    .reduce((sum, c) => sum + c.amountNok, 0);
}

/** The pre-study's cost frame: the rule's frame, or the largest overrun the board approved. */
export function forstudieCostFrame(context: VidereforingContext): number {
  return Math.max(
    rules.forstudieCostFrameNok.value,
    ...context.budgetOverruns.map((o) => o.newFrameNok),
  );
}

export function fundingApplied(context: VidereforingContext): number {
  return context.fundingApplications.reduce((sum, f) => sum + f.amountNok, 0);
}

/** The most Innovasjon Norge may cover in total: a share of consultant fees in the phases named. */
export function fundingCeiling(context: VidereforingContext): number {
  const rule = rules.innovasjonNorgeFundingShare;
  return Math.floor(costsOf(context, rule.phases, 'konsulenthonorar') * rule.value);
}

export function latestStartDay(context: VidereforingContext): Day {
  return addDuration(context.programme.end, rules.latestStartBeforeEnd.value, -1);
}

export function isBlank(value: unknown): boolean {
  return typeof value !== 'string' || value.trim().length === 0;
}

/** Norwegian organisasjonsnummer: nine digits, the last a modulus-11 check digit (weights 3 2 7 6 5 4 3 2). */
export function isValidOrganisasjonsnummer(value: unknown): boolean {
  if (typeof value !== 'string' || !/^\d{9}$/.test(value)) return false;
  const weights = [3, 2, 7, 6, 5, 4, 3, 2];
  const sum = weights.reduce((acc, w, i) => acc + w * Number(value[i]), 0);
  const remainder = sum % 11;
  const check = remainder === 0 ? 0 : 11 - remainder;
  return check !== 10 && check === Number(value[8]);
}
