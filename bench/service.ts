import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Settings } from '../config/settings';
import type { Principal } from '../src/auth/principal';
import type { Clock } from '../src/common/clock';
import type { EngineService } from '../src/engine/engine.service';
import type { DefinitionRegistry } from '../src/engine/definition-registry';
import type { ProgrammesService } from '../src/programmes/programmes.service';
import type { RemindersService } from '../src/reminders/reminders.service';
import { dist, type Store } from './support';

/** The compiled modules the benchmark drives in-process (same module instances as the app's). */
export const modules = {
  bootstrap: () => dist<typeof import('../src/bootstrap')>('src/bootstrap.js'),
  settings: () => dist<typeof import('../config/settings')>('config/settings.js'),
  clock: () => dist<typeof import('../src/common/clock')>('src/common/clock.js'),
  engine: () => dist<typeof import('../src/engine/engine.service')>('src/engine/engine.service.js'),
  registry: () =>
    dist<typeof import('../src/engine/definition-registry')>('src/engine/definition-registry.js'),
  view: () => dist<typeof import('../src/engine/view')>('src/engine/view.js'),
  programmes: () =>
    dist<typeof import('../src/programmes/programmes.service')>(
      'src/programmes/programmes.service.js',
    ),
  reminders: () =>
    dist<typeof import('../src/reminders/reminders.service')>('src/reminders/reminders.service.js'),
  hashChain: () => dist<typeof import('../src/history/hash-chain')>('src/history/hash-chain.js'),
  history: () =>
    dist<typeof import('../src/history/history-entry.entity')>(
      'src/history/history-entry.entity.js',
    ),
  instance: () =>
    dist<typeof import('../src/engine/workflow-instance.entity')>(
      'src/engine/workflow-instance.entity.js',
    ),
  deadline: () =>
    dist<typeof import('../src/engine/deadline.entity')>('src/engine/deadline.entity.js'),
  kit: () => dist<typeof import('../workflows/kit')>('workflows/kit/index.js'),
  tokens: () => dist<typeof import('../src/auth/tokens.service')>('src/auth/tokens.service.js'),
  pgPipeline: () =>
    dist<typeof import('../src/database/pg-pipeline')>('src/database/pg-pipeline.js'),
};

export const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

export const ADMIN: Principal = {
  tokenId: 'bench-admin',
  role: 'admin',
  label: 'benchmark',
  programmeIds: null,
};
export const LEADER_ACTOR = { id: 'bench-leader', role: 'projectLeader' };
export const ADMIN_ACTOR = { id: 'bench-admin', role: 'admin' };

/** Settings for a store as environment variables: no cron, no mail poller, no rate limit. */
export function serviceEnv(
  store: Store,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    ...store.env,
    ADMIN_TOKEN,
    RATE_LIMIT_PER_MINUTE: '10000000',
    REMINDER_CRON: 'off',
    ...extra,
  };
}

export function settingsFor(store: Store, extra: Record<string, string> = {}): Settings {
  return modules.settings().loadSettings(
    {
      ...serviceEnv(store),
      CONFIG_FILE: 'none',
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      MAIL_POLL_SECONDS: '0',
      ...extra,
    },
    store.dir,
  );
}

export interface InProcess {
  app: NestFastifyApplication;
  orm: MikroORM;
  engine: EngineService;
  programmes: ProgrammesService;
  registry: DefinitionRegistry;
  reminders: RemindersService;
  settings: Settings;
  close(): Promise<void>;
}

/** The whole service in this process without HTTP (migrations applied), for engine-level runs. */
export async function inProcess(
  store: Store,
  options: { clock?: Clock; env?: Record<string, string> } = {},
): Promise<InProcess> {
  const settings = settingsFor(store, options.env);
  const app = await modules.bootstrap().createApp({ settings, clock: options.clock });
  await app.init();
  const m = modules;
  return {
    app,
    settings,
    orm: app.get(MikroORM),
    engine: app.get(m.engine().EngineService),
    programmes: app.get(m.programmes().ProgrammesService),
    registry: app.get(m.registry().DefinitionRegistry),
    reminders: app.get(m.reminders().RemindersService),
    close: () => app.close(),
  };
}

// ---- the benchmark's programme and events --------------------------------------------------------

export function programmeBody(overrides: Record<string, unknown> = {}) {
  return {
    municipality: 'Nordkyn',
    municipalityNumber: '5636',
    programmeStart: '2026-01-01',
    programmeEnd: '2031-12-31',
    board: [{ name: 'Kari Nordmann', email: 'kari@example.no', role: 'styreleder' }],
    administrators: [{ name: 'Siri Sekretær', email: 'siri@nordkyn.kommune.no' }],
    mayor: { name: 'Ola Ordfører', email: 'ordforer@nordkyn.kommune.no' },
    ...overrides,
  };
}

export const ROLES_EVENT = {
  type: 'roles.assign',
  prosjekteier: 'Nordkyn kommune',
  prosjektansvarlig: { name: 'Ola Ordfører', email: 'ordforer@nordkyn.kommune.no' },
  prosjektleder: { name: 'Ingrid Intern', email: 'ingrid@nordkyn.kommune.no', external: false },
};

export const START_EVENT = { type: 'forstudie.start' };

/** The measured event: always accepted, in initiering and forstudie alike. */
export const COST_EVENT = {
  type: 'cost.record',
  category: 'andreKostnader',
  amountNok: 1250,
  date: '2026-03-02',
  description: 'Reise til styremøte',
};
export const COST_BODY = JSON.stringify(COST_EVENT);
