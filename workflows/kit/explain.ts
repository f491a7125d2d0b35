import { getNextTransitions, type AnyMachineSnapshot, type EventObject } from 'xstate';
import type { AnyWorkflowDefinition, EventMeta } from './definition';
import type { AnyGuardSpec } from './guards';
import { pathOf } from './state-path';
import type { Text } from './text';

/** One reason an event cannot happen now. `guard` names the rule, `message` says it in Norwegian. */
export interface Blocker {
  guard: string;
  message: string;
  messageEn: string;
}

export interface Explanation {
  type: string;
  allowed: boolean;
  blockedBy: Blocker[];
}

export interface NextEvent extends Explanation {
  roles: string[];
}

/** Pseudo-guards for the blocks that come from the machine's shape rather than a named rule. */
export const STRUCTURAL_GUARDS = {
  isWorkflowActive: 'isWorkflowActive',
  isAcceptedInState: 'isAcceptedInState',
  isKnownEvent: 'isKnownEvent',
} as const;

type GuardValue = unknown;

interface CompositeGuard {
  (...args: unknown[]): boolean;
  guards: GuardValue[];
}

/**
 * Says whether `event` would be taken in `snapshot` and, if not, every rule that blocks it.
 * Works for any definition: it reads the candidate transitions from the machine and the reasons
 * from the definition's guard specs. With `payloadKnown: false` (only the type is known), guards
 * that judge the payload are left open.
 */
export function explainEvent(
  definition: AnyWorkflowDefinition,
  snapshot: AnyMachineSnapshot,
  event: EventObject & { meta: EventMeta },
  options: { payloadKnown: boolean },
): Explanation {
  return explainAmong(
    definition,
    snapshot,
    event,
    options,
    () => getNextTransitions(snapshot),
    labelOf(definition, pathOf(snapshot)),
  );
}

type Transitions = ReturnType<typeof getNextTransitions>;

function explainAmong(
  definition: AnyWorkflowDefinition,
  snapshot: AnyMachineSnapshot,
  event: EventObject & { meta: EventMeta },
  options: { payloadKnown: boolean },
  transitions: () => Transitions,
  stateLabel: Text,
): Explanation {
  const blocked = (blockers: Blocker[]): Explanation => ({
    type: event.type,
    allowed: false,
    blockedBy: blockers,
  });
  if (!Object.hasOwn(definition.events, event.type)) {
    return blocked([
      structural(STRUCTURAL_GUARDS.isKnownEvent, {
        nb: `Hendelsestypen «${event.type}» finnes ikke i arbeidsflyten «${definition.title.nb}»`,
        en: `The event type "${event.type}" does not exist in the workflow "${definition.title.en}"`,
      }),
    ]);
  }
  if (snapshot.status !== 'active') {
    return blocked([
      structural(STRUCTURAL_GUARDS.isWorkflowActive, {
        nb: `Arbeidsflyten er avsluttet («${stateLabel.nb}»); ingen flere hendelser kan sendes`,
        en: `The workflow has ended ("${stateLabel.en}"); no more events can be sent`,
      }),
    ]);
  }
  const candidates = transitions().filter((t) => matchesEventType(String(t.eventType), event.type));
  const label = definition.events[event.type]!.label;
  const notHere = () =>
    blocked([
      structural(STRUCTURAL_GUARDS.isAcceptedInState, {
        nb: `«${label.nb}» er ikke mulig i tilstanden «${stateLabel.nb}»`,
        en: `"${label.en}" is not possible in the state "${stateLabel.en}"`,
      }),
    ]);
  if (candidates.length === 0) return notHere();
  const blockers: Blocker[] = [];
  for (const candidate of candidates) {
    const failed = guardFailures(definition, candidate.guard, snapshot.context, event, options);
    if (failed.length === 0) {
      // As XState decides: the first enabled transition wins, and one that neither moves nor
      // acts swallows the event.
      const acts = (candidate.target?.length ?? 0) > 0 || candidate.actions.length > 0;
      return acts ? { type: event.type, allowed: true, blockedBy: [] } : notHere();
    }
    blockers.push(...failed);
  }
  return blocked(unique(blockers));
}

/** Every event the definition knows, each with whether it is possible now and what blocks it. */
export function nextEvents(
  definition: AnyWorkflowDefinition,
  snapshot: AnyMachineSnapshot,
  now: string,
): NextEvent[] {
  const meta: EventMeta = { at: now, actor: { id: '', role: '' } };
  let transitions: Transitions | undefined;
  const once = () => (transitions ??= getNextTransitions(snapshot));
  const stateLabel = labelOf(definition, pathOf(snapshot));
  const options = { payloadKnown: false };
  // Built field by field, not spread: this runs for every event type in every view served.
  return Object.entries(definition.events).map(([type, spec]): NextEvent => {
    const { allowed, blockedBy } = explainAmong(
      definition,
      snapshot,
      { type, meta },
      options,
      once,
      stateLabel,
    );
    return { type, allowed, blockedBy, roles: [...spec.roles] };
  });
}

function guardFailures(
  definition: AnyWorkflowDefinition,
  guard: GuardValue,
  context: unknown,
  event: EventObject,
  options: { payloadKnown: boolean },
): Blocker[] {
  if (guard === undefined) return [];
  if (typeof guard === 'string')
    return namedFailures(definition, guard, undefined, context, event, options);
  if (typeof guard === 'function' && isComposite(guard)) {
    const parts = guard.guards.map((g) => guardFailures(definition, g, context, event, options));
    switch (guard.name) {
      case 'and':
        return parts.flat();
      case 'or':
        return parts.some((p) => p.length === 0) ? [] : parts.flat();
      default:
        throw new Error(`Guard combinator «${guard.name}» cannot be explained; use named guards`);
    }
  }
  if (typeof guard === 'object' && guard !== null && 'type' in guard) {
    const { type, params } = guard as { type: string; params?: unknown };
    const resolved =
      typeof params === 'function'
        ? (params as (a: unknown) => unknown)({ context, event })
        : params;
    return namedFailures(definition, type, resolved, context, event, options);
  }
  throw new Error('Inline guards cannot be explained; give every guard a name in the definition');
}

function namedFailures(
  definition: AnyWorkflowDefinition,
  name: string,
  params: unknown,
  context: unknown,
  event: EventObject,
  options: { payloadKnown: boolean },
): Blocker[] {
  const spec: AnyGuardSpec | undefined = definition.guards[name];
  if (!spec) throw new Error(`Guard «${name}» has no spec in the definition «${definition.id}»`);
  if (spec.inspectsPayload && !options.payloadKnown) return [];
  return spec.check(context, event, params).map((reason: Text) => ({
    guard: name,
    message: reason.nb,
    messageEn: reason.en,
  }));
}

/** XState's event descriptors: exact, `*`, or a `prefix.*` wildcard. */
function matchesEventType(descriptor: string, type: string): boolean {
  if (descriptor === type || descriptor === '*') return true;
  return descriptor.endsWith('.*') && type.startsWith(descriptor.slice(0, -1));
}

function isComposite(guard: unknown): guard is CompositeGuard {
  return typeof guard === 'function' && Array.isArray((guard as Partial<CompositeGuard>).guards);
}

function structural(guard: string, text: Text): Blocker {
  return { guard, message: text.nb, messageEn: text.en };
}

function labelOf(definition: AnyWorkflowDefinition, path: string): Text {
  return definition.stateLabels[path] ?? { nb: path, en: path };
}

function unique(blockers: Blocker[]): Blocker[] {
  const seen = new Set<string>();
  return blockers.filter((b) => {
    const key = `${b.guard}\u0000${b.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
