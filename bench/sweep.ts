import type { SqlEntityManager } from '@mikro-orm/knex';
import { join } from 'node:path';
import { config } from './config';
import { openDb, type Db } from './raw';
import { ADMIN, ADMIN_TOKEN, inProcess, modules, programmeBody, serviceEnv } from './service';
import {
  distDir,
  log,
  median,
  scratchStore,
  sleep,
  startChild,
  tempDir,
  type Child,
  type Store,
  type StoreKind,
} from './support';

export interface SweepPhase {
  name: string;
  instances: number;
  due: number;
  /** Median milliseconds of a sweep that queues every due reminder (outbox emptied before each). */
  ms: number;
  runs: number[];
  /** Median milliseconds of a sweep right after, when everything due is already queued. */
  repeatMs: number;
  plan: string[];
  usesIndex: boolean;
}

export interface SweepStoreResult {
  kind: StoreKind;
  label: string;
  phases: SweepPhase[];
  /** 100k (1 % due) ÷ 10k (1 % due): grows with the due count, which grows 10×. */
  ratioLiteral: number;
  /** The same, per due deadline: time per due item at 100k ÷ at 10k. */
  ratioPerDue: number;
  /** 100k with the 10k run's due count ÷ 10k: the total alone. */
  ratioSameDue: number;
  seedSeconds: number;
}

export interface MemoryResult {
  instances: number;
  emptyIdle: number;
  loadedIdle: number;
  afterSweep: number;
  bareIdle: number;
  ratio: number;
  sweepQueued: number;
}

export interface StartupResult {
  cold: number[];
  warm: number[];
  bare: number[];
  coldMs: number;
  warmMs: number;
  bareMs: number;
}

export interface SweepResults {
  small: number;
  large: number;
  stores: SweepStoreResult[];
  memory: MemoryResult | null;
}

const CLOCK = '2026-03-02T08:00:00.000Z';

/** A programme whose latest-start deadline is 7 days after CLOCK: its reminder is due. */
const DUE_PROGRAMME = programmeBody({ programmeStart: '2024-01-01', programmeEnd: '2028-03-09' });

// ---- seeding by SQL ----------------------------------------------------------------------------

class Seeder {
  constructor(
    private readonly db: Db,
    private readonly template: { instance: string; programme: string },
  ) {}

  private id(prefix: string): string {
    return this.db.kind === 'sqlite'
      ? `printf('${prefix}0000000-0000-4000-8000-%012x', n)`
      : `('${prefix}0000000-0000-4000-8000-' || lpad(to_hex(n), 12, '0'))::uuid`;
  }

  private bool(value: boolean): string {
    return this.db.kind === 'sqlite' ? (value ? '1' : '0') : String(value);
  }

  /** `insert … select <columns> from <n from..to>, <from>` in either dialect. */
  private async insert(
    table: string,
    columns: string,
    select: string,
    fromTo: [number, number],
    from: string,
  ): Promise<void> {
    const [a, b] = fromTo;
    if (b < a) return;
    const sql =
      this.db.kind === 'sqlite'
        ? `with recursive s(n) as (select ${a} union all select n + 1 from s where n < ${b}) ` +
          `insert into ${table} (${columns}) select ${select} from s, ${from}`
        : `insert into ${table} (${columns}) select ${select} from generate_series(${a}, ${b}) as s(n), ${from}`;
    await this.db.exec(sql);
  }

  async instances(range: [number, number]): Promise<void> {
    const columns =
      'definition_id, definition_version, snapshot, state, status, version, last_seq, head_hash, created_at, updated_at';
    await this.insert(
      'workflow_instance',
      `id, ${columns}`,
      `${this.id('a')}, ${columns.replace(/(\w+)/g, 't.$1')}`,
      range,
      `workflow_instance t where t.id = '${this.template.instance}'`,
    );
    const programme =
      'municipality, municipality_number, programme_start, programme_end, board, administrators, mayor, created_at, updated_at';
    await this.insert(
      'programme',
      `id, instance_id, ${programme}`,
      `${this.id('b')}, ${this.id('a')}, ${programme.replace(/(\w+)/g, 't.$1')}`,
      range,
      `programme t where t.id = '${this.template.programme}'`,
    );
  }

  /** The template's own (due) deadline on each instance of the range; met ones are dormant. */
  async dueDeadlines(range: [number, number], met: boolean): Promise<void> {
    await this.insert(
      'deadline',
      'id, instance_id, key, kind, due, met, recipients, label, source',
      `${this.id('c')}, ${this.id('a')}, t.key, t.kind, t.due, ${this.bool(met)}, t.recipients, t.label, t.source`,
      range,
      `deadline t where t.instance_id = '${this.template.instance}'`,
    );
  }

  /** Instances with nothing due: one deadline years ahead, one met long ago. */
  async fillerDeadlines(range: [number, number]): Promise<void> {
    const rows: [string, string, string, boolean][] = [
      ['d', 'latestStart', '2029-12-31', false],
      ['e', 'tenderAnswer', '2025-06-30', true],
    ];
    for (const [prefix, kind, due, met] of rows) {
      await this.insert(
        'deadline',
        'id, instance_id, key, kind, due, met, recipients, label, source',
        `${this.id(prefix)}, ${this.id('a')}, '${kind}', '${kind}', '${due}', ${this.bool(met)}, t.recipients, t.label, t.source`,
        range,
        `deadline t where t.instance_id = '${this.template.instance}'`,
      );
    }
  }

  async wake(range: [number, number]): Promise<void> {
    const [a, b] = range;
    const ids =
      this.db.kind === 'sqlite'
        ? `with recursive s(n) as (select ${a} union all select n + 1 from s where n < ${b}) select ${this.id('c')} from s`
        : `select ${this.id('c')} from generate_series(${a}, ${b}) as s(n)`;
    await this.db.exec(`update deadline set met = ${this.bool(false)} where id in (${ids})`);
  }
}

// ---- the sweep ---------------------------------------------------------------------------------

async function plan(db: Db, sql: string): Promise<string[]> {
  if (db.kind === 'sqlite') {
    const rows = await db.query<{ detail: string }>(`explain query plan ${sql}`);
    return rows.map((r) => r.detail);
  }
  const rows = await db.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${sql}`);
  return rows.map((r) => r['QUERY PLAN']);
}

export async function sweepBenchmark(
  kinds: StoreKind[],
  withMemory: boolean,
): Promise<SweepResults> {
  const small = config.sweepSmall;
  const large = config.sweepLarge;
  const smallDue = Math.max(1, Math.round(small / 100));
  const largeDue = Math.max(1, Math.round(large / 100));
  if (largeDue > small) throw new Error('BENCH_SWEEP_LARGE/100 must not exceed BENCH_SWEEP_SMALL');
  const results: SweepResults = { small, large, stores: [], memory: null };

  for (const kind of kinds) {
    const store = scratchStore(kind);
    const clock = new (modules.clock().ManualClock)(CLOCK);
    const app = await inProcess(store, { clock });
    const db = openDb(store);
    let open = true;
    try {
      log(`Reminder sweep: ${store.label}, ${small} and ${large} instances`);
      const seedStart = performance.now();
      const template = await app.programmes.create(DUE_PROGRAMME, ADMIN);
      const first = await app.reminders.sweep();
      if (first.queued !== 1)
        throw new Error(`the template should have 1 reminder due, not ${first.queued}`);
      const seeder = new Seeder(db, { instance: template.instanceId, programme: template.id });
      await seeder.instances([1, small]);
      await seeder.dueDeadlines([1, smallDue], false);
      await seeder.dueDeadlines([smallDue + 1, largeDue], true);
      await seeder.fillerDeadlines([largeDue + 1, small]);
      // The template itself is not counted.
      for (const table of [
        'mail_outbox',
        'deadline',
        'history_entry',
        'programme',
        'workflow_instance',
      ]) {
        const column = table === 'workflow_instance' ? 'id' : 'instance_id';
        await db.exec(`delete from ${table} where ${column} = '${template.instanceId}'`);
      }
      if (db.kind === 'postgresql') await db.exec('analyze');
      let seedSeconds = (performance.now() - seedStart) / 1000;

      const { DeadlineRow } = modules.deadline();
      const { addDays, osloDay } = modules.kit();
      const horizon = addDays(osloDay(clock.now()), Math.max(...app.settings.reminderOffsetsDays));
      const candidatesSql = () =>
        (app.orm.em.fork() as SqlEntityManager)
          .createQueryBuilder(DeadlineRow)
          .select('*')
          .where({ met: false, due: { $lte: horizon } })
          .orderBy({ due: 'asc' })
          .getFormattedQuery();

      const measure = async (name: string, instances: number, due: number): Promise<SweepPhase> => {
        const runs: number[] = [];
        const repeats: number[] = [];
        for (let run = 0; run < config.sweepRuns; run += 1) {
          await db.exec('delete from mail_outbox');
          const t0 = performance.now();
          const result = await app.reminders.sweep();
          runs.push(performance.now() - t0);
          if (result.queued !== due)
            throw new Error(`${name}: queued ${result.queued}, expected ${due}`);
          const t1 = performance.now();
          const again = await app.reminders.sweep();
          repeats.push(performance.now() - t1);
          if (again.queued !== 0)
            throw new Error(`${name}: a repeated sweep queued ${again.queued}`);
        }
        const lines = await plan(db, candidatesSql());
        const phase: SweepPhase = {
          name,
          instances,
          due,
          ms: median(runs),
          runs,
          repeatMs: median(repeats),
          plan: lines,
          usesIndex: lines.some((l) => l.includes('deadline_met_due_index')),
        };
        log(
          `  ${name}: ${phase.ms.toFixed(1)} ms (repeat ${phase.repeatMs.toFixed(1)} ms), index: ${phase.usesIndex}`,
        );
        return phase;
      };

      const phases: SweepPhase[] = [];
      phases.push(await measure(`${small} instances, 1 % due`, small, smallDue));
      const t0 = performance.now();
      await seeder.instances([small + 1, large]);
      await seeder.fillerDeadlines([small + 1, large]);
      if (db.kind === 'postgresql') await db.exec('analyze');
      seedSeconds += (performance.now() - t0) / 1000;
      phases.push(await measure(`${large} instances, ${smallDue} due`, large, smallDue));
      await seeder.wake([smallDue + 1, largeDue]);
      if (db.kind === 'postgresql') await db.exec('analyze');
      phases.push(await measure(`${large} instances, 1 % due`, large, largeDue));
      const [a, c, b] = phases as [SweepPhase, SweepPhase, SweepPhase];
      results.stores.push({
        kind,
        label: store.label,
        phases,
        ratioLiteral: b.ms / a.ms,
        ratioPerDue: b.ms / b.due / (a.ms / a.due),
        ratioSameDue: c.ms / a.ms,
        seedSeconds,
      });
      await db.exec('delete from mail_outbox');
      await db.close();
      await app.close();
      open = false;
      if (withMemory && kind !== 'postgresql' && results.memory === null) {
        results.memory = await memory(store, large);
      }
    } finally {
      if (open) {
        await db.close();
        await app.close();
      }
      store.drop();
    }
  }
  return results;
}

// ---- memory and start-up -----------------------------------------------------------------------

async function idleRss(child: Child): Promise<number> {
  await sleep(config.quick ? 1000 : 3000);
  const samples: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    samples.push(child.rssBytes());
    await sleep(300);
  }
  return median(samples);
}

async function memory(loaded: Store, instances: number): Promise<MemoryResult> {
  log(`Memory: the service idle with ${instances} instances stored, and with none`);
  const cwd = tempDir();
  const env = (store: Store) => serviceEnv(store, { MAIL_POLL_SECONDS: '0' });
  const empty = scratchStore(loaded.kind);
  const script = join(distDir(), 'src', 'main.js');
  const children: Child[] = [];
  try {
    const bare = await startChild('bare-idle', join(distDir(), 'bench', 'bare-app.js'), {}, cwd);
    children.push(bare);
    const bareIdle = await idleRss(bare);
    await bare.stop();
    const emptyService = await startChild('service-empty', script, env(empty), cwd);
    children.push(emptyService);
    const emptyIdle = await idleRss(emptyService);
    await emptyService.stop();
    const service = await startChild('service-loaded', script, env(loaded), cwd);
    children.push(service);
    const loadedIdle = await idleRss(service);
    const response = await fetch(`${service.url}/api/reminders/run`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      signal: AbortSignal.timeout(300_000),
    });
    const body = (await response.json()) as { queued?: number };
    const afterSweep = await idleRss(service);
    return {
      instances,
      emptyIdle,
      loadedIdle,
      afterSweep,
      bareIdle,
      ratio: loadedIdle / emptyIdle,
      sweepQueued: body.queued ?? -1,
    };
  } finally {
    for (const child of children) await child.stop();
    empty.drop();
  }
}

/** Spawn to the first 200 from /health, on the embedded default (a new SQLite file, then again). */
export async function startupBenchmark(): Promise<StartupResult> {
  log('Start-up time to /health');
  const cwd = tempDir();
  const cold: number[] = [];
  const warm: number[] = [];
  const bare: number[] = [];
  const script = join(distDir(), 'src', 'main.js');
  for (let run = 0; run < config.startupRuns; run += 1) {
    const dir = tempDir();
    // Only where the data lives is set: everything else is the service's default.
    const env = { DATABASE_URL: `sqlite:${join(dir, 'videreforing.sqlite')}`, DATA_DIR: dir };
    for (const [list, name, file, childEnv] of [
      [bare, 'bare-start', join(distDir(), 'bench', 'bare-app.js'), {}],
      [cold, 'service-cold', script, env],
      [warm, 'service-warm', script, env],
    ] as const) {
      const child = await startChild(name, file, childEnv, cwd);
      list.push(child.startMs);
      await child.stop();
    }
  }
  return {
    cold,
    warm,
    bare,
    coldMs: median(cold),
    warmMs: median(warm),
    bareMs: median(bare),
  };
}
