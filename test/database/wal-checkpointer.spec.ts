import { Logger } from '@nestjs/common';
import { copyFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WalCheckpointer } from '../../src/database/wal-checkpointer';
import { eventually } from '../support/eventually';

/** better-sqlite3 ships no types: only what this test uses. */
interface SqliteDatabase {
  prepare(sql: string): { run(...params: unknown[]): unknown; get(): unknown };
  pragma(statement: string): unknown;
  exec(sql: string): void;
  transaction(fn: () => void): () => void;
  close(): void;
}
const Database = createRequire(__filename)('better-sqlite3') as new (
  file: string,
  options?: { readonly: boolean },
) => SqliteDatabase;

const PAGE = 4096;
const ROWS = 300;

/** Rows in a copy of the database file alone: what has been checkpointed out of the WAL. */
function rowsInFileAlone(file: string, dir: string): number {
  const copy = join(dir, `copy-${Date.now()}.sqlite`);
  copyFileSync(file, copy);
  const db = new Database(copy, { readonly: true });
  try {
    const table = db.prepare("select 1 from sqlite_master where name = 't'").get();
    return table ? (db.prepare('select count(*) as n from t').get() as { n: number }).n : 0;
  } finally {
    db.close();
    rmSync(copy, { force: true });
  }
}

describe('WalCheckpointer', () => {
  let dir: string;
  let file: string;
  let writer: SqliteDatabase;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wal-checkpointer-'));
    file = join(dir, 'db.sqlite');
    writer = new Database(file);
    writer.pragma('journal_mode = WAL');
    // The writer never checkpoints: whatever reaches the database file was copied by the thread.
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec('create table t (x blob)');
    const insert = writer.prepare('insert into t values (randomblob(?))');
    writer.transaction(() => {
      for (let i = 0; i < ROWS; i += 1) insert.run(PAGE);
    })();
  });

  afterEach(() => {
    writer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies committed pages from the WAL into the database file on its own thread', async () => {
    expect(rowsInFileAlone(file, dir)).toBe(0);

    const checkpointer = WalCheckpointer.start(file, 'NORMAL', 10);
    try {
      await eventually(() => statSync(file).size >= ROWS * PAGE);
      expect(rowsInFileAlone(file, dir)).toBe(ROWS);

      // It keeps going: a later commit reaches the file too, while the writer goes on writing.
      writer.prepare('insert into t values (randomblob(?))').run(PAGE);
      await eventually(() => rowsInFileAlone(file, dir) === ROWS + 1);
    } finally {
      await checkpointer.stop();
    }
  });

  it('stops: its connection closed, later commits stay in the WAL', async () => {
    const checkpointer = WalCheckpointer.start(file, 'FULL', 10);
    await eventually(() => rowsInFileAlone(file, dir) === ROWS);
    await checkpointer.stop();

    writer.prepare('insert into t values (randomblob(?))').run(PAGE);
    await new Promise((resume) => setTimeout(resume, 200));
    expect(rowsInFileAlone(file, dir)).toBe(ROWS);
    // The writer is the only connection left: closing it folds the WAL in and removes it.
    writer.close();
    expect(() => statSync(`${file}-wal`)).toThrow();
    writer = new Database(file);
    expect((writer.prepare('select count(*) as n from t').get() as { n: number }).n).toBe(ROWS + 1);
  });

  it('says why when it cannot open the database, and still stops at once', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const missing = join(dir, 'missing.sqlite');
      const checkpointer = WalCheckpointer.start(missing, 'NORMAL', 10);
      await eventually(() => warn.mock.calls.length > 0);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining(`cannot open ${missing}`));
      const started = Date.now();
      await checkpointer.stop();
      expect(Date.now() - started).toBeLessThan(4_000);
    } finally {
      warn.mockRestore();
    }
  });
});
