import type { EntityManager, EntityName, MikroORM } from '@mikro-orm/core';
import type { Knex, QueryBuilder, SqlEntityManager } from '@mikro-orm/knex';
import { createHash } from 'node:crypto';
import { isPrepared, pipelined, type PipelineClient, type PipelineStep } from './pg-pipeline';

export type Dialect = 'sqlite' | 'postgresql';

/**
 * Hand-written SQL on one connection — borrowed per statement (`sqlOf`) or a transaction's
 * (`inTransaction`) — every statement prepared once per connection. For the engine's hot path only: there, MikroORM's
 * query building and knex's per-call statement preparation cost ten times the database work.
 * Statements are written with `?` placeholders; JSON values are passed as JSON text.
 */
export interface Sql {
  /** Read from the connection: the SQL written for it may differ (e.g. `for update`). */
  readonly dialect: Dialect;
  all<T>(statement: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a write; the number of rows it changed. */
  run(statement: string, params?: readonly unknown[]): Promise<number>;
  /**
   * A write whose outcome is needed only by the end of the transaction. On PostgreSQL it is held and
   * sent together with the writes held after it, as one statement, before the transaction's next
   * read or with its commit: round trips (and their system calls) saved. If it must change exactly
   * `expected.rows` rows and does not, the transaction fails with `expected.otherwise()` and nothing
   * of it is committed. Elsewhere it runs at once.
   * The writes held together must not depend on each other's effects (one statement sees none).
   */
  write(statement: string, params?: readonly unknown[], expected?: ExpectedRows): Promise<void>;
}

/** How many rows a write must change, and the error if it changes another number. */
export interface ExpectedRows {
  rows: number;
  otherwise: () => Error;
}

interface SqliteStatement {
  reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  pragma(statement: string): unknown;
  close(): void;
}
/** better-sqlite3's constructor, typed with what this project uses (it ships no types). */
export type SqliteDriver = new (
  filename: string,
  options: { readonly: boolean; fileMustExist: boolean },
) => SqliteDatabase;
interface PgSimpleClient {
  query(text: string): Promise<unknown>;
}
interface PgClient {
  query(config: {
    name: string;
    text: string;
    values: unknown[];
  }): Promise<{ rows: unknown[]; rowCount: number | null }>;
}

type Client = Knex.Client & {
  acquireConnection(): Promise<unknown>;
  releaseConnection(connection: unknown): Promise<unknown>;
};

const prepared = new WeakMap<SqliteDatabase, Map<string, SqliteStatement>>();
const pgText = new Map<string, { name: string; text: string }>();

/** Statements outside any transaction, each on a connection borrowed for it (see `inTransaction`). */
export function sqlOf(em: EntityManager): Sql {
  const client = knexOf(em).client as Client;
  return sqlOnConnection(client, async (use) => {
    const connection: unknown = await client.acquireConnection();
    try {
      return await use(connection);
    } finally {
      await client.releaseConnection(connection);
    }
  });
}

/** Reads outside any transaction: what `readSql` gives. */
export type ReadSql = Pick<Sql, 'dialect' | 'all'>;

/**
 * For the lookups every request makes (its token, say). On a SQLite file they go to a read-only
 * connection of their own, which in WAL mode sees every committed write and never waits: on the
 * pool's one connection each would wait for the writer's group to end, and the writer for it.
 * Elsewhere (PostgreSQL, an in-memory database) they borrow a pooled connection, as `sqlOf`.
 */
export function readSql(em: EntityManager): ReadSql {
  const client = knexOf(em).client as Client;
  const reader = client.dialect === 'postgresql' ? 'pooled' : sqliteReader(client);
  return reader === 'pooled' ? sqlOf(em) : reader;
}

/** Per SQLite client: its reader, or 'pooled' (an in-memory database, or the reader closed). */
const readers = new WeakMap<Client, ReadSql | 'pooled'>();

function sqliteReader(client: Client): ReadSql | 'pooled' {
  const known = readers.get(client);
  if (known) return known;
  const { filename } = (client as { connectionSettings?: { filename?: string } })
    .connectionSettings ?? { filename: undefined };
  // An in-memory database exists once per connection: another would be empty.
  if (!filename || filename === ':memory:' || filename.startsWith('file:')) {
    readers.set(client, 'pooled');
    return 'pooled';
  }
  const Database = (client as unknown as { driver: SqliteDriver }).driver;
  const db = new Database(filename, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  const reader = sqlOnConnection(client, (use) => Promise.resolve(use(db)));
  readers.set(client, reader);
  // Closed with the pool, by whoever closes the ORM.
  const destroy = client.destroy.bind(client) as (...args: unknown[]) => unknown;
  client.destroy = ((...args: unknown[]) => {
    readers.set(client, 'pooled');
    db.close();
    return destroy(...args);
  }) as Client['destroy'];
  return reader;
}

type OnConnection = <R>(use: (connection: unknown) => Promise<R> | R) => Promise<R>;

/** What `write` needs of a statement to run it now: its row count, then the expectation. */
const writeNow =
  (sql: Pick<Sql, 'run'>): Sql['write'] =>
  async (statement, params = [], expected) => {
    const changed = await sql.run(statement, params);
    if (expected && changed !== expected.rows) throw expected.otherwise();
  };

function sqlOnConnection(client: Client, onConnection: OnConnection): Sql {
  const dialect: Dialect = client.dialect === 'postgresql' ? 'postgresql' : 'sqlite';
  if (dialect === 'sqlite') {
    const run: Sql['run'] = (statement, params = []) =>
      onConnection(
        (db) =>
          sqliteStatement(db as SqliteDatabase, statement).run(...sqliteValues(params)).changes,
      );
    return {
      dialect,
      all: (statement, params = []) =>
        onConnection(
          (db) =>
            sqliteStatement(db as SqliteDatabase, statement).all(...sqliteValues(params)) as never,
        ),
      run,
      write: writeNow({ run }),
    };
  }
  const query = (statement: string, params: readonly unknown[]) =>
    onConnection((pg) =>
      (pg as PgClient).query({ ...pgStatement(statement), values: [...params] }),
    );
  const run: Sql['run'] = async (statement, params = []) =>
    (await query(statement, params)).rowCount ?? 0;
  return {
    dialect,
    all: async (statement, params = []) => (await query(statement, params)).rows as never,
    run,
    write: writeNow({ run }),
  };
}

interface HeldWrite {
  statement: string;
  params: readonly unknown[];
  expected?: ExpectedRows;
}

/** A prepared statement's name, text (with `$n` placeholders) and values. */
type NamedStep = PipelineStep & { name: string };

/** Held writes as one statement, and how to tell whether they changed what they had to. */
interface CombinedWrites {
  step: NamedStep;
  /** The one expectation checked by the statement itself: it fails, and nothing commits. */
  guarded?: ExpectedRows;
  /** Expectations checked here from the statement's counts (when there are several): COMMIT waits. */
  check?: (result: PgResult) => void;
}

type PgResult = { rows: unknown[]; rowCount: number | null };

/** PostgreSQL's division_by_zero: what a held write's guard raises when its count is wrong. */
const GUARD_FAILED = '22012';

const BEGIN: PipelineStep = { text: 'begin', values: [] };
const COMMIT: PipelineStep = { text: 'commit', values: [] };

/**
 * A PostgreSQL transaction's `Sql`. BEGIN is sent with the transaction's first statement and COMMIT
 * with its held writes (`Sql.write`), each in one round trip (`pipelined`) once the statement is
 * prepared on the connection: a send then makes two round trips where it made four.
 */
class PgTransaction {
  private held: HeldWrite[] = [];
  /** BEGIN was sent: a failure from now on needs a rollback. */
  begun = false;
  readonly sql: Sql;

  constructor(
    private readonly pg: PgClient & PipelineClient,
    private readonly guard: OpenGuard,
  ) {
    this.sql = {
      dialect: 'postgresql',
      all: async (statement, params = []) => (await this.read(statement, params)).rows as never,
      run: async (statement, params = []) => (await this.read(statement, params)).rowCount ?? 0,
      write: (statement, params = [], expected) => {
        if (!guard.isOpen) return Promise.reject(new Error(ENDED));
        this.held.push({ statement, params, expected });
        return Promise.resolve();
      },
    };
  }

  async commit(): Promise<void> {
    const writes = this.takeHeld();
    if (!writes) {
      if (this.begun) await control(this.pg, 'commit');
      return;
    }
    // A count checked here must be checked before COMMIT is sent.
    const together = !writes.check;
    const [result] = await this.trip(writes, [], together);
    writes.check?.(result!);
    if (!together) await control(this.pg, 'commit');
  }

  /** A statement that answers now: the held writes go first, in the same round trip. */
  private async read(statement: string, params: readonly unknown[]): Promise<PgResult> {
    if (!this.guard.isOpen) throw new Error(ENDED);
    const step = { ...pgStatement(statement), values: params };
    const writes = this.takeHeld();
    const results = await this.trip(writes, [step], false);
    writes?.check?.(results[0]!);
    return results.at(-1)!;
  }

  /**
   * The held writes (if any) and `steps`, after BEGIN if not sent yet and before COMMIT if asked:
   * one round trip if every statement is prepared on the connection; else (a statement's first use
   * on it) one each, the driver preparing it. One result per statement, the writes' first.
   */
  private async trip(
    writes: CombinedWrites | undefined,
    steps: NamedStep[],
    commit: boolean,
  ): Promise<PgResult[]> {
    const all = writes ? [writes.step, ...steps] : steps;
    const begin = !this.begun;
    this.begun = true;
    try {
      if (all.every((step) => isPrepared(this.pg, step.name))) {
        const results = await pipelined(this.pg, [
          ...(begin ? [BEGIN] : []),
          ...all,
          ...(commit ? [COMMIT] : []),
        ]);
        return results.slice(begin ? 1 : 0);
      }
      if (begin) await control(this.pg, 'begin');
      const results: PgResult[] = [];
      for (const step of all) {
        results.push(await this.pg.query({ ...step, values: [...step.values] }));
      }
      if (commit) await control(this.pg, 'commit');
      return results;
    } catch (error) {
      if (writes?.guarded && (error as { code?: string }).code === GUARD_FAILED) {
        throw writes.guarded.otherwise();
      }
      throw error;
    }
  }

  /** The held writes as one statement (data-modifying CTEs), or undefined if none are held. */
  private takeHeld(): CombinedWrites | undefined {
    const writes = this.held;
    if (writes.length === 0) return undefined;
    this.held = [];
    const params = writes.flatMap((w) => w.params);
    const expecting = writes.flatMap((w, n) => (w.expected ? [{ n, expected: w.expected }] : []));
    if (writes.length === 1 && expecting.length === 0) {
      const step = { ...pgStatement(writes[0]!.statement), values: params };
      return { step };
    }
    // Each write runs once, all in this one statement, whatever the select reads of them.
    const parts = writes.map((w, n) => `w${n} as (${w.statement} returning 1)`);
    const count = (n: number) => `(select count(*) from w${n})`;
    if (expecting.length <= 1) {
      // A wrong count divides by zero: the statement fails, and a COMMIT sent with it never runs.
      const only = expecting[0];
      const select = only
        ? `1 / (${count(only.n)} = ${Math.trunc(only.expected.rows)})::int as guard`
        : '1 as done';
      return {
        step: { ...pgStatement(`with ${parts.join(', ')} select ${select}`), values: params },
        guarded: only?.expected,
      };
    }
    const counts = expecting.map(({ n }) => `${count(n)}::int as c${n}`);
    return {
      step: {
        ...pgStatement(`with ${parts.join(', ')} select ${counts.join(', ')}`),
        values: params,
      },
      check: (result) => {
        const row = result.rows[0] as Record<string, number> | undefined;
        for (const { n, expected } of expecting) {
          if (Number(row?.[`c${n}`]) !== expected.rows) throw expected.otherwise();
        }
      },
    };
  }
}

function knexOf(em: EntityManager): Knex {
  return (em.getConnection() as unknown as { getKnex(): Knex }).getKnex();
}

/** A JSON column as read: text on SQLite, already parsed (jsonb) on PostgreSQL. */
export function jsonColumn<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

function sqliteStatement(db: SqliteDatabase, sql: string): SqliteStatement {
  let statements = prepared.get(db);
  if (!statements) {
    statements = new Map();
    prepared.set(db, statements);
  }
  let statement = statements.get(sql);
  if (!statement) {
    statement = db.prepare(sql);
    statements.set(sql, statement);
  }
  return statement;
}

function sqliteValues(params: readonly unknown[]): unknown[] {
  return params.map((value) =>
    typeof value === 'boolean' ? (value ? 1 : 0) : value === undefined ? null : value,
  );
}

/** `?` → `$n`, and a stable name so the server keeps the parsed statement for the connection. */
function pgStatement(sql: string): { name: string; text: string } {
  let statement = pgText.get(sql);
  if (!statement) {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${(n += 1)}`);
    const name = `v_${createHash('sha1').update(text).digest('hex').slice(0, 16)}`;
    statement = { name, text };
    pgText.set(sql, statement);
  }
  return statement;
}

/**
 * Runs `work` in one database transaction on one connection taken from the ORM's pool. Begun and
 * ended here rather than by knex/MikroORM: their transaction objects cost more than the engine's
 * writes. Work that needs an entity's statement builds it with MikroORM and runs it here
 * (`runBuilt`, `allBuilt`). On SQLite the work may share its commit with others (`SqliteWriter`);
 * either way the promise settles only once the work is committed or undone. On PostgreSQL the
 * transaction is the caller's alone, and its writes may be held (`Sql.write`).
 */
export async function inTransaction<T>(orm: MikroORM, work: (tx: Sql) => Promise<T>): Promise<T> {
  const client = knexOf(orm.em).client as Client;
  if (client.dialect !== 'postgresql') return SqliteWriter.of(client).run(work);
  const connection: unknown = await client.acquireConnection();
  const guard = new OpenGuard();
  const tx = new PgTransaction(connection as PgClient & PipelineClient, guard);
  try {
    let result: T;
    try {
      result = await work(tx.sql);
      await tx.commit();
    } catch (error) {
      if (tx.begun) {
        await control(connection, 'rollback').catch((rollbackError: unknown) => {
          // A lost connection cannot roll back (the server discards the transaction with it); any
          // other connection still in a transaction must not serve anyone again.
          discard(connection, rollbackError);
        });
      }
      throw error;
    }
    return result;
  } finally {
    guard.close();
    await client.releaseConnection(connection);
  }
}

const ENDED = 'The transaction has ended; this statement would run outside it';

/** Work that outlives its transaction (a write not awaited) must fail, not run in the next one. */
class OpenGuard {
  private open = true;

  get isOpen(): boolean {
    return this.open;
  }

  wrap(client: Client, connection: unknown): Sql {
    return sqlOnConnection(client, async (use) => {
      if (!this.open) throw new Error(ENDED);
      return use(connection);
    });
  }

  close(): void {
    this.open = false;
  }
}

function discard(connection: unknown, reason: unknown): void {
  (connection as { __knex__disposed?: unknown }).__knex__disposed = reason;
}

interface Unit {
  work: (tx: Sql) => Promise<unknown>;
  resolve: (result: unknown) => void;
  reject: (error: unknown) => void;
}

/** Transactions that share one commit at most; bounds the wait of the first and of readers. */
const MAX_GROUP = 32;

const writers = new WeakMap<Client, SqliteWriter>();

/**
 * SQLite's single writer. Transactions queue here and run one after another on the pool's one
 * connection; those that arrive while one runs join it and share its commit (group commit): on this
 * kind of machine the commit's WAL writes cost more than the rest of an event, and the pages several
 * events touch are written once. Each transaction is a savepoint, so one that fails is undone alone;
 * the others' promises settle after the shared commit, and all of them fail if it fails, so no
 * caller is ever told of a write that is not on disk (nor of a failure that rests on one). Readers
 * waiting on the pool get the connection between groups.
 */
class SqliteWriter {
  private readonly waiting: Unit[] = [];
  private draining = false;

  private constructor(private readonly client: Client) {}

  static of(client: Client): SqliteWriter {
    let writer = writers.get(client);
    if (!writer) {
      writer = new SqliteWriter(client);
      writers.set(client, writer);
    }
    return writer;
  }

  run<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ work, resolve: resolve as (result: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    let connection: unknown;
    try {
      connection = await this.client.acquireConnection();
    } catch (error) {
      this.draining = false;
      for (const unit of this.waiting.splice(0)) unit.reject(error);
      return;
    }
    try {
      // At least one group per turn on the connection; then readers waiting on the pool go first.
      // A connection that could not be rolled back is discarded by the pool.
      let usable: boolean;
      do usable = await this.group(connection);
      while (usable && this.waiting.length > 0 && !this.readersWaiting());
    } finally {
      try {
        await this.client.releaseConnection(connection);
      } finally {
        this.draining = false;
        // Queued meanwhile: in line behind the readers.
        if (this.waiting.length > 0) void this.drain();
      }
    }
  }

  private readersWaiting(): boolean {
    const pool = (this.client as { pool?: { numPendingAcquires?(): number } }).pool;
    return (pool?.numPendingAcquires?.() ?? 0) > 0;
  }

  /**
   * One transaction around as many queued units as arrive before it is idle for a turn; false if
   * the connection is left unusable. Every unit learns its outcome only after the commit (or the
   * rollback): even a failed unit may have failed on what an earlier unit of the group wrote.
   */
  private async group(connection: unknown): Promise<boolean> {
    const outcomes: { unit: Unit; result: Outcome }[] = [];
    const db = connection as SqliteDatabase;
    try {
      // IMMEDIATE: the write lock from the start, so a group never works on a stale snapshot.
      sqliteStatement(db, 'begin immediate').run();
    } catch (error) {
      // E.g. SQLITE_BUSY after the busy timeout: another process holds the write lock. The
      // engine retries what may be retried; the connection is replaced in case it is the fault.
      for (const unit of this.waiting.splice(0)) unit.reject(error);
      discard(connection, error);
      return false;
    }
    let usable = true;
    let failure: { error: unknown } | undefined;
    try {
      for (let count = 0; count < MAX_GROUP; count += 1) {
        let unit = this.waiting.shift();
        if (!unit) {
          // Requests that arrived meanwhile are read in this turn of the event loop and join.
          await new Promise((resume) => setImmediate(resume));
          unit = this.waiting.shift();
          if (!unit) break;
        }
        // Listed first: a savepoint that cannot be made or undone fails the whole group.
        const entry: { unit: Unit; result: Outcome } = { unit, result: { ok: false, error: null } };
        outcomes.push(entry);
        entry.result = await this.unit(connection, unit);
      }
      sqliteStatement(db, 'commit').run();
    } catch (error) {
      failure = { error };
      try {
        sqliteStatement(db, 'rollback').run();
      } catch (rollbackError) {
        discard(connection, rollbackError);
        usable = false;
      }
    }
    for (const { unit, result } of outcomes) {
      if (failure) unit.reject(failure.error);
      else if (result.ok) unit.resolve(result.value);
      else unit.reject(result.error);
    }
    return usable;
  }

  /** Runs one unit in a savepoint; a unit that fails is undone alone. */
  private async unit(connection: unknown, unit: Unit): Promise<Outcome> {
    const db = connection as SqliteDatabase;
    const guard = new OpenGuard();
    sqliteStatement(db, 'savepoint unit').run();
    try {
      const value = await unit.work(guard.wrap(this.client, connection));
      guard.close();
      sqliteStatement(db, 'release unit').run();
      return { ok: true, value };
    } catch (error) {
      guard.close();
      sqliteStatement(db, 'rollback to unit').run();
      sqliteStatement(db, 'release unit').run();
      return { ok: false, error };
    }
  }
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Transaction control as a simple query on PostgreSQL (it cannot be a named prepared statement). */
async function control(connection: unknown, statement: string): Promise<void> {
  await (connection as PgSimpleClient).query(statement);
}

/** MikroORM's query builder for an entity: statements for `runBuilt`/`allBuilt`, never run by it. */
export function queryFor<T extends object>(
  em: EntityManager,
  entity: EntityName<T>,
): QueryBuilder<T> {
  return (em as SqlEntityManager).createQueryBuilder(entity);
}

interface BuiltQuery {
  getKnexQuery(): { toSQL(): { sql: string; bindings: readonly unknown[] } };
}

/** Runs a statement MikroORM's query builder wrote (entity names, type conversion) on `tx`. */
export function runBuilt(tx: Sql, query: BuiltQuery): Promise<number> {
  const { sql, bindings } = query.getKnexQuery().toSQL();
  return tx.run(sql, bindings);
}

export function allBuilt<T>(tx: Sql, query: BuiltQuery): Promise<T[]> {
  const { sql, bindings } = query.getKnexQuery().toSQL();
  return tx.all<T>(sql, bindings);
}
