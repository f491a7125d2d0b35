import { and, assign, setup } from 'xstate';
import { toGuardPredicates } from '../kit/guards';
import * as update from './actions';
import type { PhaseId, ReportPhase } from './data';
import { guardSpecs } from './guards';
import type {
  EventOf,
  VidereforingContext,
  VidereforingEvent,
  VidereforingEventType,
  VidereforingInput,
} from './types';

type PhaseParams = { phase: PhaseId };
type StageParams = { phase: PhaseId | 'initiering' };
type ReportParams = { phase: ReportPhase };

/** Narrows the event for an action that the machine only wires to that event type. */
function as<T extends VidereforingEventType>(event: VidereforingEvent): EventOf<T> {
  return event as EventOf<T>;
}

const base = setup({
  types: {
    context: {} as VidereforingContext,
    events: {} as VidereforingEvent,
    input: {} as VidereforingInput,
  },
  guards: toGuardPredicates(guardSpecs),
  actions: {
    assignRoles: assign(({ context, event }) =>
      update.assignRoles({ context, event: as<'roles.assign'>(event) }),
    ),
    recordTender: assign(({ context, event }) =>
      update.recordTender({ context, event: as<'tender.publish'>(event) }),
    ),
    recordContract: assign(({ context, event }) =>
      update.recordContract({ context, event: as<'contract.award'>(event) }),
    ),
    startPhase: assign(({ context, event }, { phase }: PhaseParams) =>
      update.startPhase(context, event, phase),
    ),
    completePhase: assign(({ context, event }, { phase }: PhaseParams) =>
      update.completePhase(context, event, phase),
    ),
    completeActivity: assign(({ context, event }) =>
      update.completeActivity({ context, event: as<'activity.complete'>(event) }),
    ),
    reopenActivity: assign(({ context, event }) =>
      update.reopenActivity({ context, event: as<'activity.reopen'>(event) }),
    ),
    recordCost: assign(({ context, event }, { phase }: StageParams) =>
      update.recordCost({ context, event: as<'cost.record'>(event) }, phase),
    ),
    recordFunding: assign(({ context, event }) =>
      update.recordFunding({ context, event: as<'funding.apply'>(event) }),
    ),
    recordBudgetOverrun: assign(({ context, event }) =>
      update.recordBudgetOverrun({ context, event: as<'budgetOverrun.approve'>(event) }),
    ),
    recordSubmission: assign(({ context, event }, { phase }: ReportParams) =>
      update.recordSubmission({ context, event: as<'report.submit'>(event) }, phase),
    ),
    recordDecision: assign(({ context, event }, { phase }: ReportParams) =>
      update.recordDecision(context, as<'report.approve' | 'report.reject'>(event), phase),
    ),
    recordOwners: assign(({ context, event }) =>
      update.recordOwners({ context, event: as<'forprosjekt.start'>(event) }),
    ),
    registerCompany: assign(({ context, event }) =>
      update.registerCompany({ context, event: as<'company.register'>(event) }),
    ),
    electBoard: assign(({ context, event }) =>
      update.electBoard({ context, event: as<'board.elect'>(event) }),
    ),
    recordReschedule: assign(({ context, event }) =>
      update.recordReschedule({ context, event: as<'programme.reschedule'>(event) }),
    ),
    recordCancellation: assign(({ context, event }, { phase }: StageParams) =>
      update.recordCancellation({ context, event: as<'workflow.cancel'>(event) }, phase),
    ),
  },
});

const cancel = (phase: PhaseId | 'initiering') =>
  ({
    target: '#videreforing.avbrutt',
    actions: { type: 'recordCancellation', params: { phase } },
  }) as const;

/** Possible in every phase but not once the process has ended. */
const always = {
  'funding.apply': { guard: 'isFundingWithinShare', actions: 'recordFunding' },
  'programme.reschedule': { guard: 'isValidProgrammePeriod', actions: 'recordReschedule' },
} as const;

const costs = (phase: PhaseId | 'initiering') =>
  ({ actions: { type: 'recordCost', params: { phase } } }) as const;

const activities = (phase: PhaseId) =>
  ({
    'activity.complete': {
      guard: { type: 'isOpenActivityOfPhase', params: { phase } },
      actions: 'completeActivity',
    },
    'activity.reopen': {
      guard: { type: 'isCompletedActivityOfPhase', params: { phase } },
      actions: 'reopenActivity',
    },
  }) as const;

/** The report stages of forstudie and forprosjekt: work → report submitted → approved, rejection back. */
const reportStages = (
  phase: ReportPhase,
  reportGuard: 'hasCompleteForstudieReport' | 'hasCompleteForprosjektReport',
  approveGuard?: 'isWithinCostFrameOrOverrunApproved',
) =>
  ({
    arbeid: {
      on: {
        ...activities(phase),
        'report.submit': {
          guard: and([{ type: 'hasCompletedAllActivities', params: { phase } }, reportGuard]),
          target: 'rapportTilBehandling',
          actions: { type: 'recordSubmission', params: { phase } },
        },
      },
    },
    rapportTilBehandling: {
      on: {
        'report.approve': {
          ...(approveGuard ? { guard: approveGuard } : {}),
          target: 'rapportGodkjent',
          actions: { type: 'recordDecision', params: { phase } },
        },
        'report.reject': {
          target: 'arbeid',
          actions: { type: 'recordDecision', params: { phase } },
        },
      },
    },
    rapportGodkjent: {},
  }) as const;

/**
 * «Videreføring av omstillingsarbeidet» (SPEC §2). States are camelCase Norwegian, events dot.case.
 * Every guard is named and explained in guards.ts; all time comes from `event.meta.at`.
 */
export const videreforingMachine = base.createMachine({
  id: 'videreforing',
  initial: 'initiering',
  context: ({ input }) => update.initialContext(input),
  states: {
    initiering: {
      initial: 'forberedelse',
      on: {
        'roles.assign': { actions: 'assignRoles' },
        'tender.publish': {
          guard: and(['hasNoAwardedContract', 'isValidTenderPeriod']),
          target: '.anbudUte',
          actions: 'recordTender',
        },
        'contract.award': {
          guard: and(['hasPublishedTender', 'hasNoAwardedContract']),
          target: '.kontraktTildelt',
          actions: 'recordContract',
        },
        'cost.record': costs('initiering'),
        'forstudie.start': {
          guard: and([
            'hasRolesInPlace',
            'hasContractIfExternalLeader',
            'isWithinLatestStartOrJustified',
          ]),
          target: 'forstudie',
        },
        'workflow.cancel': cancel('initiering'),
        ...always,
      },
      states: { forberedelse: {}, anbudUte: {}, kontraktTildelt: {} },
    },
    forstudie: {
      initial: 'arbeid',
      entry: { type: 'startPhase', params: { phase: 'forstudie' } },
      on: {
        'cost.record': costs('forstudie'),
        'budgetOverrun.approve': { guard: 'exceedsCostFrame', actions: 'recordBudgetOverrun' },
        'forprosjekt.start': {
          guard: and(['hasApprovedForstudieReport', 'hasOwnersSharingAll']),
          target: 'forprosjekt',
          actions: ['recordOwners', { type: 'completePhase', params: { phase: 'forstudie' } }],
        },
        'workflow.cancel': cancel('forstudie'),
        ...always,
      },
      states: reportStages(
        'forstudie',
        'hasCompleteForstudieReport',
        'isWithinCostFrameOrOverrunApproved',
      ),
    },
    forprosjekt: {
      initial: 'arbeid',
      entry: { type: 'startPhase', params: { phase: 'forprosjekt' } },
      on: {
        'cost.record': costs('forprosjekt'),
        'hovedprosjekt.start': {
          guard: 'hasApprovedForprosjektReport',
          target: 'hovedprosjekt',
          actions: { type: 'completePhase', params: { phase: 'forprosjekt' } },
        },
        'workflow.cancel': cancel('forprosjekt'),
        ...always,
      },
      states: reportStages('forprosjekt', 'hasCompleteForprosjektReport'),
    },
    hovedprosjekt: {
      initial: 'arbeid',
      entry: { type: 'startPhase', params: { phase: 'hovedprosjekt' } },
      on: {
        'cost.record': costs('hovedprosjekt'),
        'workflow.cancel': cancel('hovedprosjekt'),
        ...always,
      },
      states: {
        arbeid: {
          on: {
            ...activities('hovedprosjekt'),
            'company.register': {
              guard: 'hasValidOrganisasjonsnummer',
              actions: 'registerCompany',
            },
            'board.elect': { guard: 'hasBoardMembers', actions: 'electBoard' },
            'hovedprosjekt.complete': {
              guard: and(['hasRegisteredCompany', 'hasElectedBoard', 'hasStartedRecruitment']),
              target: '#videreforing.etablert',
              actions: { type: 'completePhase', params: { phase: 'hovedprosjekt' } },
            },
          },
        },
      },
    },
    etablert: { type: 'final' },
    avbrutt: { type: 'final' },
  },
});

export type VidereforingMachine = typeof videreforingMachine;
