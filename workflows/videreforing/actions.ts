import { osloDay } from '../kit/calendar';
import type { PhaseId, ReportPhase } from './data';
import { stampOf } from './queries';
import type { EventOf, VidereforingContext, VidereforingEvent, VidereforingInput } from './types';

/**
 * Pure context updates, one per thing that happens. Each returns the changed part of the context;
 * the machine wraps them in `assign`. Who and when always come from the event's meta.
 */

type Update = Partial<VidereforingContext>;
type Args<T extends VidereforingEvent['type']> = {
  context: VidereforingContext;
  event: EventOf<T>;
};

export function initialContext(input: VidereforingInput | undefined): VidereforingContext {
  return {
    // XState's transition() builds a throwaway actor without input on every call; that context is discarded.
    programme: input ? { ...input.programme } : { municipality: '', start: '', end: '' },
    roles: {},
    phases: {},
    activities: {},
    reports: {},
    costs: [],
    budgetOverruns: [],
    fundingApplications: [],
    owners: [],
    reschedules: [],
  };
}

export function assignRoles({ event }: Args<'roles.assign'>): Update {
  const { prosjekteier, prosjektansvarlig, prosjektleder } = event;
  return {
    roles: { prosjekteier, prosjektansvarlig, prosjektleder, assigned: stampOf(event.meta) },
  };
}

export function recordTender({ event }: Args<'tender.publish'>): Update {
  const { publishedAt, answerDeadline, reference } = event;
  return {
    tender: {
      publishedAt,
      answerDeadline,
      ...(reference ? { reference } : {}),
      ...stampOf(event.meta),
    },
  };
}

export function recordContract({ event }: Args<'contract.award'>): Update {
  const { consultant, awardedAt, feeNok } = event;
  return {
    contract: {
      consultant,
      awardedAt,
      ...(feeNok !== undefined ? { feeNok } : {}),
      ...stampOf(event.meta),
    },
  };
}

export function startPhase(
  context: VidereforingContext,
  event: VidereforingEvent,
  phase: PhaseId,
): Update {
  const justification = event.type === 'forstudie.start' ? event.lateStartJustification : undefined;
  return {
    phases: {
      ...context.phases,
      [phase]: {
        ...stampOf(event.meta),
        startDay: osloDay(event.meta.at),
        ...(justification ? { lateStartJustification: justification } : {}),
      },
    },
  };
}

export function completeActivity({ context, event }: Args<'activity.complete'>): Update {
  const previous = context.activities[event.activityId as keyof VidereforingContext['activities']];
  return {
    activities: {
      ...context.activities,
      [event.activityId]: {
        ...previous,
        completed: true,
        completedAt: event.meta.at,
        completedBy: event.meta.actor.id,
        ...(event.note ? { note: event.note } : {}),
      },
    },
  };
}

export function reopenActivity({ context, event }: Args<'activity.reopen'>): Update {
  const previous = context.activities[event.activityId as keyof VidereforingContext['activities']];
  return {
    activities: {
      ...context.activities,
      [event.activityId]: {
        completed: false,
        reopened: [
          ...(previous?.reopened ?? []),
          { at: event.meta.at, by: event.meta.actor.id, reason: event.reason },
        ],
      },
    },
  };
}

export function recordCost(
  { context, event }: Args<'cost.record'>,
  phase: PhaseId | 'initiering',
): Update {
  const { category, amountNok, date, description } = event;
  return {
    costs: [
      ...context.costs,
      { phase, category, amountNok, date, description, ...stampOf(event.meta) },
    ],
  };
}

export function recordFunding({ context, event }: Args<'funding.apply'>): Update {
  const { amountNok, appliedAt } = event;
  return {
    fundingApplications: [
      ...context.fundingApplications,
      { amountNok, appliedAt, ...stampOf(event.meta) },
    ],
  };
}

export function recordBudgetOverrun({ context, event }: Args<'budgetOverrun.approve'>): Update {
  const { newFrameNok, reason } = event;
  return {
    budgetOverruns: [...context.budgetOverruns, { newFrameNok, reason, ...stampOf(event.meta) }],
  };
}

export function recordSubmission(
  { context, event }: Args<'report.submit'>,
  phase: ReportPhase,
): Update {
  const previous = context.reports[phase] ?? { submissions: [], decisions: [] };
  const submission =
    phase === 'forstudie'
      ? { documentRef: event.documentRef, alternatives: event.alternatives ?? [] }
      : { documentRef: event.documentRef, sections: event.sections! };
  return {
    reports: {
      ...context.reports,
      [phase]: {
        ...previous,
        submissions: [...previous.submissions, { ...submission, ...stampOf(event.meta) }],
      },
    },
  };
}

export function recordDecision(
  context: VidereforingContext,
  event: EventOf<'report.approve'> | EventOf<'report.reject'>,
  phase: ReportPhase,
): Update {
  const report = context.reports[phase] ?? { submissions: [], decisions: [] };
  const decision =
    event.type === 'report.approve'
      ? {
          decision: 'approved' as const,
          ...(event.meetingRef ? { meetingRef: event.meetingRef } : {}),
        }
      : { decision: 'rejected' as const, reason: event.reason };
  return {
    reports: {
      ...context.reports,
      [phase]: {
        ...report,
        decisions: [
          ...report.decisions,
          { ...decision, submission: report.submissions.length, ...stampOf(event.meta) },
        ],
      },
    },
  };
}

export function recordOwners({ event }: Args<'forprosjekt.start'>): Update {
  return { owners: event.owners.map(({ name, sharePercent }) => ({ name, sharePercent })) };
}

export function registerCompany({ event }: Args<'company.register'>): Update {
  const { name, organisasjonsnummer, foundedAt } = event;
  return { company: { name, organisasjonsnummer, foundedAt, ...stampOf(event.meta) } };
}

export function electBoard({ event }: Args<'board.elect'>): Update {
  const members = event.members.map(({ name, role }) => ({ name, role }));
  return { companyBoard: { members, electedAt: event.electedAt, ...stampOf(event.meta) } };
}

export function completePhase(
  context: VidereforingContext,
  event: VidereforingEvent,
  phase: PhaseId,
): Update {
  const record = context.phases[phase];
  if (!record) return {};
  return { phases: { ...context.phases, [phase]: { ...record, completedAt: event.meta.at } } };
}

export function recordReschedule({ context, event }: Args<'programme.reschedule'>): Update {
  const { programmeStart, programmeEnd, reason } = event;
  return {
    programme: {
      ...context.programme,
      ...(programmeStart ? { start: programmeStart } : {}),
      ...(programmeEnd ? { end: programmeEnd } : {}),
    },
    reschedules: [
      ...context.reschedules,
      {
        ...(programmeStart ? { programmeStart } : {}),
        ...(programmeEnd ? { programmeEnd } : {}),
        ...(reason ? { reason } : {}),
        ...stampOf(event.meta),
      },
    ],
  };
}

export function recordCancellation({ event }: Args<'workflow.cancel'>, phase: string): Update {
  return { cancellation: { reason: event.reason, phase, ...stampOf(event.meta) } };
}
