import { MikroORM } from '@mikro-orm/core';
import { isDeepStrictEqual } from 'node:util';
import { mikroOrmOptions } from '../../../config/mikro-orm.config';
import type { Settings } from '../../../config/settings';
import { ManualClock } from '../../../src/common/clock';
import { DefinitionRegistry } from '../../../src/engine/definition-registry';
import { EngineService } from '../../../src/engine/engine.service';
import { WorkflowInstance } from '../../../src/engine/workflow-instance.entity';
import { definitions } from '../../../workflows';
import { pathOf } from '../../../workflows/kit';

/**
 * Looks at the database with a fresh ORM and engine (no service running): for each instance the
 * stored state equals its history replayed from the first entry, the chain verifies, and the
 * instance row agrees with the history (version == last seq == number of entries).
 */
export async function replayProblems(settings: Settings, instanceIds: string[]): Promise<string[]> {
  const orm = await MikroORM.init({
    ...mikroOrmOptions(settings.database),
    logger: () => undefined,
  });
  const problems: string[] = [];
  try {
    const registry = new DefinitionRegistry(definitions);
    const engine = new EngineService(orm, registry, new ManualClock(), settings);
    const connection = orm.em.fork().getConnection();
    if (settings.database.dialect === 'sqlite') {
      const [check] =
        await connection.execute<{ integrity_check: string }[]>('pragma integrity_check');
      if (check?.integrity_check !== 'ok')
        problems.push(`integrity_check: ${check?.integrity_check}`);
    }
    for (const id of instanceIds) {
      const instance = await orm.em.fork().findOneOrFail(WorkflowInstance, { id });
      const [row] = await connection.execute<{ n: number | string; m: number | string }[]>(
        'select count(*) as n, max(seq) as m from history_entry where instance_id = ?',
        [id],
      );
      const entries = Number(row?.n);
      if (
        instance.version !== entries ||
        instance.lastSeq !== entries ||
        Number(row?.m) !== entries
      ) {
        problems.push(
          `${id}: version ${instance.version}, lastSeq ${instance.lastSeq}, max seq ${row?.m}, ${entries} entries`,
        );
      }
      const verification = await engine.verify(id);
      if (!verification.valid) problems.push(`${id}: ${JSON.stringify(verification)}`);
      const view = await engine.view(id);
      const replayed = await engine.replay(id);
      // Compared regardless of key order: PostgreSQL's jsonb stores keys in its own order.
      if (!isDeepStrictEqual(replayed.context, view.context)) {
        problems.push(`${id}: the stored state differs from the history replayed`);
      }
      if (pathOf(replayed) !== view.state || replayed.status !== view.status) {
        problems.push(
          `${id}: state ${view.state}, but the history replayed gives ${pathOf(replayed)}`,
        );
      }
    }
  } finally {
    await orm.close(true);
  }
  return problems;
}
