import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { Knex } from '@mikro-orm/knex';
import { createHash } from 'node:crypto';

export type Dialect = 'sqlite' | 'postgresql';

/**
 * Hand-written SQL on the connection of an EntityManager (its transaction's, when it has one),
 * every statement prepared once per connection. For the engine's hot path only: there, MikroORM's
 * query building and knex's per-call statement preparation cost ten times the database work.
 * Statements are written with `?` placeholders; JSON values are passed as JSON text.
 */
export interface Sql {
  /** Read from the connection: the SQL written for it may differ (e.g. `for update`). */
  readonly dialect: Dialect;
  all<T>(statement: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a write; the number of rows it changed. */
  run(statement: string, params?: readonly unknown[]): Promise<number>;
}

interface SqliteStatement {
  reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
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

export function sqlOf(em: EntityManager): Sql {
  const transaction = em.getTransactionContext<Knex.Transaction>();
  const knex: Knex =
    transaction ?? (em.getConnection() as unknown as { getKnex(): Knex }).getKnex();
  const client = knex.client as Client;
  const dialect: Dialect = client.dialect === 'postgresql' ? 'postgresql' : 'sqlite';
  // Inside a transaction the connection is the transaction's; otherwise one is borrowed per call.
  const borrowed = transaction === undefined;
  const onConnection = async <R>(use: (connection: unknown) => Promise<R> | R): Promise<R> => {
    const connection: unknown = await client.acquireConnection();
    try {
      return await use(connection);
    } finally {
      if (borrowed) await client.releaseConnection(connection);
    }
  };
  if (dialect === 'sqlite') {
    return {
      dialect,
      all: (statement, params = []) =>
        onConnection(
          (db) =>
            sqliteStatement(db as SqliteDatabase, statement).all(...sqliteValues(params)) as never,
        ),
      run: (statement, params = []) =>
        onConnection(
          (db) =>
            sqliteStatement(db as SqliteDatabase, statement).run(...sqliteValues(params)).changes,
        ),
    };
  }
  const query = (statement: string, params: readonly unknown[]) =>
    onConnection((pg) =>
      (pg as PgClient).query({ ...pgStatement(statement), values: [...params] }),
    );
  return {
    dialect,
    all: async (statement, params = []) => (await query(statement, params)).rows as never,
    run: async (statement, params = []) => (await query(statement, params)).rowCount ?? 0,
  };
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
 * Runs `work` in one database transaction with an EntityManager bound to it. Lighter than
 * `em.transactional()`: no unit of work to flush (every write here is native) and no async context,
 * which on the engine's hot path cost more than the transaction itself.
 */
export function inTransaction<T>(
  orm: MikroORM,
  work: (em: EntityManager) => Promise<T>,
): Promise<T> {
  return orm.em.getConnection().transactional(async (trx) => {
    const em = orm.em.fork();
    em.setTransactionContext(trx);
    return work(em);
  });
}
