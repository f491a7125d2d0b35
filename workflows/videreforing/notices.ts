import { formatDayNb, osloDay } from '../kit/calendar';
import type { Contact, Deadline, Notice } from '../kit/definition';
import { explainEvent } from '../kit/explain';
import { formatNok, listNb } from '../kit/text';
import { phases, reports, type ReportPhase } from './data';
import type { AnyWorkflowDefinition } from '../kit/definition';
import { costsOf, forstudieCostFrame, openActivities, reportStatus } from './queries';
import type { VidereforingContext, VidereforingEvent } from './types';

/**
 * The texts of reminders and notices (Norwegian bokmål). Pure: they read a snapshot and return
 * lines; the service turns them into e-mail.
 */

interface SnapshotLike {
  value: unknown;
  status: string;
  context: VidereforingContext;
}

const decided = (phase: ReportPhase) => reports[phase].definite;

/** What is still missing for a deadline to be met, as sentences for a reminder. */
export function missingFor(
  definition: AnyWorkflowDefinition,
  snapshot: SnapshotLike,
  deadline: Deadline,
  now: string,
): string[] {
  const context = snapshot.context;
  const blockersOf = (type: VidereforingEvent['type'], payloadKnown = false) =>
    explainEvent(
      definition,
      snapshot as never,
      { type, meta: { at: now, actor: { id: '', role: '' } } },
      { payloadKnown },
    )
      .blockedBy.filter((b) => b.guard !== 'isAcceptedInState')
      .map((b) => b.message);
  switch (deadline.kind) {
    case 'latestStart': {
      // Judged as a start without a justification (a known, empty payload): once the deadline
      // has passed, the written justification is part of what is missing.
      const blockers = blockersOf('forstudie.start', true);
      return blockers.length > 0 ? blockers : ['Alt er klart: forstudien kan startes nå'];
    }
    case 'tenderAnswer':
      return ['Kontrakten er ikke tildelt ennå'];
    case 'forstudieEnd':
    case 'forprosjektEnd': {
      const phase: ReportPhase = deadline.kind === 'forstudieEnd' ? 'forstudie' : 'forprosjekt';
      const lines: string[] = [];
      const open = openActivities(context, phase);
      if (open.length > 0) {
        lines.push(
          `${open.length === 1 ? 'Aktivitet' : 'Aktivitetene'} ${listNb(open)} ${phases[phase].inPhase} er ikke fullført`,
        );
      }
      const status = reportStatus(context, phase);
      if (status === 'none') lines.push(`${capitalise(decided(phase))} er ikke levert`);
      if (status === 'rejected')
        lines.push(`${capitalise(decided(phase))} ble avvist og må leveres på nytt`);
      if (status === 'submitted')
        lines.push(`${capitalise(decided(phase))} venter på omstillingsstyrets behandling`);
      if (phase === 'forstudie') {
        const spent = costsOf(context, ['forstudie']);
        const frame = forstudieCostFrame(context);
        if (spent > frame) {
          lines.push(
            `Kostnadene (${formatNok(spent)}) overstiger rammen på ${formatNok(frame)}; styret må godkjenne overskridelsen`,
          );
        }
      }
      return lines;
    }
    case 'hovedprosjektEnd':
      return blockersOf('hovedprosjekt.complete');
    case 'reportDecision':
      return ['Rapporten venter på omstillingsstyrets vedtak (godkjenne eller avvise)'];
    default:
      return [];
  }
}

/** Notices that an accepted event calls for at once (SPEC §2.1, §2.2, §5 of issue 5). */
export function noticesFor(
  before: SnapshotLike,
  after: SnapshotLike,
  event: VidereforingEvent,
): Notice[] {
  const municipality = after.context.programme.municipality;
  const notices: Notice[] = [];
  const phaseStarted = (phase: 'forstudie' | 'forprosjekt' | 'hovedprosjekt') =>
    !before.context.phases[phase] && after.context.phases[phase];
  for (const phase of ['forstudie', 'forprosjekt', 'hovedprosjekt'] as const) {
    const started = phaseStarted(phase);
    if (!started) continue;
    notices.push({
      key: `phaseStarted:${phase}`,
      recipients: ['board', 'administrators', 'prosjektleder'],
      subject: `${municipality}: ${phases[phase].name.nb.toLowerCase()} er startet`,
      lines: [
        `${phases[phase].name.nb} i ${municipality} ble startet ${formatDayNb(started.startDay)}.`,
        `Tidsramme: ${timeFrameNb(phase)}.`,
      ],
    });
    if (phase === 'forstudie' && started.lateStartJustification) {
      notices.push({
        key: 'lateStart',
        recipients: ['board', 'administrators', 'prosjektansvarlig'],
        subject: `${municipality}: forstudien startet etter seneste frist`,
        lines: [
          `Forstudien ble startet ${formatDayNb(started.startDay)}, etter seneste oppstart to år før programslutt.`,
          `Begrunnelse (dispensasjon): ${started.lateStartJustification}`,
        ],
      });
    }
  }
  if (event.type === 'report.reject') {
    const phase = (['forstudie', 'forprosjekt'] as const).find(
      (p) =>
        (after.context.reports[p]?.decisions.length ?? 0) >
        (before.context.reports[p]?.decisions.length ?? 0),
    );
    if (phase) {
      notices.push({
        key: `reportRejected:${phase}`,
        recipients: ['board', 'administrators', 'prosjektleder'],
        subject: `${municipality}: ${decided(phase)} er avvist`,
        lines: [
          `Omstillingsstyret avviste ${decided(phase)} ${formatDayNb(osloDay(event.meta.at))}.`,
          `Begrunnelse: ${event.reason}`,
        ],
      });
    }
  }
  if (event.type === 'cost.record') {
    const frame = forstudieCostFrame(after.context);
    const spentBefore = costsOf(before.context, ['forstudie']);
    const spentAfter = costsOf(after.context, ['forstudie']);
    if (spentBefore <= frame && spentAfter > frame) {
      notices.push({
        key: 'budgetOverrun',
        recipients: ['board', 'administrators'],
        subject: `${municipality}: kostnadene i forstudien overstiger rammen`,
        lines: [
          `Registrerte kostnader i forstudien er nå ${formatNok(spentAfter)}, over rammen på ${formatNok(frame)}.`,
          'Styret må godkjenne overskridelsen før forstudierapporten kan godkjennes.',
        ],
      });
    }
  }
  return notices;
}

function timeFrameNb(phase: 'forstudie' | 'forprosjekt' | 'hovedprosjekt'): string {
  const { min, max } = phases[phase].timeFrame;
  return min.weeks !== undefined
    ? `${min.weeks}–${max.weeks} uker`
    : `${min.months}–${max.months} måneder`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The project leader and the prosjektansvarlig, as the roles assigned in initiering name them. */
export function contactsOf(snapshot: SnapshotLike, group: string): Contact[] {
  const { roles } = snapshot.context;
  const person =
    group === 'prosjektleder'
      ? roles.prosjektleder
      : group === 'prosjektansvarlig'
        ? roles.prosjektansvarlig
        : undefined;
  return person ? [{ name: person.name, email: person.email }] : [];
}
