import { FailedBeginCheck } from './mikro-orm.config';

describe('FailedBeginCheck', () => {
  const check = new FailedBeginCheck();
  const args = (transaction: unknown) =>
    ({ transaction }) as Parameters<FailedBeginCheck['afterTransactionStart']>[0];

  it("raises BEGIN's own error when knex hands out a transaction that already failed", async () => {
    const lost = new Error('BEGIN; - Connection terminated unexpectedly');
    const executionPromise = Promise.reject(lost);
    executionPromise.catch(() => undefined);
    await expect(
      check.afterTransactionStart(args({ isCompleted: () => true, executionPromise })),
    ).rejects.toBe(lost);
  });

  it('lets a transaction that began pass', async () => {
    await expect(
      check.afterTransactionStart(args({ isCompleted: () => false })),
    ).resolves.toBeUndefined();
    await expect(check.afterTransactionStart(args(undefined))).resolves.toBeUndefined();
  });
});
