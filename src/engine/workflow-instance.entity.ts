import { EntitySchema } from '@mikro-orm/core';

/** One running (or finished) workflow: the current snapshot and the head of its history chain. */
export class WorkflowInstance {
  id!: string;
  definitionId!: string;
  /** The content version of the definition the snapshot was made by. */
  definitionVersion!: string;
  /** XState's persisted snapshot, as JSON. */
  snapshot!: Record<string, unknown>;
  /** Dotted path of the active state, e.g. `forstudie.arbeid`. */
  state!: string;
  status!: string;
  /** Optimistic lock and ETag: the sequence number of the latest history entry. */
  version!: number;
  lastSeq!: number;
  headHash!: string;
  createdAt!: string;
  updatedAt!: string;
}

export const WorkflowInstanceSchema = new EntitySchema<WorkflowInstance>({
  class: WorkflowInstance,
  tableName: 'workflow_instance',
  properties: {
    id: { type: 'uuid', primary: true },
    definitionId: { type: 'string', length: 100 },
    definitionVersion: { type: 'string', length: 64 },
    snapshot: { type: 'json' },
    state: { type: 'string', length: 200 },
    status: { type: 'string', length: 20 },
    version: { type: 'integer' },
    lastSeq: { type: 'integer' },
    headHash: { type: 'string', length: 64 },
    createdAt: { type: 'string', length: 30 },
    updatedAt: { type: 'string', length: 30 },
  },
});
