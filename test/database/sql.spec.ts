import { MikroORM } from '@mikro-orm/core';
import { mikroOrmOptions } from '../../config/mikro-orm.config';
import { migrate } from '../../src/database/database.module';
import { randomUUID } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { ApiToken } from '../../src/auth/api-token.entity';
import {
  allBuilt,
  inTransaction,
  queryFor,
  readSql,
  runBuilt,
  sqlOf,
  type Sql,
} from '../../src/database/sql';
import { dialects, scratchDatabase, type ScratchDatabase } from '../support/databases';

/** A second ORM with its own connections, as another process has: it sees only committed rows. */
async function otherConnection(database: ScratchDatabase) {
  const other = await MikroORM.init({
    ...mikroOrmOptions(database.settings().database),
    logger: () => undefined,
  });
  return {
    ids: async (table: string) =>
      (await sqlOf(other.em).all<{ id: string }>(`select id from ${table} order by id`)).map(
        (row) => row.id,
      ),
    close: () => other.close(true),
  };
}

/** Two tables whose foreign key is checked only at the commit, after every savepoint is released. */
async function deferredForeignKey(sql: Sql, parent: string, child: string, column: string) {
  await sql.run(`create table ${parent} (id varchar(64) primary key)`);
  await sql.run(
    `create table ${child} (id varchar(64) primary key, ${column} varchar(64) ` +
      `references ${parent} (id) deferrable initially deferred)`,
  );
}

/**
 * The engine's prepared SQL (src/database/sql.ts) learns its dialect from the connection: that
 * decides the placeholders and whether an instance is read `for update` (the row lock that
 * serialises sends on PostgreSQL).
 */
describe.each(dialects())('sqlOf on %s', (dialect) => {
  let database: ScratchDatabase;
  let orm: MikroORM;

  beforeAll(async () => {
    database = scratchDatabase(dialect);
    const settings = database.settings();
    orm = await MikroORM.init({ ...mikroOrmOptions(settings.database), logger: () => undefined });
    await migrate(orm, settings);
  });

  afterAll(async () => {
    await orm?.close(true);
    database?.drop();
  });

  it('reads the dialect from the connection, in and outside a transaction', async () => {
    expect(sqlOf(orm.em).dialect).toBe(dialect);
    const inside = await inTransaction(orm, (tx) => Promise.resolve(tx.dialect));
    expect(inside).toBe(dialect);
  });

  it('runs the same statement with its parameters, prepared once, many times', async () => {
    const sql = sqlOf(orm.em);
    for (const n of [1, 2, 3]) {
      const rows = await sql.all<{ n: number | string }>('select ? as n', [n]);
      expect(Number(rows[0]!.n)).toBe(n);
    }
  });

  it('commits the work of a transaction, and rolls all of it back when the work fails', async () => {
    const id = randomUUID();
    const token = (label: string) =>
      queryFor(orm.em, ApiToken).insert({
        id: randomUUID(),
        secretHash: randomUUID().replace(/-/g, ''),
        createdBy: 'test',
        role: 'auditor',
        label,
        programmeIds: null,
        createdAt: '2026-12-01T00:00:00.000Z',
        revokedAt: null,
      });
    await inTransaction(orm, async (tx) => {
      await runBuilt(tx, token(`kept ${id}`));
    });
    await expect(
      inTransaction(orm, async (tx) => {
        await runBuilt(tx, token(`dropped ${id}`));
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    const rows = await allBuilt<{ label: string }>(
      sqlOf(orm.em),
      queryFor(orm.em, ApiToken)
        .select('label')
        .where({ label: { $like: `% ${id}` } }),
    );
    expect(rows.map((row) => row.label)).toEqual([`kept ${id}`]);
    // The connection went back to the pool in both cases: the ORM still gets one.
    expect(await orm.em.fork().count(ApiToken, { label: `kept ${id}` })).toBe(1);
  });

  it('tells each of many concurrent transactions only once another connection sees its write', async () => {
    const other = await otherConnection(database);
    try {
      await sqlOf(orm.em).run('create table probe_ack (id varchar(64) primary key)');
      const ids = Array.from({ length: 12 }, (_, n) => `ack-${String(n).padStart(2, '0')}`);
      const seen = await Promise.all(
        ids.map(async (id) => {
          await inTransaction(orm, (tx) => tx.write('insert into probe_ack (id) values (?)', [id]));
          return (await other.ids('probe_ack')).includes(id);
        }),
      );
      expect(seen).toEqual(ids.map(() => true));
    } finally {
      await other.close();
    }
  });

  it('undoes a failed transaction alone while those started with it commit', async () => {
    await sqlOf(orm.em).run('create table probe_alone (id varchar(64) primary key)');
    const outcomes = await Promise.allSettled(
      ['a', 'b', 'c', 'd', 'e'].map((id) =>
        inTransaction(orm, async (tx) => {
          await tx.write('insert into probe_alone (id) values (?)', [id]);
          if (id === 'c') throw new Error(`work ${id} failed`);
          await tx.run('insert into probe_alone (id) values (?)', [`${id}2`]);
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
    ]);
    const rows = await sqlOf(orm.em).all<{ id: string }>('select id from probe_alone order by id');
    expect(rows.map((row) => row.id)).toEqual(['a', 'a2', 'b', 'b2', 'd', 'd2', 'e', 'e2']);
  });

  it("a shared commit that fails fails every transaction in it (SQLite's group commit)", async () => {
    const sql = sqlOf(orm.em);
    await deferredForeignKey(sql, 'probe_parent', 'probe_child', 'parent');
    const insert = (id: string, parent: string | null) =>
      inTransaction(orm, (tx) =>
        tx.run('insert into probe_child (id, parent) values (?, ?)', [id, parent]),
      );
    const outcomes = await Promise.allSettled([
      insert('first', null),
      insert('orphan', 'no such parent'),
      insert('third', null),
    ]);
    const stored = await sql.all<{ id: string }>('select id from probe_child order by id');
    if (dialect === 'sqlite') {
      // Queued together, they share one commit: none of them may be told it was written.
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(stored).toEqual([]);
    } else {
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(stored.map((row) => row.id)).toEqual(['first', 'third']);
    }
    // The writer goes on afterwards.
    await insert('later', null);
    expect(await sql.all('select id from probe_child where id = ?', ['later'])).toHaveLength(1);
  });

  it('tells a transaction that failed on a write of its group only once the group is settled', async () => {
    await deferredForeignKey(sqlOf(orm.em), 'probe_root', 'probe_leaf', 'root');
    const outcomes = await Promise.allSettled([
      // Fails only at the commit (its root does not exist).
      inTransaction(orm, (tx) =>
        tx.run('insert into probe_leaf (id, root) values (?, ?)', ['orphan', 'missing']),
      ),
      // Fails because of what it sees of the first, if it sees it.
      inTransaction(orm, async (tx) => {
        const rows = await tx.all('select id from probe_leaf where id = ?', ['orphan']);
        if (rows.length > 0) throw new Error('saw a row that was never committed');
      }),
    ]);
    const reasons = outcomes.map((o) =>
      o.status === 'rejected' ? (o.reason as Error).message : 'fulfilled',
    );
    if (dialect === 'sqlite') {
      // One group: the second learns the group's fate, not a conclusion drawn from unsaved data.
      expect(reasons[0]).toMatch(/FOREIGN KEY/);
      expect(reasons[1]).toBe(reasons[0]);
    } else {
      expect(reasons).toEqual([expect.stringMatching(/foreign key/), 'fulfilled']);
    }
  });

  it('applies held writes before the next read, each with its own count, one check failing all', async () => {
    const sql = sqlOf(orm.em);
    await sql.run('create table probe_held (id varchar(64) primary key, n integer)');
    await sql.run('insert into probe_held (id, n) values (?, ?), (?, ?)', ['x', 1, 'y', 1]);
    const expecting = (rows: number) => ({ rows, otherwise: () => new Error(`not ${rows} rows`) });
    const read = await inTransaction(orm, async (tx) => {
      await tx.write('insert into probe_held (id, n) values (?, ?)', ['z', 1], expecting(1));
      await tx.write(
        'update probe_held set n = n + 1 where id in (?, ?)',
        ['x', 'y'],
        expecting(2),
      );
      await tx.write('update probe_held set n = 0 where id = ?', ['missing'], expecting(0));
      return tx.all<{ id: string; n: number }>('select id, n from probe_held order by id');
    });
    expect(read.map((row) => [row.id, Number(row.n)])).toEqual([
      ['x', 2],
      ['y', 2],
      ['z', 1],
    ]);

    // At the commit, one expectation among plain writes, then among other expectations; each
    // twice, so that on PostgreSQL the second goes out with COMMIT in one round trip.
    const failing = [
      async (tx: Sql) => {
        await tx.write('insert into probe_held (id, n) values (?, ?)', ['w', 1]);
        await tx.write('update probe_held set n = 9 where id = ?', ['missing'], {
          rows: 1,
          otherwise: () => new Error('the row moved on'),
        });
      },
      async (tx: Sql) => {
        await tx.write('insert into probe_held (id, n) values (?, ?)', ['w', 1], expecting(1));
        await tx.write('update probe_held set n = 9 where id = ?', ['missing'], {
          rows: 1,
          otherwise: () => new Error('the row moved on'),
        });
      },
      async (tx: Sql) => {
        await tx.write('update probe_held set n = 9 where id = ?', ['missing'], {
          rows: 1,
          otherwise: () => new Error('the row moved on'),
        });
      },
    ];
    for (const work of [...failing, ...failing]) {
      await expect(inTransaction(orm, work)).rejects.toThrow('the row moved on');
    }
    const after = await sql.all<{ id: string; n: number }>(
      'select id, n from probe_held order by id',
    );
    expect(after.map((row) => [row.id, Number(row.n)])).toEqual([
      ['x', 2],
      ['y', 2],
      ['z', 1],
    ]);
  });

  it('commits a transaction whose statements are prepared in two round trips, and undoes a failed one', async () => {
    const sql = sqlOf(orm.em);
    await sql.run('create table probe_trip (id varchar(64) primary key, n integer)');
    await sql.run('insert into probe_trip (id, n) values (?, ?)', ['a', 0]);
    /** Reads the counter, then (held) inserts two rows and moves the counter on. */
    const send = (ids: [string, string], n: number) =>
      inTransaction(orm, async (tx) => {
        const [row] = await tx.all<{ n: number }>(
          `select n from probe_trip where id = ?${dialect === 'postgresql' ? ' for update' : ''}`,
          ['a'],
        );
        await tx.write('update probe_trip set n = ? where id = ? and n = ?', [n, 'a', row!.n], {
          rows: 1,
          otherwise: () => new Error('lost update'),
        });
        for (const id of ids) {
          await tx.write('insert into probe_trip (id, n) values (?, ?)', [id, Number(row!.n)]);
        }
        return Number(row!.n);
      });
    // Prepared on every connection of the pool first.
    await Promise.all(
      Array.from({ length: 12 }, (_, n) => send([`warm-${n}`, `warm-${n}-2`], n + 1)),
    );
    // Every round trip is one call of the driver's `query` (a pipeline is one).
    const pg =
      dialect === 'postgresql'
        ? jest.requireActual<{ Client: { prototype: { query(): unknown } } }>('pg')
        : null;
    const queries = pg ? jest.spyOn(pg.Client.prototype, 'query') : null;
    try {
      const before = await send(['b', 'b2'], 100);
      expect(before).toBeGreaterThan(0);
      expect(queries?.mock.calls.length ?? 2).toBe(2);
      // Writes that fail with COMMIT (the same key twice): nothing of the transaction stays.
      // Matched on the message: better-sqlite3 throws the SqliteError class of the first test file
      // that loaded it in this worker, which is no Error of this file's realm for `toThrow`.
      await expect(send(['dup', 'dup'], 200)).rejects.toMatchObject({
        message: expect.stringMatching(/unique|UNIQUE/) as unknown,
      });
      // Its two round trips, then the rollback.
      expect(queries?.mock.calls.length ?? 5).toBe(5);
      const [row] = await sql.all<{ n: number }>('select n from probe_trip where id = ?', ['a']);
      expect(Number(row!.n)).toBe(100);
      // The connection serves the next transaction.
      expect(await send(['c', 'c2'], 300)).toBe(100);
    } finally {
      queries?.mockRestore();
    }
    const ids = await sql.all<{ id: string }>(
      "select id from probe_trip where id in ('b', 'b2', 'c', 'c2', 'dup') order by id",
    );
    expect(ids.map((row) => row.id)).toEqual(['b', 'b2', 'c', 'c2']);
  });

  it('refuses a statement made through a transaction after it ended', async () => {
    let kept: Sql | undefined;
    await inTransaction(orm, (tx) => {
      kept = tx;
      return Promise.resolve();
    });
    await expect(kept!.all('select 1 as n')).rejects.toThrow('The transaction has ended');
    await expect(kept!.write('select 1 as n')).rejects.toThrow('The transaction has ended');
    expect(await sqlOf(orm.em).all<{ n: number }>('select 1 as n')).toHaveLength(1);
  });

  it('reads every committed write at once, never an uncommitted one, without waiting for a writer', async () => {
    await sqlOf(orm.em).run('create table probe_read (id varchar(64) primary key)');
    const ids = async () =>
      (await readSql(orm.em).all<{ id: string }>('select id from probe_read order by id')).map(
        (row) => row.id,
      );
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let written!: () => void;
    const wrote = new Promise<void>((resolve) => (written = resolve));
    const writer = inTransaction(orm, async (tx) => {
      await tx.run('insert into probe_read (id) values (?)', ['a']);
      written();
      await gate;
    });
    await wrote;
    // The writer holds its connection (on SQLite the pool's only one) until the gate opens.
    let timer: NodeJS.Timeout | undefined;
    const during = await Promise.race([
      ids(),
      new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve('waited for the writer'), 2000);
      }),
    ]);
    clearTimeout(timer);
    open();
    await writer;
    expect(during).toEqual([]);
    expect(await ids()).toEqual(['a']);
  });
});

describe('readSql on a SQLite file', () => {
  it('reads on a connection of its own that closes with the ORM', async () => {
    const database = scratchDatabase('sqlite');
    const settings = database.settings();
    const file = settings.database.dialect === 'sqlite' ? settings.database.file : '';
    const handles = () =>
      readdirSync('/proc/self/fd').filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`) === file;
        } catch {
          return false;
        }
      }).length;
    const orm = await MikroORM.init({
      ...mikroOrmOptions(settings.database),
      logger: () => undefined,
    });
    try {
      await migrate(orm, settings);
      const pooled = handles();
      expect(await readSql(orm.em).all<{ n: number }>('select 1 as n')).toEqual([{ n: 1 }]);
      expect(handles()).toBe(pooled + 1);
      await orm.close(true);
      expect(handles()).toBe(0);
    } finally {
      await orm.close(true);
      database.drop();
    }
  });
});
