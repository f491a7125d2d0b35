import type { WorkflowDefinition } from '../kit/definition';
import { phases, reports, rules, costCategories } from './data';
import { videreforingDeadlines } from './deadlines';
import { events, roles, stateLabels } from './events';
import { guardSpecs } from './guards';
import { payloadClasses } from './payloads';
import { videreforingMachine, type VidereforingMachine } from './machine';

export const videreforing: WorkflowDefinition<VidereforingMachine> = {
  id: 'videreforing',
  title: {
    nb: 'Videreføring av omstillingsarbeidet',
    en: 'Continuation of the restructuring work',
  },
  machine: videreforingMachine,
  roles,
  events,
  payloads: payloadClasses,
  guards: guardSpecs,
  stateLabels,
  deadlines: (snapshot, now, settings) => videreforingDeadlines(snapshot, now, settings),
  settings: {
    reportDecisionDays: {
      default: rules.reportDecisionDays.value,
      label: {
        nb: 'Dager styret har til å behandle en rapport',
        en: 'Days the board has to decide on a report',
      },
    },
  },
  data: { phases, reports, rules, costCategories },
};

export { videreforingMachine } from './machine';
export type * from './types';
