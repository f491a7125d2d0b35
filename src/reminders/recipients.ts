import type { AnyMachineSnapshot } from 'xstate';
import type { AnyWorkflowDefinition, Contact } from '../../workflows/kit';
import type { Programme } from '../programmes/programme.entity';

/**
 * The people behind recipient groups: the board and administrators from the programme, the rest
 * from the snapshot (the definition knows its roles); the mayor stands in for a prosjektansvarlig
 * not yet appointed, as the seed says the mayor often is one.
 */
export function resolveRecipients(
  groups: readonly string[],
  programme: Programme,
  definition: AnyWorkflowDefinition,
  snapshot: AnyMachineSnapshot,
): Contact[] {
  const people: Contact[] = [];
  for (const group of groups) {
    if (group === 'board') people.push(...programme.board);
    else if (group === 'administrators') people.push(...programme.administrators);
    else {
      const known = definition.contacts?.(snapshot, group) ?? [];
      if (known.length === 0 && group === 'prosjektansvarlig' && programme.mayor)
        people.push(programme.mayor);
      people.push(...known);
    }
  }
  const seen = new Set<string>();
  return people
    .map(({ name, email }) => ({ name, email }))
    .filter((p) => {
      const key = p.email.toLowerCase();
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
}
