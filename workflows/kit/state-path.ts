import type { AnyMachineSnapshot, StateValue } from 'xstate';

/** `{ forstudie: 'arbeid' }` → `forstudie.arbeid`. Parallel states are not used by definitions here. */
export function statePath(value: StateValue): string {
  if (typeof value === 'string') return value;
  const entries = Object.entries(value);
  if (entries.length !== 1) {
    throw new Error(`Parallel state values are not supported: ${JSON.stringify(value)}`);
  }
  const [key, child] = entries[0]!;
  return child === undefined || (typeof child === 'object' && Object.keys(child).length === 0)
    ? key
    : `${key}.${statePath(child)}`;
}

/** The top-level state: the phase a user talks about. */
export function topLevelState(value: StateValue): string {
  return statePath(value).split('.')[0]!;
}

/** The dotted state path of a snapshot. */
export function pathOf(snapshot: AnyMachineSnapshot): string {
  return statePath(snapshot.value as StateValue);
}

/** The top-level state (phase) of a snapshot. */
export function phaseOf(snapshot: AnyMachineSnapshot): string {
  return topLevelState(snapshot.value as StateValue);
}
