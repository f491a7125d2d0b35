import { BetterSqliteDriver } from '@mikro-orm/better-sqlite';
import type { Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { join } from 'node:path';
import { entities } from '../src/database/entities';
import { postgresqlMigrations } from '../src/migrations/postgresql';
import { sqliteMigrations } from '../src/migrations/sqlite';
import { PostgreSqlDriver } from './postgresql-driver';
import type { DatabaseSettings } from './settings';

interface SqliteConnection {
  pragma(statement: string): unknown;
}

/** How long opening one PostgreSQL connection may take. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** Pages of WAL (4 KiB each) after which a commit checkpoints them into the database file. */
export const WAL_CHECKPOINT_PAGES = 10_000;

const migrationsDir = (dialect: string) => join(__dirname, '..', 'src', 'migrations', dialect);

/** MikroORM options for either store; shared by the app, the tests and the migration script. */
export function mikroOrmOptions(database: DatabaseSettings): Options {
  const common = {
    entities,
    extensions: [Migrator],
    allowGlobalContext: false,
    forceUtcTimezone: true,
    debug: false,
  } satisfies Partial<Options>;
  const migrations = (dialect: 'sqlite' | 'postgresql') => ({
    tableName: 'mikro_orm_migrations',
    silent: true,
    path: migrationsDir(dialect),
    pathTs: migrationsDir(dialect),
    snapshot: false,
    transactional: true,
    allOrNothing: true,
    emit: 'ts' as const,
    migrationsList: dialect === 'sqlite' ? sqliteMigrations : postgresqlMigrations,
  });

  if (database.dialect === 'sqlite') {
    return {
      ...common,
      driver: BetterSqliteDriver,
      dbName: database.file,
      migrations: migrations('sqlite'),
      pool: {
        min: 1,
        max: 1,
        afterCreate: (connection: SqliteConnection, done: (error: unknown, c: unknown) => void) => {
          try {
            // WAL lets readers proceed during a write; FULL makes every commit durable on power loss.
            connection.pragma('journal_mode = WAL');
            connection.pragma(`synchronous = ${database.synchronous}`);
            connection.pragma('busy_timeout = 5000');
            // Checkpoint every ~40 MB of WAL rather than SQLite's 4 MB: a page that many commits
            // rewrite (the instance's, an index's) is copied to the database once per checkpoint,
            // and each checkpoint costs two fsyncs. Commits under load cost about a third less.
            // A thread of its own copies pages as the WAL grows (src/database/wal-checkpointer.ts);
            // this one completes each round, so the WAL starts over and stays below ~40 MB.
            connection.pragma(`wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
            connection.pragma('foreign_keys = ON');
            // A savepoint's statement journal (see SqliteWriter) in memory, not a temporary file per
            // group commit: the journal only undoes a failed unit, never survives a crash.
            connection.pragma('temp_store = MEMORY');
            done(null, connection);
          } catch (error) {
            done(error, connection);
          }
        },
      },
    };
  }
  return {
    ...common,
    driver: PostgreSqlDriver,
    clientUrl: database.url,
    migrations: migrations('postgresql'),
    // Migrations hold one connection for their advisory lock while the migrator needs another.
    pool: { min: 0, max: Math.max(2, database.poolSize) },
    // A host that drops packets would otherwise hold a request (or the start-up's first attempt)
    // for the operating system's TCP timeout; this makes it a 503 after a few seconds.
    driverOptions: { connection: { connectionTimeoutMillis: CONNECT_TIMEOUT_MS } },
  };
}
