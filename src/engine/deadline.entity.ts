import { EntitySchema } from '@mikro-orm/core';

/** A deadline derived from an instance's snapshot; rewritten with every accepted event. */
export class DeadlineRow {
  id!: string;
  instanceId!: string;
  key!: string;
  kind!: string;
  /** Europe/Oslo calendar day, `YYYY-MM-DD`. */
  due!: string;
  met!: boolean;
  recipients!: string[];
  label!: { nb: string; en: string };
  source!: string;
}

export const DeadlineSchema = new EntitySchema<DeadlineRow>({
  class: DeadlineRow,
  tableName: 'deadline',
  uniques: [{ properties: ['instanceId', 'key'], name: 'deadline_instance_key_unique' }],
  indexes: [{ properties: ['met', 'due'], name: 'deadline_met_due_index' }],
  properties: {
    id: { type: 'uuid', primary: true },
    instanceId: { type: 'uuid' },
    key: { type: 'string', length: 100 },
    kind: { type: 'string', length: 50 },
    due: { type: 'string', length: 10 },
    met: { type: 'boolean' },
    recipients: { type: 'json' },
    label: { type: 'json' },
    source: { type: 'text' },
  },
});
