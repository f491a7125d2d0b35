import { EntitySchema } from '@mikro-orm/core';

/** The first outcome of a request made with an Idempotency-Key, replayed to its retries. */
export class IdempotencyRecord {
  actorId!: string;
  key!: string;
  requestHash!: string;
  /**
   * The stored outcome (the result, or the domain error it ended in) as JSON text: kept byte for
   * byte, so a retry gets exactly the first response (jsonb would reorder keys).
   */
  outcome!: string;
  createdAt!: string;
}

export const IdempotencyRecordSchema = new EntitySchema<IdempotencyRecord>({
  class: IdempotencyRecord,
  tableName: 'idempotency_record',
  indexes: [{ properties: ['createdAt'], name: 'idempotency_record_created_at_index' }],
  properties: {
    actorId: { type: 'string', length: 100, primary: true },
    key: { type: 'string', length: 255, primary: true },
    requestHash: { type: 'string', length: 64 },
    outcome: { type: 'text' },
    createdAt: { type: 'string', length: 30 },
  },
});
