import { addDays, addDuration, minDay, osloDay, type Day } from '../kit/calendar';
import type { Deadline } from '../kit/definition';
import type { Text } from '../kit/text';
import { phases, reports, rules, type RecipientGroup, type ReportPhase } from './data';
import { isReportApproved, latestStartDay, reportStatus } from './queries';
import type { VidereforingContext } from './types';

export interface DeadlineSettings {
  /** Days the board has to decide on a submitted report. */
  reportDecisionDays: number;
}

export const defaultDeadlineSettings: DeadlineSettings = {
  reportDecisionDays: rules.reportDecisionDays.value,
};

export type DeadlineKind =
  | 'latestStart'
  | 'forstudieEnd'
  | 'forprosjektEnd'
  | 'hovedprosjektEnd'
  | 'reportDecision'
  | 'tenderAnswer';

interface SnapshotLike {
  value: unknown;
  status: string;
  context: VidereforingContext;
}

/**
 * The deadlines of SPEC §2.7 that follow from a snapshot, judged at `now`. Pure: the same snapshot
 * and instant always give the same list. A cancelled process has no deadlines left.
 */
export function videreforingDeadlines(
  snapshot: SnapshotLike,
  now: string,
  settings: Partial<DeadlineSettings> = {},
): Deadline[] {
  if (snapshot.value === 'avbrutt') return [];
  const reportDecisionDays =
    settings.reportDecisionDays ?? defaultDeadlineSettings.reportDecisionDays;
  const context = snapshot.context;
  const today = osloDay(now);
  const list: Deadline[] = [];
  const add = (
    kind: DeadlineKind,
    key: string,
    label: Text,
    due: Day,
    met: boolean,
    recipients: RecipientGroup[],
    source: string,
    overdueRecipients: RecipientGroup[] = [],
  ) => {
    const overdue = !met && due < today;
    list.push({
      kind,
      key,
      label,
      due,
      met,
      overdue,
      recipients: overdue ? [...recipients, ...overdueRecipients] : recipients,
      source,
    });
  };

  add(
    'latestStart',
    'latestStart',
    { nb: 'Seneste oppstart av forstudien', en: 'Latest start of the pre-study' },
    latestStartDay(context),
    context.phases.forstudie !== undefined,
    ['board', 'administrators'],
    rules.latestStartBeforeEnd.source,
    ['prosjektansvarlig'],
  );

  if (context.tender) {
    add(
      'tenderAnswer',
      'tenderAnswer',
      { nb: 'Svarfrist for anbudet', en: 'Tender answer deadline' },
      context.tender.answerDeadline,
      context.contract !== undefined,
      ['administrators'],
      rules.tenderBeforeExternalContract.source,
    );
  }

  const forstudie = context.phases.forstudie;
  if (forstudie) {
    add(
      'forstudieEnd',
      'forstudieEnd',
      { nb: 'Forstudien ferdig', en: 'Pre-study finished' },
      addDuration(forstudie.startDay, phases.forstudie.timeFrame.max),
      isReportApproved(context, 'forstudie'),
      ['board', 'prosjektleder'],
      phases.forstudie.timeFrame.source,
    );
  }

  const forprosjekt = context.phases.forprosjekt;
  if (forprosjekt) {
    add(
      'forprosjektEnd',
      'forprosjektEnd',
      { nb: 'Forprosjektet ferdig', en: 'Pre-project finished' },
      addDuration(forprosjekt.startDay, phases.forprosjekt.timeFrame.max),
      isReportApproved(context, 'forprosjekt'),
      ['board', 'prosjektleder'],
      phases.forprosjekt.timeFrame.source,
    );
  }

  const hovedprosjekt = context.phases.hovedprosjekt;
  if (hovedprosjekt) {
    add(
      'hovedprosjektEnd',
      'hovedprosjektEnd',
      { nb: 'Hovedprosjektet ferdig', en: 'Main project finished' },
      minDay(
        addDuration(hovedprosjekt.startDay, phases.hovedprosjekt.timeFrame.max),
        context.programme.end,
      ),
      hovedprosjekt.completedAt !== undefined,
      ['board', 'prosjektansvarlig'],
      `${phases.hovedprosjekt.timeFrame.source}; ${rules.hovedprosjektBeforeProgrammeEnd.source}`,
    );
  }

  for (const phase of ['forstudie', 'forprosjekt'] as ReportPhase[]) {
    const report = context.reports[phase];
    const last = report?.submissions[report.submissions.length - 1];
    if (!report || !last) continue;
    add(
      'reportDecision',
      `reportDecision:${phase}:${report.submissions.length}`,
      {
        nb: `Styrets behandling av ${reports[phase].definite}`,
        en: `Board decision on the ${reports[phase].name.en.toLowerCase()}`,
      },
      addDays(osloDay(last.at), reportDecisionDays),
      reportStatus(context, phase) !== 'submitted',
      ['board'],
      rules.reportDecisionDays.source,
    );
  }

  return list.sort((a, b) =>
    a.due === b.due ? a.key.localeCompare(b.key) : a.due < b.due ? -1 : 1,
  );
}
