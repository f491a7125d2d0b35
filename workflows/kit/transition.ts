import {
  createActor,
  transition,
  type AnyMachineSnapshot,
  type AnyStateMachine,
  type EventObject,
} from 'xstate';

type MachineScope = Parameters<AnyStateMachine['transition']>[2];

const scopes = new WeakMap<AnyStateMachine, MachineScope>();
/** Machines seen to invoke or spawn actors: each of their transitions gets a clean system. */
const spawning = new WeakSet<AnyStateMachine>();

/**
 * The snapshot after `event`, exactly as XState's pure `transition()` computes it, without what
 * that helper builds on every call: a throwaway actor (which computes the machine's initial state)
 * and two actor systems — most of its cost. Here the inert scope is built once per machine and
 * reused; like the helper's, it executes, spawns and emits nothing. A snapshot that has or would
 * get child actors goes through `transition()` itself, where each call gets a clean system.
 */
export function nextSnapshot(
  machine: AnyStateMachine,
  snapshot: AnyMachineSnapshot,
  event: EventObject,
): AnyMachineSnapshot {
  if (spawning.has(machine) || hasChildren(snapshot))
    return transition(machine, snapshot, event)[0];
  const next: AnyMachineSnapshot = machine.transition(snapshot, event, scopeOf(machine));
  if (!hasChildren(next)) return next;
  // The shared scope's system now holds the child: drop it, and never share one for this machine.
  scopes.delete(machine);
  spawning.add(machine);
  return transition(machine, snapshot, event)[0];
}

function scopeOf(machine: AnyStateMachine): MachineScope {
  let scope = scopes.get(machine);
  if (!scope) {
    const self = createActor(machine);
    const nothing = () => undefined;
    scope = {
      self,
      id: '',
      sessionId: '',
      logger: nothing,
      defer: nothing,
      system: self.system,
      stopChild: nothing,
      emit: nothing,
      actionExecutor: nothing,
    };
    scopes.set(machine, scope);
  }
  return scope;
}

function hasChildren(snapshot: AnyMachineSnapshot): boolean {
  for (const _ in snapshot.children) return true;
  return false;
}
