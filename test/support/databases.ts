import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, type Settings } from '../../config/settings';

export type Dialect = 'sqlite' | 'postgresql';

export const PG_ADMIN_URL =
  process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let postgresAvailable: boolean | undefined;

/** Is PostgreSQL reachable? Asked once per test file, synchronously, so test lists can depend on it. */
export function isPostgresAvailable(): boolean {
  if (postgresAvailable === undefined) {
    const probe = spawnSync('psql', [PG_ADMIN_URL, '-tAc', 'select 1'], {
      encoding: 'utf8',
      timeout: 5000,
    });
    postgresAvailable = probe.status === 0 && probe.stdout.trim() === '1';
  }
  return postgresAvailable;
}

/**
 * The databases a suite runs against: SQLite always, PostgreSQL when reachable. With
 * REQUIRE_POSTGRES=1 an unreachable PostgreSQL fails the run instead of being skipped.
 */
export function dialects(): Dialect[] {
  if (isPostgresAvailable()) return ['sqlite', 'postgresql'];
  if (process.env.REQUIRE_POSTGRES === '1') {
    throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL is not reachable at ${PG_ADMIN_URL}`);
  }
  console.warn(
    `PostgreSQL is not reachable at ${PG_ADMIN_URL}: its tests are SKIPPED (set REQUIRE_POSTGRES=1 to fail instead)`,
  );
  return ['sqlite'];
}

function psql(sql: string): void {
  const result = spawnSync('psql', [PG_ADMIN_URL, '-v', 'ON_ERROR_STOP=1', '-qc', sql], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
}

export interface ScratchDatabase {
  dialect: Dialect;
  /** The DATABASE_URL of the scratch database. */
  url: string;
  settings(overrides?: Record<string, string>): Settings;
  drop(): void;
}

/** A fresh, empty database of the given kind; `drop()` removes it. */
export function scratchDatabase(dialect: Dialect): ScratchDatabase {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'videreforing-test-'));
    const url = `sqlite:${join(dir, 'test.sqlite')}`;
    return {
      dialect,
      url,
      settings: (overrides = {}) => testSettings(url, overrides),
      drop: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `videreforing_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  psql(`CREATE DATABASE ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    dialect,
    url: url.toString(),
    settings: (overrides = {}) => testSettings(url.toString(), overrides),
    drop: () => psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

export function testSettings(
  databaseUrl: string,
  overrides: Record<string, string> = {},
): Settings {
  return loadSettings(
    {
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SQLITE_SYNCHRONOUS: 'NORMAL',
      CONFIG_FILE: 'none',
      ...overrides,
    },
    process.cwd(),
  );
}
