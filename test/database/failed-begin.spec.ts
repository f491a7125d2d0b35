import { MikroORM } from '@mikro-orm/core';
import type { Knex } from '@mikro-orm/knex';
import { PostgreSqlDriver as StockPostgreSqlDriver } from '@mikro-orm/postgresql';
import { mikroOrmOptions } from '../../config/mikro-orm.config';
import { toProblem } from '../../src/common/to-problem';
import { dialects, scratchDatabase, type ScratchDatabase } from '../support/databases';

/**
 * A BEGIN that fails because the connection was lost (the server restarted between the pool
 * handing it out and the BEGIN) must fail the transaction with that error, which is recognised as
 * an outage (503). knex alone hands out the transaction anyway and the first statement fails with
 * "Transaction query already complete" (a 500). The failure is staged: BEGIN is made to fail.
 */
const withPostgres = dialects().includes('postgresql');

(withPostgres ? describe : describe.skip)('a BEGIN that fails on PostgreSQL', () => {
  let database: ScratchDatabase;
  const orms: MikroORM[] = [];

  beforeAll(() => {
    database = scratchDatabase('postgresql');
  });

  afterAll(async () => {
    for (const orm of orms) await orm.close(true);
    database?.drop();
  });

  async function open(stock: boolean): Promise<MikroORM> {
    const options = mikroOrmOptions(database.settings().database);
    const orm = await MikroORM.init({
      ...options,
      ...(stock ? { driver: StockPostgreSqlDriver } : {}),
      logger: () => undefined,
    });
    orms.push(orm);
    return orm;
  }

  /** Runs a transaction of one statement while every BEGIN fails as a dropped connection does. */
  async function withFailingBegin(orm: MikroORM): Promise<unknown> {
    const connection = orm.em.getConnection() as unknown as { getKnex(): Knex };
    const client = Object.getPrototypeOf(connection.getKnex().client) as {
      _query: (this: unknown, connection: unknown, query: { sql: string }) => Promise<unknown>;
    };
    const query = client._query;
    client._query = function (this: unknown, conn, obj) {
      if (obj.sql === 'BEGIN;') {
        return Promise.reject(new Error('Connection terminated unexpectedly'));
      }
      return query.call(this, conn, obj);
    };
    try {
      await orm.em
        .getConnection()
        .transactional((trx) => orm.em.getConnection().execute('select 1', [], 'all', trx));
      return undefined;
    } catch (error) {
      return error;
    } finally {
      client._query = query;
    }
  }

  it('fails with the lost connection, not with "Transaction query already complete"', async () => {
    const error = await withFailingBegin(await open(false));
    expect((error as Error | undefined)?.message).toBe(
      'BEGIN; - Connection terminated unexpectedly',
    );
  });

  it('(knex alone hides it: the reason for the checked connection)', async () => {
    const error = await withFailingBegin(await open(true));
    expect((error as Error | undefined)?.message).toMatch(/Transaction query already complete/);
    expect(toProblem(error).problem.status).toBe(500);
  });

  it('leaves the pool usable', async () => {
    const orm = await open(false);
    await withFailingBegin(orm);
    const rows = await orm.em
      .getConnection()
      .transactional((trx) =>
        orm.em.getConnection().execute<{ one: number }[]>('select 1 as one', [], 'all', trx),
      );
    expect(rows).toEqual([{ one: 1 }]);
  });
});
