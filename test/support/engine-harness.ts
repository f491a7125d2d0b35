import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MikroORM } from '@mikro-orm/core';
import type { Settings } from '../../config/settings';
import { createApp } from '../../src/bootstrap';
import { ManualClock } from '../../src/common/clock';
import { EngineService } from '../../src/engine/engine.service';
import { scratchDatabase, type Dialect, type ScratchDatabase } from './databases';

export interface Harness {
  dialect: Dialect;
  app: NestFastifyApplication;
  engine: EngineService;
  orm: MikroORM;
  clock: ManualClock;
  settings: Settings;
  database: ScratchDatabase;
  /** Runs raw SQL against the test database (for tampering and inspection). */
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
}

/**
 * A whole application on a fresh database of the given kind, for one test file. The returned
 * object is filled in by `beforeAll` and torn down by `afterAll`.
 */
export function useApp(dialect: Dialect, overrides: Record<string, string> = {}): Harness {
  const harness = { dialect } as Harness;
  beforeAll(async () => {
    harness.database = scratchDatabase(dialect);
    harness.settings = harness.database.settings(overrides);
    harness.clock = new ManualClock('2026-03-02T08:00:00.000Z');
    harness.app = await createApp({ settings: harness.settings, clock: harness.clock });
    await harness.app.init();
    harness.engine = harness.app.get(EngineService);
    harness.orm = harness.app.get(MikroORM);
    harness.sql = async <T>(query: string, params: unknown[] = []) =>
      (await harness.orm.em.getConnection().execute(query, params as never[])) as T[];
  }, 60_000);
  afterAll(async () => {
    await harness.app?.close();
    harness.database?.drop();
  });
  return harness;
}
