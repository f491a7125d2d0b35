import { EntitySchema } from '@mikro-orm/core';

export type HistoryKind = 'created' | 'event' | 'migrated';

/**
 * One accepted change of an instance, append-only. `hash` = sha256(canonical(entry) ‖ prevHash), so
 * altering, removing or reordering an entry breaks the chain from that entry on.
 */
export class HistoryEntry {
  id!: string;
  instanceId!: string;
  seq!: number;
  kind!: HistoryKind;
  at!: string;
  actorId!: string;
  actorRole!: string;
  eventType!: string;
  payload!: Record<string, unknown>;
  fromState!: string | null;
  toState!: string;
  definitionVersion!: string;
  /**
   * The persisted snapshot after the change, kept on checkpoints (creation, migration, every 25th
   * entry); the state at any other time is the nearest checkpoint with the events after it replayed.
   */
  snapshot!: Record<string, unknown> | null;
  prevHash!: string;
  hash!: string;
}

export const HistoryEntrySchema = new EntitySchema<HistoryEntry>({
  class: HistoryEntry,
  tableName: 'history_entry',
  uniques: [{ properties: ['instanceId', 'seq'], name: 'history_entry_instance_seq_unique' }],
  indexes: [{ properties: ['instanceId', 'at'], name: 'history_entry_instance_at_index' }],
  properties: {
    id: { type: 'uuid', primary: true },
    instanceId: { type: 'uuid' },
    seq: { type: 'integer' },
    kind: { type: 'string', length: 20 },
    at: { type: 'string', length: 30 },
    actorId: { type: 'string', length: 100 },
    actorRole: { type: 'string', length: 50 },
    eventType: { type: 'string', length: 100 },
    payload: { type: 'json' },
    fromState: { type: 'string', length: 200, nullable: true },
    toState: { type: 'string', length: 200 },
    definitionVersion: { type: 'string', length: 64 },
    snapshot: { type: 'json', nullable: true },
    prevHash: { type: 'string', length: 64 },
    hash: { type: 'string', length: 64 },
  },
});
