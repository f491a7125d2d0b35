import { MikroORM } from '@mikro-orm/core';
import { mikroOrmOptions } from '../../config/mikro-orm.config';
import { migrate } from '../../src/database/database.module';
import { inTransaction, sqlOf } from '../../src/database/sql';
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
    const inside = await inTransaction(orm, (em) => Promise.resolve(sqlOf(em).dialect));
    expect(inside).toBe(dialect);
  });

  it('runs the same statement with its parameters, prepared once, many times', async () => {
    const sql = sqlOf(orm.em);
    for (const n of [1, 2, 3]) {
      const rows = await sql.all<{ n: number | string }>('select ? as n', [n]);
      expect(Number(rows[0]!.n)).toBe(n);
    }
  });
});
