import { createRequire } from 'node:module';
import type { Store } from './support';

/*
 * The raw drivers under the ORM (better-sqlite3 and pg), typed here with only what the benchmark
 * uses; neither ships its own types and the project does not depend on @types for them.
 */

export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  pragma(statement: string, options?: { simple: boolean }): unknown;
  exec(sql: string): void;
  transaction<A extends unknown[], R>(
    fn: (...args: A) => R,
  ): ((...args: A) => R) & {
    immediate: (...args: A) => R;
  };
  close(): void;
}

type SqliteConstructor = new (file: string, options?: { readonly?: boolean }) => SqliteDatabase;

export interface PgResult<R> {
  rows: R[];
  rowCount: number | null;
}

export interface PgQueryable {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<PgResult<R>>;
}

export interface PgPoolClient extends PgQueryable {
  release(): void;
}

export interface PgPool extends PgQueryable {
  connect(): Promise<PgPoolClient>;
  end(): Promise<void>;
}

interface PgModule {
  Pool: new (options: { connectionString: string; max: number }) => PgPool;
}

const load = createRequire(__filename);
export const Sqlite = load('better-sqlite3') as SqliteConstructor;
export const pg = load('pg') as PgModule;

/** A connection for the benchmark's own reads, writes and EXPLAINs (placeholders are `?`). */
export interface Db {
  kind: 'sqlite' | 'postgresql';
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

export function openDb(store: Store): Db {
  if (store.kind !== 'postgresql') {
    const db = new Sqlite(store.file!);
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${store.synchronous}`);
    db.pragma('busy_timeout = 10000');
    return {
      kind: 'sqlite',
      query: <R>(sql: string, params: unknown[] = []) => {
        const statement = db.prepare(sql);
        return Promise.resolve(
          /^\s*(select|explain|with|pragma)/i.test(sql)
            ? (statement.all(...params) as R[])
            : (statement.run(...params), [] as R[]),
        );
      },
      exec: (sql) => Promise.resolve(db.exec(sql)),
      close: () => Promise.resolve(db.close()),
    };
  }
  const pool = new pg.Pool({ connectionString: store.url, max: 2 });
  return {
    kind: 'postgresql',
    query: async <R>(sql: string, params: unknown[] = []) =>
      (await pool.query<R>(numbered(sql), params)).rows,
    exec: async (sql) => {
      await pool.query(sql);
    },
    close: () => pool.end(),
  };
}

/** `?` placeholders → pg's `$1`, `$2`, … */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
