import type { Configuration } from '@mikro-orm/core';
import { AbstractSqlDriver, type Knex } from '@mikro-orm/knex';
import { PostgreSqlConnection, PostgreSqlPlatform } from '@mikro-orm/postgresql';

type BeginOptions = Parameters<PostgreSqlConnection['begin']>[0];

/**
 * knex swallows a failed BEGIN (on a pooled connection the server has just closed, say): it hands
 * out the transaction anyway, already finished, and its first query fails with "Transaction query
 * already complete", which hides the cause. This connection raises BEGIN's own error instead, so
 * a lost connection is recognised (a 503) rather than taken for a defect (a 500), whichever way
 * the transaction was started (em.transactional or connection.transactional).
 */
export class CheckedBeginConnection extends PostgreSqlConnection {
  override async begin(options: BeginOptions = {}): Promise<Knex.Transaction> {
    const trx = await super.begin(options);
    if (trx.isCompleted()) await failedBegin(trx);
    return trx;
  }
}

/** Settled by then: knex rejects it in the same step that marks the transaction complete. */
export async function failedBegin(trx: unknown): Promise<never> {
  await (trx as { executionPromise?: Promise<unknown> }).executionPromise;
  throw new Error('The transaction was over before its first statement');
}

/** MikroORM's PostgreSqlDriver (which only names its platform and connection) with that connection. */
export class PostgreSqlDriver extends AbstractSqlDriver<CheckedBeginConnection> {
  constructor(config: Configuration) {
    super(config, new PostgreSqlPlatform(), CheckedBeginConnection, ['knex', 'pg']);
  }
}
