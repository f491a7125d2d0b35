import { ApiTokenSchema } from '../auth/api-token.entity';
import { DeadlineSchema } from '../engine/deadline.entity';
import { IdempotencyRecordSchema } from '../engine/idempotency-record.entity';
import { WorkflowInstanceSchema } from '../engine/workflow-instance.entity';
import { HistoryEntrySchema } from '../history/history-entry.entity';
import { ProgrammeSchema } from '../programmes/programme.entity';
import { OutboxMailSchema } from '../reminders/outbox.entity';

/** Every entity, listed rather than discovered, so ts-jest, tsc output and the CLI see the same set. */
export const entities = [
  WorkflowInstanceSchema,
  HistoryEntrySchema,
  DeadlineSchema,
  IdempotencyRecordSchema,
  ProgrammeSchema,
  ApiTokenSchema,
  OutboxMailSchema,
];
