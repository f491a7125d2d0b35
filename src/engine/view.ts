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

const texts = new WeakMap<object, string>();

/**
 * A view's JSON text, made once: an accepted event's view is stored in its idempotency record and
 * sent as the reply, and at ≈ 8 KB serialising it is a noticeable part of the request. A view is
 * never changed once built.
 */
export function viewJson(view: object): string {
  let text = texts.get(view);
  if (text === undefined) {
    text = JSON.stringify(view);
    texts.set(view, text);
  }
  return text;
}

/** The view's JSON text if it was made already (see `viewJson`). */
export function madeViewJson(view: object): string | undefined {
  return texts.get(view);
}

/** `{ [field]: value, ...view }`, its JSON text derived from the view's if that was made already. */
export function withField<F extends string, V, T extends object>(
  field: F,
  value: V,
  view: T,
): Record<F, V> & T {
  const extended = { [field]: value, ...view } as Record<F, V> & T;
  const text = texts.get(view);
  if (text !== undefined && text.length > 2) {
    texts.set(extended, `{${JSON.stringify(field)}:${JSON.stringify(value)},${text.slice(1)}`);
  }
  return extended;
}
