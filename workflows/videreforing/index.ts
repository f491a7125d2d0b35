import type { WorkflowDefinition } from '../kit/definition';
import { phases, reports, rules, costCategories } from './data';
import { videreforingDeadlines } from './deadlines';
import { events, roles, stateLabels } from './events';
import { guardSpecs } from './guards';
import { contactsOf, missingFor, noticesFor } from './notices';
import { payloadClasses } from './payloads';
import type { VidereforingEvent } from './types';
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
  missingFor: (snapshot, deadline, now) => missingFor(videreforing, snapshot, deadline, now),
  notices: (before, after, event) => noticesFor(before, after, event as VidereforingEvent),
  contacts: (snapshot, group) => contactsOf(snapshot, group),
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
