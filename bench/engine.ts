import { createHash, randomUUID } from 'node:crypto';
import { transition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import type { HistoryEntry } from '../src/history/history-entry.entity';
import { config } from './config';
import { numbered, pg, Sqlite, type PgPool, type PgPoolClient, type SqliteDatabase } from './raw';
import {
  ADMIN,
  ADMIN_ACTOR,
  COST_EVENT,
  inProcess,
  LEADER_ACTOR,
  modules,
  programmeBody,
  ROLES_EVENT,
  START_EVENT,
  type InProcess,
} from './service';
import {
  instancesFor,
  log,
  median,
  ownCpuUs,
  percentile,
  scratchStore,
  type Store,
  type StoreKind,
} from './support';

export interface Throughput {
  eps: number;
  p50: number;
  p99: number;
  runs: number[];
  /** CPU time of this process per event, microseconds (the database server's not included). */
  cpuUs: number;
}

export interface EngineStoreResult {
  kind: StoreKind;
  label: string;
  /** EngineService.send in a loop, one at a time. */
  orm: Throughput;
  /** The same writes through the raw driver, one at a time. */
  raw: Throughput;
  /** Per run: ORM events/s ÷ raw events/s of the same round. */
  ratios: number[];
  ratio: number;
  /** PostgreSQL only: both with `connections` concurrent senders, each on its own instances. */
  concurrent?: {
    orm: Throughput;
    raw: Throughput;
    ratios: number[];
    ratio: number;
    /**
     * The statements the service runs for one event sent over REST with an Idempotency-Key, through
     * the raw driver, `connections` concurrent: the baseline of the REST PostgreSQL target.
     */
    rawService: Throughput;
    /** The same with BEGIN and COMMIT pipelined as the service sends them. */
    rawServicePipelined: Throughput;
  };
  /**
   * SQLite NORMAL only: the engine with entryHash replaced by a constant. `ratio`: events/s with ÷
   * without per run; `cpuRatio`: CPU per event without ÷ with (the same, free of machine load).
   */
  withoutHash?: {
    withHash: Throughput;
    orm: Throughput;
    ratios: number[];
    ratio: number;
    cpuRatios: number[];
    cpuRatio: number;
  };
  verification?: Verification;
}

export interface Verification {
  instances: number;
  entries: number;
  /** engine.verify (reads the chain through the ORM and checks it), entries per second. */
  withReadEps: number;
  /** verifyChain on entries already in memory, entries per second. */
  cpuEps: number;
  allValid: boolean;
  /** The raw path's entries verify too: it wrote the same thing. */
  rawValid: boolean;
}

export interface MicroStep {
  step: string;
  us: number;
}

/** The micro step judged against the ≤ 2 % target: the transition as the engine performs it. */
export const TRANSITION_STEP = 'XState transition (kit nextSnapshot, as the engine runs it)';

export interface EngineResults {
  phase: string;
  stores: EngineStoreResult[];
  micro: MicroStep[];
  microSnapshotBytes: number;
}

type Persisted = Record<string, unknown>;

// ---- instances ---------------------------------------------------------------------------------

async function createInstances(
  app: InProcess,
  count: number,
  phase: 'forstudie' | 'initiering',
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const programme = await app.programmes.create(programmeBody(), ADMIN);
    await app.engine.send(programme.instanceId, ROLES_EVENT, ADMIN_ACTOR);
    if (phase === 'forstudie')
      await app.engine.send(programme.instanceId, START_EVENT, ADMIN_ACTOR);
    ids.push(programme.instanceId);
  }
  return ids;
}

/** Instances for one timed run: each sender takes a fresh one every `eventsPerInstance` events. */
export class Instances {
  private cursor = 0;
  constructor(private readonly ids: string[]) {}
  next(): string {
    const id = this.ids[this.cursor % this.ids.length]!;
    this.cursor += 1;
    return id;
  }
}

/** Runs `op` for `seconds` with `concurrency` senders; events/s and latency percentiles (ms). */
export async function timed(
  seconds: number,
  concurrency: number,
  instances: Instances,
  op: (instanceId: string) => Promise<void> | void,
): Promise<TimedRun> {
  const latencies: number[] = [];
  const cpu = ownCpuUs();
  const started = performance.now();
  const end = started + seconds * 1000;
  const sender = async () => {
    let id = instances.next();
    let sent = 0;
    while (performance.now() < end) {
      if (sent === config.eventsPerInstance) {
        id = instances.next();
        sent = 0;
      }
      const t0 = performance.now();
      await op(id);
      latencies.push(performance.now() - t0);
      sent += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, sender));
  return {
    eps: latencies.length / ((performance.now() - started) / 1000),
    latencies,
    cpuUs: (ownCpuUs() - cpu) / latencies.length,
  };
}

interface TimedRun {
  eps: number;
  latencies: number[];
  cpuUs: number;
}

// ---- the raw path: the same writes without the ORM ----------------------------------------------

interface InstanceRow {
  id: string;
  definition_version: string;
  snapshot: Persisted | string;
  state: string;
  status: string;
  version: number;
  last_seq: number;
  head_hash: string;
}

interface DeadlineTemplate {
  key: string;
  kind: string;
  due: string;
  met: boolean | number;
  recipients: unknown;
  label: unknown;
  source: string;
}

/** The engine's entryHash, looked up at call time (a run swaps it); typed for either entry shape. */
function hashFunction(): (entry: object) => string {
  return modules.hashChain().entryHash as (entry: object) => string;
}

/**
 * Does the engine keep the whole snapshot in the history entry of event `seq`? Every entry before
 * sparse checkpoints; with them (CHECKPOINT_EVERY exported by the engine) only every n-th event.
 */
function storesSnapshot(seq: number): boolean {
  const every = (modules.engine() as { CHECKPOINT_EVERY?: unknown }).CHECKPOINT_EVERY;
  return typeof every !== 'number' || seq % every === 0;
}

/** What the engine computes for cost.record, done by hand: the next snapshot and its entry. */
function nextEntry(row: InstanceRow, phase: string) {
  const entryHash = hashFunction();
  const at = new Date().toISOString();
  const previous = (typeof row.snapshot === 'string' ? JSON.parse(row.snapshot) : row.snapshot) as {
    context: { costs: unknown[] };
  };
  const { type, ...payload } = COST_EVENT;
  const stamp = { at, by: LEADER_ACTOR.id, role: LEADER_ACTOR.role };
  const snapshot = {
    ...previous,
    context: {
      ...previous.context,
      costs: [...previous.context.costs, { phase, ...payload, ...stamp }],
    },
  };
  const seq = row.last_seq + 1;
  const entry = {
    id: randomUUID(),
    instanceId: row.id,
    seq,
    kind: 'event' as const,
    at,
    actorId: LEADER_ACTOR.id,
    actorRole: LEADER_ACTOR.role,
    eventType: type,
    payload: payload as Record<string, unknown>,
    fromState: row.state,
    toState: row.state,
    definitionVersion: row.definition_version,
    snapshot: storesSnapshot(seq) ? (snapshot as Persisted) : null,
    prevHash: row.head_hash,
    hash: '',
  };
  entry.hash = entryHash(entry);
  return { entry, snapshot };
}

const INSERT_ENTRY =
  'insert into history_entry (id, instance_id, seq, kind, at, actor_id, actor_role, event_type, payload, from_state, to_state, definition_version, snapshot, prev_hash, hash) values ';
const UPDATE_INSTANCE =
  'update workflow_instance set definition_version = ?, snapshot = ?, state = ?, status = ?, version = ?, last_seq = ?, head_hash = ?, updated_at = ? where id = ? and version = ?';
const INSERT_DEADLINE =
  'insert into deadline (id, instance_id, key, kind, due, met, recipients, label, source) values ';

/** As the engine does (InstanceStore): read the stored deadlines, rewrite them only if they differ. */
const SELECT_DEADLINES =
  'select key, kind, due, met, recipients, label, source from deadline where instance_id = ?';

type StoredDeadline = Omit<DeadlineTemplate, 'met'> & { met: boolean | number };

function sameDeadlines(stored: StoredDeadline[], wanted: DeadlineTemplate[]): boolean {
  const json = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
  if (stored.length !== wanted.length) return false;
  const byKey = new Map(stored.map((row) => [row.key, row]));
  return wanted.every((d) => {
    const row = byKey.get(d.key);
    return (
      row !== undefined &&
      row.kind === d.kind &&
      row.due === d.due &&
      Boolean(row.met) === Boolean(d.met) &&
      row.source === d.source &&
      json(row.recipients) === json(d.recipients) &&
      json(row.label) === json(d.label)
    );
  });
}

/** cost.record never changes a deadline: a rewrite here would mean the comparison is wrong. */
function unchangedExpected(): never {
  throw new Error('raw path: stored deadlines differ from the template; the comparison is broken');
}

function entryValues(entry: ReturnType<typeof nextEntry>['entry']): unknown[] {
  return [
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
  ];
}

function deadlineValues(instanceId: string, d: DeadlineTemplate, sqlite: boolean): unknown[] {
  return [
    randomUUID(),
    instanceId,
    d.key,
    d.kind,
    d.due,
    sqlite ? (d.met ? 1 : 0) : Boolean(d.met),
    typeof d.recipients === 'string' ? d.recipients : JSON.stringify(d.recipients),
    typeof d.label === 'string' ? d.label : JSON.stringify(d.label),
    d.source,
  ];
}

const placeholders = (rows: number, columns: number, numbered: boolean) => {
  let n = 0;
  const row = () =>
    `(${Array.from({ length: columns }, () => (numbered ? `$${++n}` : '?')).join(', ')})`;
  return Array.from({ length: rows }, row).join(', ');
};

interface RawSender {
  send(instanceId: string): Promise<void> | void;
  close(): Promise<void>;
}

function rawSqlite(store: Store, deadlines: DeadlineTemplate[], phase: string): RawSender {
  const db: SqliteDatabase = new Sqlite(store.file!);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${store.synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const select = db.prepare('select * from workflow_instance where id = ?');
  const insertEntry = db.prepare(INSERT_ENTRY + placeholders(1, 15, false));
  const update = db.prepare(UPDATE_INSTANCE);
  const selectDeadlines = db.prepare(SELECT_DEADLINES);
  const remove = db.prepare('delete from deadline where instance_id = ?');
  const insertDeadlines = db.prepare(INSERT_DEADLINE + placeholders(deadlines.length, 9, false));
  const send = db.transaction((instanceId: string) => {
    const row = select.get(instanceId) as InstanceRow;
    const { entry, snapshot } = nextEntry(row, phase);
    insertEntry.run(...entryValues(entry));
    const changed = update.run(
      row.definition_version,
      JSON.stringify(snapshot),
      row.state,
      row.status,
      entry.seq,
      entry.seq,
      entry.hash,
      entry.at,
      row.id,
      row.version,
    );
    if (changed.changes !== 1) throw new Error('lost update');
    const stored = selectDeadlines.all(instanceId) as StoredDeadline[];
    if (sameDeadlines(stored, deadlines)) return;
    unchangedExpected();
    remove.run(instanceId);
    insertDeadlines.run(...deadlines.flatMap((d) => deadlineValues(instanceId, d, true)));
  });
  return { send: (id) => send(id), close: () => Promise.resolve(db.close()) };
}

/** `work` on a pooled pg connection, in a transaction it begins and commits; rolled back if it fails. */
async function onPooledClient(
  pool: PgPool,
  work: (client: PgPoolClient) => Promise<void>,
): Promise<void> {
  const client = await pool.connect();
  try {
    await work(client);
  } catch (error) {
    await client.query('rollback');
    throw error;
  } finally {
    client.release();
  }
}

/** One transaction on a pooled pg connection, rolled back if `work` fails. */
function pgTransaction(pool: PgPool, work: (client: PgPoolClient) => Promise<void>): Promise<void> {
  return onPooledClient(pool, async (client) => {
    await client.query('begin');
    await work(client);
    await client.query('commit');
  });
}

/**
 * `pgTransaction` with BEGIN sent together with the first statement and COMMIT with the statement
 * named `last` (whose rows are not needed), as the service does (src/database/pg-pipeline.ts), each
 * once prepared on the client.
 */
function pipelinedTransaction(
  pool: PgPool,
  work: (client: PgPoolClient) => Promise<void>,
  last = 'bench_writes',
): Promise<void> {
  const { isPrepared, pipelined } = modules.pgPipeline();
  return onPooledClient(pool, async (client) => {
    const pipe = client as unknown as Parameters<typeof pipelined>[0];
    type Statement = { name?: string; text: string; values?: unknown[] };
    const begin = { text: 'begin', values: [] };
    let begun = false;
    let held: Statement | undefined;
    const send = async (statement: Statement) => {
      const step = { ...statement, values: statement.values ?? [] };
      if (!begun && step.name && isPrepared(pipe, step.name)) {
        begun = true;
        return (await pipelined(pipe, [begin, step]))[1];
      }
      if (!begun) await client.query('begin');
      begun = true;
      return client.query(step as never);
    };
    await work({
      query: (statement: Statement | string, values?: unknown[]) => {
        const config = typeof statement === 'string' ? { text: statement, values } : statement;
        if (config.name !== last) return send(config);
        held = config;
        return Promise.resolve({ rows: [], rowCount: 0 });
      },
    } as unknown as PgPoolClient);
    const commit = { text: 'commit', values: [] };
    if (held?.name && begun && isPrepared(pipe, held.name)) {
      await pipelined(pipe, [{ ...held, name: held.name, values: held.values ?? [] }, commit]);
    } else {
      if (held) await send(held);
      await client.query('commit');
    }
  });
}

function rawPostgres(store: Store, deadlines: DeadlineTemplate[], phase: string): RawSender {
  const pool: PgPool = new pg.Pool({ connectionString: store.url, max: config.connections });
  const insertEntry = INSERT_ENTRY + placeholders(1, 15, true);
  const update = numbered(UPDATE_INSTANCE);
  const insertDeadlines = INSERT_DEADLINE + placeholders(deadlines.length, 9, true);
  return {
    send: async (instanceId) => {
      await pgTransaction(pool, async (client) => {
        const { rows } = await client.query<InstanceRow>(
          'select * from workflow_instance where id = $1 for update',
          [instanceId],
        );
        const row = rows[0]!;
        const { entry, snapshot } = nextEntry(row, phase);
        await client.query(insertEntry, entryValues(entry));
        const changed = await client.query(update, [
          row.definition_version,
          JSON.stringify(snapshot),
          row.state,
          row.status,
          entry.seq,
          entry.seq,
          entry.hash,
          entry.at,
          row.id,
          row.version,
        ]);
        if (changed.rowCount !== 1) throw new Error('lost update');
        const stored = await client.query<StoredDeadline>(SELECT_DEADLINES.replace('?', '$1'), [
          instanceId,
        ]);
        if (!sameDeadlines(stored.rows, deadlines)) {
          unchangedExpected();
          await client.query('delete from deadline where instance_id = $1', [instanceId]);
          await client.query(
            insertDeadlines,
            deadlines.flatMap((d) => deadlineValues(instanceId, d, false)),
          );
        }
      });
    },
    close: () => pool.end(),
  };
}

const HEAD_COLUMNS =
  'w.id, w.definition_id, w.definition_version, w.state, w.status, w.version, w.last_seq, w.head_hash, w.created_at, w.updated_at';

/**
 * Exactly the SQL the service runs for an event sent over REST with an Idempotency-Key
 * (src/auth/tokens.service.ts, then src/engine/instance-store.ts through src/database/sql.ts on
 * PostgreSQL): the bearer token looked up by its hash; begin; the instance's
 * head joined with the key's idempotency record, locked; the history entry, the new head and the
 * idempotency record (the response, a workflow view of the same size) in one statement; commit.
 * Like the engine it keeps each instance's last snapshot in memory rather than reading it back.
 * The driver sends each statement in a round trip of its own; the service pipelines BEGIN with the
 * head and COMMIT with the writes (src/database/pg-pipeline.ts), which no plain use of pg can.
 */
export function rawPostgresService(
  store: Store,
  phase: string,
  view: Persisted,
  token: string,
  pipelined = false,
): RawSender {
  const tokenHash = createHash('sha256').update(token).digest('hex');
  const pool: PgPool = new pg.Pool({ connectionString: store.url, max: config.connections });
  const snapshots = new Map<string, Persisted>();
  const head = numbered(
    `select ${HEAD_COLUMNS}, r.request_hash, r.outcome from workflow_instance w ` +
      'left join idempotency_record r on r.actor_id = ? and r.key = ? where w.id = ? for update of w',
  );
  const writes = numbered(
    `with w0 as (${INSERT_ENTRY}${placeholders(1, 15, false)} returning 1), ` +
      `w1 as (${UPDATE_INSTANCE} returning 1), ` +
      'w2 as (insert into idempotency_record (actor_id, key, request_hash, outcome, created_at) ' +
      'values (?, ?, ?, ?, ?) returning 1) ' +
      // The service's guard (src/database/sql.ts): a lost update divides by zero.
      'select 1 / ((select count(*) from w1) = 1)::int as guard',
  );
  return {
    send: async (instanceId) => {
      // Authentication, on a connection of its own (as the service borrows one per statement).
      const token = await pool.query<{ id: string }>({
        name: 'bench_token',
        text: 'select id, role, label, programme_ids from api_token where secret_hash = $1 and revoked_at is null',
        values: [tokenHash],
      } as never);
      if (token.rows.length !== 1) throw new Error('raw path: the token was not found');
      let written: Persisted | undefined;
      const transaction = pipelined ? pipelinedTransaction : pgTransaction;
      await transaction(pool, async (client) => {
        const key = randomUUID();
        const { rows } = await client.query<InstanceRow & { request_hash: string | null }>({
          name: 'bench_head',
          text: head,
          values: [LEADER_ACTOR.id, key, instanceId],
        } as never);
        const row = rows[0]!;
        if (row.request_hash !== null) throw new Error('raw path: a fresh key was found');
        let snapshot = snapshots.get(instanceId);
        if (!snapshot) {
          const stored = await client.query<{ snapshot: Persisted }>(
            'select snapshot from workflow_instance where id = $1',
            [instanceId],
          );
          snapshot = stored.rows[0]!.snapshot;
        }
        const next = nextEntry({ ...row, snapshot }, phase);
        const outcome = JSON.stringify({
          kind: 'result',
          result: { ...view, version: next.entry.seq, context: next.snapshot.context },
        });
        await client.query({
          name: 'bench_writes',
          text: writes,
          values: [
            ...entryValues(next.entry),
            row.definition_version,
            JSON.stringify(next.snapshot),
            row.state,
            row.status,
            next.entry.seq,
            next.entry.seq,
            next.entry.hash,
            next.entry.at,
            row.id,
            row.version,
            LEADER_ACTOR.id,
            key,
            randomUUID().replace(/-/g, '').repeat(2),
            outcome,
            next.entry.at,
          ],
        } as never);
        written = next.snapshot;
      });
      snapshots.set(instanceId, written!);
    },
    close: () => pool.end(),
  };
}

// ---- micro-benchmarks ---------------------------------------------------------------------------

/** Median microseconds per call of `fn` over several batches of about `microMs` each. */
export function micro(fn: () => unknown): number {
  let iterations = 1;
  for (;;) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i += 1) fn();
    const elapsed = performance.now() - t0;
    if (elapsed >= config.microMs / 4) {
      iterations = Math.max(
        1,
        Math.round((iterations * config.microMs) / Math.max(elapsed, 0.001)),
      );
      break;
    }
    iterations *= 2;
  }
  const perCall: number[] = [];
  for (let run = 0; run < config.microRuns; run += 1) {
    const t0 = performance.now();
    for (let i = 0; i < iterations; i += 1) fn();
    perCall.push(((performance.now() - t0) * 1000) / iterations);
  }
  return median(perCall);
}

/** The pure steps of one send, each timed alone on a typical snapshot. */
async function microSteps(
  app: InProcess,
  phase: 'forstudie' | 'initiering',
): Promise<{ steps: MicroStep[]; bytes: number }> {
  const [id] = await createInstances(app, 1, phase);
  for (let i = 0; i < Math.floor(config.eventsPerInstance / 2); i += 1) {
    await app.engine.send(id!, COST_EVENT, LEADER_ACTOR);
  }
  const { WorkflowInstance } = modules.instance();
  const row = await app.orm.em.fork().findOneOrFail(WorkflowInstance, { id: id! });
  const registered = app.registry.get(row.definitionId);
  const definition = registered.definition;
  const machine = definition.machine;
  const { explainEvent, nextSnapshot, pathOf } = modules.kit();
  const entryHash = hashFunction();
  const { buildView } = modules.view();
  const at = new Date().toISOString();
  const { type, ...payload } = COST_EVENT;
  const event = { ...payload, type, meta: { at, actor: LEADER_ACTOR } } as EventObject;
  const snapshot = app.registry.restore(row.definitionId, row.snapshot);
  const [next] = transition(machine, snapshot, event as never) as [AnyMachineSnapshot, unknown];
  const persist = () =>
    JSON.parse(JSON.stringify(machine.getPersistedSnapshot(next))) as Record<string, unknown>;
  const persisted = persist();
  const entry = {
    instanceId: row.id,
    seq: row.lastSeq + 1,
    kind: 'event' as const,
    at,
    actorId: LEADER_ACTOR.id,
    actorRole: LEADER_ACTOR.role,
    eventType: type,
    payload: payload as Record<string, unknown>,
    fromState: row.state,
    toState: pathOf(next),
    definitionVersion: registered.version,
    // As the engine stores it for this (ordinary, non-checkpoint) event.
    snapshot: storesSnapshot(row.lastSeq + 1) ? persisted : null,
    prevHash: row.headHash,
  };
  const settings = app.settings.definitionSettings;
  const viewOf = () =>
    buildView({
      definition,
      definitionVersion: registered.version,
      instanceId: row.id,
      snapshot: next,
      version: entry.seq,
      updatedAt: at,
      now: at,
      settings,
    });
  const view = viewOf();
  const steps: [string, () => unknown][] = [
    ['restore snapshot (resolveState)', () => app.registry.restore(row.definitionId, row.snapshot)],
    [
      'validate payload + role',
      () => app.engine.checkEvent(registered, type, payload, LEADER_ACTOR),
    ],
    [
      'explainEvent (guards)',
      () => explainEvent(definition, snapshot, event as never, { payloadKnown: true }),
    ],
    [TRANSITION_STEP, () => nextSnapshot(machine, snapshot, event)],
    [
      "XState's transition() helper (a throwaway actor per call; not used by the engine)",
      () => transition(machine, snapshot, event as never),
    ],
    ['persist snapshot (JSON round trip)', persist],
    ['entryHash (canonical JSON + sha256)', () => entryHash(entry)],
    ['deadlines', () => definition.deadlines(next, at, settings)],
    ['buildView (nextEvents, deadlines)', viewOf],
    ['JSON.stringify(view) (the response)', () => JSON.stringify(view)],
  ];
  return {
    steps: steps.map(([step, fn]) => ({ step, us: micro(fn) })),
    bytes: JSON.stringify(row.snapshot).length,
  };
}

// ---- verification ------------------------------------------------------------------------------

async function verification(app: InProcess, orm: string[], raw: string[]): Promise<Verification> {
  const { HistoryEntry } = modules.history();
  const { WorkflowInstance } = modules.instance();
  const { verifyChain } = modules.hashChain();
  let allValid = true;
  let entries = 0;
  const withRead: number[] = [];
  for (let run = 0; run < Math.max(3, Math.min(config.engineRuns, 5)); run += 1) {
    entries = 0;
    const t0 = performance.now();
    for (const id of orm) {
      const result = await app.engine.verify(id);
      allValid &&= result.valid;
      entries += result.entries;
    }
    withRead.push(entries / ((performance.now() - t0) / 1000));
  }
  const em = app.orm.em.fork();
  const chains: { entries: HistoryEntry[]; head: { lastSeq: number; headHash: string } }[] = [];
  for (const id of orm) {
    const head = await em.findOneOrFail(WorkflowInstance, { id });
    const list = await em.find(HistoryEntry, { instanceId: id }, { orderBy: { seq: 'asc' } });
    chains.push({ entries: list, head });
  }
  const total = chains.reduce((sum, c) => sum + c.entries.length, 0);
  const us = micro(() => {
    for (const chain of chains) verifyChain(chain.entries, chain.head);
  });
  let rawValid = true;
  for (const id of raw.slice(0, 20)) rawValid &&= (await app.engine.verify(id)).valid;
  return {
    instances: orm.length,
    entries,
    withReadEps: median(withRead),
    cpuEps: total / (us / 1e6),
    allValid,
    rawValid,
  };
}

// ---- the run -----------------------------------------------------------------------------------

function throughput(runs: TimedRun[]): Throughput {
  const all = runs.flatMap((r) => r.latencies);
  return {
    eps: median(runs.map((r) => r.eps)),
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    runs: runs.map((r) => r.eps),
    cpuUs: median(runs.map((r) => r.cpuUs)),
  };
}

interface Variant {
  name: string;
  concurrency: number;
  used: string[];
  lastEps: number;
  results: TimedRun[];
  op: (id: string) => Promise<void> | void;
  before?: () => void;
  after?: () => void;
}

export async function engineBenchmark(
  kinds: StoreKind[],
  phase: 'forstudie' | 'initiering',
): Promise<EngineResults> {
  const stores: EngineStoreResult[] = [];
  let microResult: { steps: MicroStep[]; bytes: number } = { steps: [], bytes: 0 };
  for (const kind of kinds) {
    const store = scratchStore(kind);
    const app = await inProcess(store);
    let raw: RawSender | undefined;
    let serviceSql: RawSender | undefined;
    let pipelinedSql: RawSender | undefined;
    try {
      log(`Engine vs raw driver: ${store.label}`);
      const [template] = await createInstances(app, 1, phase);
      const db = app.orm.em.fork().getConnection();
      const deadlines = (await db.execute(
        'select key, kind, due, met, recipients, label, source from deadline where instance_id = ?',
        [template!],
      )) as DeadlineTemplate[];
      raw =
        kind === 'postgresql'
          ? rawPostgres(store, deadlines, phase)
          : rawSqlite(store, deadlines, phase);
      const rawSender = raw;
      // The engine calls entryHash through the module's exports, so it can be swapped for a run.
      const hashChain = modules.hashChain() as { entryHash: (entry: never) => string };
      const realHash = hashChain.entryHash;
      const send = async (id: string) => {
        await app.engine.send(id, COST_EVENT, LEADER_ACTOR);
      };
      const variant = (name: string, concurrency: number, op: Variant['op']): Variant => ({
        name,
        concurrency,
        used: [],
        lastEps: 0,
        results: [],
        op,
      });
      const variants: Variant[] = [
        variant('orm', 1, send),
        variant('raw', 1, (id) => rawSender.send(id)),
      ];
      if (kind === 'postgresql') {
        const view = (await app.engine.view(template!)) as unknown as Persisted;
        const tokens = app.app.get(modules.tokens().TokensService);
        const secret = (await tokens.create({ role: 'projectLeader', label: 'raw' }, 'bench'))
          .token;
        serviceSql = rawPostgresService(store, phase, view, secret);
        const sender = serviceSql;
        pipelinedSql = rawPostgresService(store, phase, view, secret, true);
        const pipelinedSender = pipelinedSql;
        variants.push(variant('orm-concurrent', config.connections, send));
        variants.push(variant('raw-concurrent', config.connections, (id) => rawSender.send(id)));
        variants.push(
          variant('raw-service-concurrent', config.connections, (id) => sender.send(id)),
        );
        variants.push(
          variant('raw-service-pipelined-concurrent', config.connections, (id) =>
            pipelinedSender.send(id),
          ),
        );
      }
      const runVariant = async (v: Variant, seconds: number, record: boolean) => {
        const expected = Math.max(v.lastEps, 100) * seconds * 1.5;
        const count = instancesFor(expected, v.concurrency);
        const ids = await createInstances(app, count, phase);
        v.before?.();
        try {
          const result = await timed(seconds, v.concurrency, new Instances(ids), v.op);
          v.lastEps = result.eps;
          if (record) {
            v.results.push(result);
            v.used.push(...ids);
          }
        } finally {
          v.after?.();
        }
      };
      for (const v of variants) await runVariant(v, Math.min(0.5, config.engineSeconds), false);
      for (let run = 1; run <= config.engineRuns; run += 1) {
        for (const v of variants) await runVariant(v, config.engineSeconds, true);
        log(
          `  run ${run}: ` +
            variants.map((v) => `${v.name} ${v.results.at(-1)!.eps.toFixed(0)}/s`).join(', '),
        );
      }
      const find = (name: string) => variants.find((v) => v.name === name);
      const ratiosOf = (a: Variant, b: Variant) =>
        a.results.map((r, i) => r.eps / b.results[i]!.eps);
      const orm = find('orm')!;
      const rawVariant = find('raw')!;
      const result: EngineStoreResult = {
        kind,
        label: store.label,
        orm: throughput(orm.results),
        raw: throughput(rawVariant.results),
        ratios: ratiosOf(orm, rawVariant),
        ratio: median(ratiosOf(orm, rawVariant)),
      };
      if (kind === 'sqlite-normal' && config.hashPairs > 0) {
        // With and without hashing, in pairs run back to back, the order alternating (ABBA).
        const constant = '0'.repeat(64);
        const withHash = variant('with-hash', 1, send);
        withHash.lastEps = orm.lastEps;
        const without: Variant = {
          ...variant('without-hash', 1, send),
          lastEps: orm.lastEps,
          before: () => {
            hashChain.entryHash = () => constant;
          },
          after: () => {
            hashChain.entryHash = realHash;
          },
        };
        for (let pair = 0; pair < config.hashPairs; pair += 1) {
          for (const v of pair % 2 === 0 ? [withHash, without] : [without, withHash]) {
            await runVariant(v, config.engineSeconds, true);
          }
        }
        log(
          `  with / without hashing: ${withHash.results.map((r, i) => `${r.eps.toFixed(0)}/${without.results[i]!.eps.toFixed(0)}`).join(', ')} events/s`,
        );
        const ratios = ratiosOf(withHash, without);
        const cpuRatios = without.results.map((r, i) => r.cpuUs / withHash.results[i]!.cpuUs);
        result.withoutHash = {
          withHash: throughput(withHash.results),
          orm: throughput(without.results),
          ratios,
          ratio: median(ratios),
          cpuRatios,
          cpuRatio: median(cpuRatios),
        };
      }
      const ormC = find('orm-concurrent');
      const rawC = find('raw-concurrent');
      const serviceC = find('raw-service-concurrent');
      const pipelinedC = find('raw-service-pipelined-concurrent');
      if (ormC && rawC && serviceC && pipelinedC) {
        const ratios = ratiosOf(ormC, rawC);
        result.concurrent = {
          orm: throughput(ormC.results),
          raw: throughput(rawC.results),
          ratios,
          ratio: median(ratios),
          rawService: throughput(serviceC.results),
          rawServicePipelined: throughput(pipelinedC.results),
        };
      }
      if (kind !== 'sqlite-full') {
        log(`  verifying ${orm.used.length} chains`);
        result.verification = await verification(app, orm.used, rawVariant.used);
      }
      if (kind === 'sqlite-normal') {
        log('  micro-benchmarks of the pure steps of a send');
        microResult = await microSteps(app, phase);
      }
      stores.push(result);
    } finally {
      await raw?.close();
      await serviceSql?.close();
      await pipelinedSql?.close();
      await app.close();
      store.drop();
    }
  }
  return { phase, stores, micro: microResult.steps, microSnapshotBytes: microResult.bytes };
}
