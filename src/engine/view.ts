import type { AnyMachineSnapshot } from 'xstate';
import {
  nextEvents,
  pathOf,
  phaseOf,
  type AnyWorkflowDefinition,
  type Deadline,
  type NextEvent,
} from '../../workflows/kit';

/** What a client sees of an instance: where it is, what is due, what may happen next. */
export interface InstanceView {
  instanceId: string;
  definition: string;
  definitionVersion: string;
  phase: string;
  state: string;
  status: string;
  version: number;
  context: unknown;
  deadlines: Deadline[];
  nextEvents: NextEvent[];
  updatedAt: string;
}

export function buildView(args: {
  definition: AnyWorkflowDefinition;
  definitionVersion: string;
  instanceId: string;
  snapshot: AnyMachineSnapshot;
  version: number;
  updatedAt: string;
  now: string;
  settings: Readonly<Record<string, number>>;
  /** Already computed for this snapshot at `now`. */
  deadlines?: Deadline[];
}): InstanceView {
  const { definition, snapshot, now } = args;
  return {
    instanceId: args.instanceId,
    definition: definition.id,
    definitionVersion: args.definitionVersion,
    phase: phaseOf(snapshot),
    state: pathOf(snapshot),
    status: snapshot.status,
    version: args.version,
    context: snapshot.context,
    deadlines: args.deadlines ?? definition.deadlines(snapshot, now, args.settings),
    nextEvents: nextEvents(definition, snapshot, now),
    updatedAt: args.updatedAt,
  };
}
