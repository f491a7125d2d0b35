import type { EntityManager, EntityName, MikroORM } from '@mikro-orm/core';
import type { Knex, QueryBuilder, SqlEntityManager } from '@mikro-orm/knex';
import { createHash } from 'node:crypto';

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
}

interface SqliteStatement {
  reader: boolean;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number };
}
interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
}
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

type OnConnection = <R>(use: (connection: unknown) => Promise<R> | R) => Promise<R>;

function sqlOnConnection(client: Client, onConnection: OnConnection): Sql {
  const dialect: Dialect = client.dialect === 'postgresql' ? 'postgresql' : 'sqlite';
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
 * Runs `work` in one database transaction on one connection taken from the ORM's pool (which also
 * serialises writers on SQLite, where the pool holds one connection). Begun and ended here rather
 * than by knex/MikroORM: their transaction objects cost more than the engine's writes. Work that
 * needs an entity's statement builds it with MikroORM and runs it here (`runBuilt`, `allBuilt`).
 */
export async function inTransaction<T>(orm: MikroORM, work: (tx: Sql) => Promise<T>): Promise<T> {
  const client = knexOf(orm.em).client as Client;
  const connection: unknown = await client.acquireConnection();
  let open = true;
  // Work that outlives its transaction (a write not awaited) must fail, not run in the next one.
  const tx = sqlOnConnection(client, async (use) => {
    if (!open) throw new Error('The transaction has ended; this statement would run outside it');
    return use(connection);
  });
  try {
    await control(tx, connection, 'begin');
    let result: T;
    try {
      result = await work(tx);
      await control(tx, connection, 'commit');
    } catch (error) {
      await control(tx, connection, 'rollback').catch((rollbackError: unknown) => {
        // A lost connection cannot roll back (the server discards the transaction with it); any
        // other connection still in a transaction must not serve anyone again.
        (connection as { __knex__disposed?: unknown }).__knex__disposed = rollbackError;
      });
      throw error;
    }
    return result;
  } finally {
    open = false;
    await client.releaseConnection(connection);
  }
}

/** Transaction control as a simple query on PostgreSQL (it cannot be a named prepared statement). */
async function control(tx: Sql, connection: unknown, statement: string): Promise<void> {
  if (tx.dialect === 'postgresql') await (connection as PgSimpleClient).query(statement);
  else await tx.run(statement);
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
