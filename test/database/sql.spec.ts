import { MikroORM } from '@mikro-orm/core';
import { mikroOrmOptions } from '../../config/mikro-orm.config';
import { migrate } from '../../src/database/database.module';
import { randomUUID } from 'node:crypto';
import { ApiToken } from '../../src/auth/api-token.entity';
import {
  allBuilt,
  inTransaction,
  queryFor,
  runBuilt,
  sqlOf,
  type Sql,
} from '../../src/database/sql';
import { dialects, scratchDatabase, type ScratchDatabase } from '../support/databases';

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

  it('refuses a statement made through a transaction after it ended', async () => {
    let kept: Sql | undefined;
    await inTransaction(orm, (tx) => {
      kept = tx;
      return Promise.resolve();
    });
    await expect(kept!.all('select 1 as n')).rejects.toThrow('The transaction has ended');
    expect(await sqlOf(orm.em).all<{ n: number }>('select 1 as n')).toHaveLength(1);
  });
});
