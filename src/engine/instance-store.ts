import { randomUUID } from 'node:crypto';
import { canonicalJson, type Deadline } from '../../workflows/kit';
import { jsonColumn, type Sql } from '../database/sql';
import type { HistoryEntry } from '../history/history-entry.entity';
import type { WorkflowInstance } from './workflow-instance.entity';

/** The idempotency record of an earlier request: what it was and how it ended. */
export interface RememberedRequest {
  requestHash: string;
  outcome: string;
}

const HEAD_COLUMNS =
  'id, definition_id, definition_version, state, status, version, last_seq, head_hash, created_at, updated_at';

const INSTANCE_COLUMNS = `${HEAD_COLUMNS}, snapshot`;

const HEAD_COLUMNS_OF_W = HEAD_COLUMNS.split(', ')
  .map((column) => `w.${column}`)
  .join(', ');

const ENTRY_COLUMNS =
  'id, instance_id, seq, kind, at, actor_id, actor_role, event_type, payload, from_state, to_state, definition_version, snapshot, prev_hash, hash';

const DEADLINE_COLUMNS = 'id, instance_id, key, kind, due, met, recipients, label, source';

export type InstanceHead = Omit<WorkflowInstance, 'snapshot'>;

type StoredInstance = InstanceHead & { snapshot: string };

interface StoredDeadline {
  key: string;
  kind: string;
  due: string;
  met: boolean | number;
  recipients: unknown;
  label: unknown;
  source: string;
}

function sameDeadlines(stored: StoredDeadline[], wanted: readonly Deadline[]): boolean {
  if (stored.length !== wanted.length) return false;
  const byKey = new Map(stored.map((row) => [row.key, row]));
  return wanted.every((d) => {
    const row = byKey.get(d.key);
    return (
      row !== undefined &&
      row.kind === d.kind &&
      row.due === d.due &&
      Boolean(row.met) === d.met &&
      row.source === d.source &&
      canonicalJson(jsonColumn(row.recipients)) === canonicalJson(d.recipients) &&
      canonicalJson(jsonColumn(row.label)) === canonicalJson(d.label)
    );
  });
}

/** Equal as JSON data (what JSON.stringify of both would compare), without making the text. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((item, n) => sameJson(item, b[n]));
  }
  if (Array.isArray(b)) return false;
  const keys = Object.keys(a);
  const other = b as Record<string, unknown>;
  return (
    keys.length === Object.keys(b).length &&
    keys.every(
      (key) =>
        Object.hasOwn(other, key) && sameJson((a as Record<string, unknown>)[key], other[key]),
    )
  );
}

interface InstanceRecord {
  id: string;
  definition_id: string;
  definition_version: string;
  state: string;
  status: string;
  version: number;
  last_seq: number;
  head_hash: string;
  created_at: string;
  updated_at: string;
}

/**
 * The engine's writes, as plain SQL in the caller's transaction: the same tables and columns as the
 * entities (test/database checks the schema against them), without the ORM's per-query cost.
 */
export class InstanceStore {
  private constructor(private readonly sql: Sql) {}

  static on(tx: Sql): InstanceStore {
    return new InstanceStore(tx);
  }

  /**
   * The instance's row without its snapshot (see `snapshotOf`), locked on PostgreSQL if asked, and
   * the request remembered under (actor, key) when one is asked for.
   */
  async loadHead(
    id: string,
    lock: boolean,
    request?: { actorId: string; key: string },
  ): Promise<{ head: InstanceHead; remembered?: RememberedRequest } | undefined> {
    const lockClause = lock && this.sql.dialect === 'postgresql' ? ' for update of w' : '';
    const [row] = request
      ? await this.sql.all<
          InstanceRecord & { request_hash: string | null; outcome: string | null }
        >(
          `select ${HEAD_COLUMNS_OF_W}, r.request_hash, r.outcome from workflow_instance w ` +
            `left join idempotency_record r on r.actor_id = ? and r.key = ? where w.id = ?${lockClause}`,
          [request.actorId, request.key, id],
        )
      : await this.sql.all<InstanceRecord & { request_hash?: null; outcome?: null }>(
          `select ${HEAD_COLUMNS} from workflow_instance w where w.id = ?${lockClause}`,
          [id],
        );
    if (!row) return undefined;
    const head: InstanceHead = {
      id: row.id,
      definitionId: row.definition_id,
      definitionVersion: row.definition_version,
      state: row.state,
      status: row.status,
      version: Number(row.version),
      lastSeq: Number(row.last_seq),
      headHash: row.head_hash,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
    };
    if (row.request_hash == null || row.outcome == null) return { head };
    return { head, remembered: { requestHash: row.request_hash, outcome: row.outcome } };
  }

  async snapshotOf(id: string): Promise<Record<string, unknown>> {
    const [row] = await this.sql.all<{ snapshot: unknown }>(
      'select snapshot from workflow_instance where id = ?',
      [id],
    );
    if (!row) throw new Error(`Instance ${id} has no row`);
    return jsonColumn(row.snapshot);
  }

  /** `snapshot` as JSON text: the engine serialises it once, for this and for the hash. */
  async insertInstance(instance: StoredInstance): Promise<void> {
    await this.sql.run(
      `insert into workflow_instance (${INSTANCE_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        instance.id,
        instance.definitionId,
        instance.definitionVersion,
        instance.state,
        instance.status,
        instance.version,
        instance.lastSeq,
        instance.headHash,
        instance.createdAt,
        instance.updatedAt,
        instance.snapshot,
      ],
    );
  }

  /**
   * Writes the new head if the instance is still at `expectedVersion`; otherwise the transaction
   * fails with `conflict()` (at the latest when it commits: the write may be held, see `Sql.write`).
   */
  async updateInstance(
    id: string,
    expectedVersion: number,
    head: Pick<
      StoredInstance,
      | 'definitionVersion'
      | 'snapshot'
      | 'state'
      | 'status'
      | 'version'
      | 'lastSeq'
      | 'headHash'
      | 'updatedAt'
    >,
    conflict: () => Error,
  ): Promise<void> {
    await this.sql.write(
      'update workflow_instance set definition_version = ?, snapshot = ?, state = ?, status = ?, ' +
        'version = ?, last_seq = ?, head_hash = ?, updated_at = ? where id = ? and version = ?',
      [
        head.definitionVersion,
        head.snapshot,
        head.state,
        head.status,
        head.version,
        head.lastSeq,
        head.headHash,
        head.updatedAt,
        id,
        expectedVersion,
      ],
      { rows: 1, otherwise: conflict },
    );
  }

  async appendEntry(entry: HistoryEntry): Promise<void> {
    await this.sql.write(
      `insert into history_entry (${ENTRY_COLUMNS}) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        entry.id,
        entry.instanceId,
        entry.seq,
        entry.kind,
        entry.at,
        entry.actorId,
        entry.actorRole,
        entry.eventType,
        JSON.stringify(entry.payload),
        entry.fromState,
        entry.toState,
        entry.definitionVersion,
        entry.snapshot === null ? null : JSON.stringify(entry.snapshot),
        entry.prevHash,
        entry.hash,
      ],
    );
  }

  /**
   * Makes the stored deadlines these; most events change none, and then nothing is written.
   * `stored`: what is known to be stored already (written by this process), saving the read.
   */
  async replaceDeadlines(
    instanceId: string,
    deadlines: readonly Deadline[],
    stored?: readonly Deadline[],
  ): Promise<void> {
    if (stored) {
      // Both computed by the definition's one deadlines function: same keys in the same order.
      if (sameJson(stored, deadlines)) return;
    } else {
      const rows = await this.sql.all<StoredDeadline>(
        'select key, kind, due, met, recipients, label, source from deadline where instance_id = ?',
        [instanceId],
      );
      if (sameDeadlines(rows, deadlines)) return;
    }
    await this.sql.run('delete from deadline where instance_id = ?', [instanceId]);
    if (deadlines.length === 0) return;
    const row = `(${DEADLINE_COLUMNS.split(', ')
      .map(() => '?')
      .join(', ')})`;
    await this.sql.run(
      `insert into deadline (${DEADLINE_COLUMNS}) values ${deadlines.map(() => row).join(', ')}`,
      deadlines.flatMap((d) => [
        randomUUID(),
        instanceId,
        d.key,
        d.kind,
        d.due,
        d.met,
        JSON.stringify(d.recipients),
        JSON.stringify(d.label),
        d.source,
      ]),
    );
  }

  async remembered(actorId: string, key: string): Promise<RememberedRequest | undefined> {
    const [row] = await this.sql.all<{ request_hash: string; outcome: string }>(
      'select request_hash, outcome from idempotency_record where actor_id = ? and key = ?',
      [actorId, key],
    );
    return row && { requestHash: row.request_hash, outcome: row.outcome };
  }

  async remember(
    actorId: string,
    key: string,
    record: RememberedRequest & { createdAt: string },
  ): Promise<void> {
    await this.sql.write(
      'insert into idempotency_record (actor_id, key, request_hash, outcome, created_at) values (?, ?, ?, ?, ?)',
      [actorId, key, record.requestHash, record.outcome, record.createdAt],
    );
  }
}
