import { EntitySchema } from '@mikro-orm/core';

export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed';

/** One e-mail to send. The only way mail leaves the service; `dedupeKey` makes each send happen once. */
export class OutboxMail {
  id!: string;
  /** `reminder:<instance>:<deadline>:<due>:<offset>` or `notice:<instance>:<seq>:<key>`: unique. */
  dedupeKey!: string;
  kind!: 'reminder' | 'notice';
  instanceId!: string;
  programmeId!: string | null;
  recipients!: { name: string; email: string }[];
  subject!: string;
  textBody!: string;
  htmlBody!: string;
  ics!: string | null;
  messageId!: string;
  status!: OutboxStatus;
  attempts!: number;
  nextAttemptAt!: string;
  leaseOwner!: string | null;
  leaseUntil!: string | null;
  lastError!: string | null;
  createdAt!: string;
  sentAt!: string | null;
}

export const OutboxMailSchema = new EntitySchema<OutboxMail>({
  class: OutboxMail,
  tableName: 'mail_outbox',
  uniques: [{ properties: ['dedupeKey'], name: 'mail_outbox_dedupe_key_unique' }],
  indexes: [
    { properties: ['status', 'nextAttemptAt'], name: 'mail_outbox_status_next_index' },
    { properties: ['createdAt'], name: 'mail_outbox_created_index' },
  ],
  properties: {
    id: { type: 'uuid', primary: true },
    dedupeKey: { type: 'string', length: 300 },
    kind: { type: 'string', length: 20 },
    instanceId: { type: 'uuid' },
    programmeId: { type: 'uuid', nullable: true },
    recipients: { type: 'json' },
    subject: { type: 'string', length: 500 },
    textBody: { type: 'text' },
    htmlBody: { type: 'text' },
    ics: { type: 'text', nullable: true },
    messageId: { type: 'string', length: 200 },
    status: { type: 'string', length: 20 },
    attempts: { type: 'integer' },
    nextAttemptAt: { type: 'string', length: 30 },
    leaseOwner: { type: 'string', length: 100, nullable: true },
    leaseUntil: { type: 'string', length: 30, nullable: true },
    lastError: { type: 'text', nullable: true },
    createdAt: { type: 'string', length: 30 },
    sentAt: { type: 'string', length: 30, nullable: true },
  },
});
