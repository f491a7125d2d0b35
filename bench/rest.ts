import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { config } from './config';
import { Instances, rawPostgresService, timed } from './engine';
import { openDb } from './raw';
import {
  ADMIN_TOKEN,
  COST_BODY,
  programmeBody,
  ROLES_EVENT,
  serviceEnv,
  START_EVENT,
} from './service';
import {
  distDir,
  instancesFor,
  ROOT,
  STORE_LABEL,
  log,
  loggedErrors,
  median,
  scratchStore,
  sleep,
  startChild,
  tempDir,
  type Child,
  type ChildOptions,
  type Store,
  type StoreKind,
} from './support';

export type Mode = 'bare' | 'per-connection' | 'one-instance';

export interface LoadRun {
  rps: number;
  ok: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
  /** CPU time the server process used per acknowledged request, in microseconds. */
  cpuUs: number;
}

export interface RestRow {
  id: string;
  label: string;
  kind: StoreKind | 'bare';
  mode: Mode;
  runs: LoadRun[];
  /** Per round: this target's throughput / the bare endpoint's in the same round. */
  ratios: number[];
  rps: number;
  p50: number;
  p99: number;
  ratio: number;
  cpuUs: number;
  /** The bare endpoint's server CPU per request ÷ this one's (median of rounds). */
  cpuRatio: number;
}

export interface RestResults {
  phase: string;
  phaseNote: string | null;
  connections: number;
  rows: RestRow[];
  /** Events acknowledged with 2xx vs history rows of cost.record found in each store afterwards. */
  persisted: { label: string; acknowledged: number; stored: number }[];
  /** RSS of each process after the warm-up and after each round. */
  rss: { label: string; afterWarmup: number; rounds: number[]; minutes: number }[];
  serverErrors: { label: string; count: number; first: string | null }[];
  /** Some connection ran out of fresh instances and reused one (its snapshot kept growing). */
  wrapped: boolean;
  /**
   * The baseline of the PostgreSQL target: the service's SQL for such an event by the raw pg driver,
   * run in each round right after the PostgreSQL per-connection run (events/s, and REST ÷ it).
   */
  pgServiceSql: { eps: number[]; ratios: number[]; ratio: number } | null;
}

// ---- HTTP helpers ------------------------------------------------------------------------------

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export async function api(
  base: string,
  method: string,
  path: string,
  token: string,
  body?: unknown,
  timeoutMs = 60_000,
): Promise<Answer> {
  const response = await fetch(base + path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed };
}

export function expectOk(answer: Answer, what: string): Record<string, unknown> {
  if (answer.status < 200 || answer.status >= 300) {
    throw new Error(`${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 400)}`);
  }
  return answer.body;
}

/** Creates programmes over the API and brings each to the benchmark's phase; returns their ids. */
export async function createProgrammes(
  base: string,
  count: number,
  phase: 'forstudie' | 'initiering',
  concurrency = 4,
): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const created = expectOk(
        await api(base, 'POST', '/api/programmes', ADMIN_TOKEN, programmeBody()),
        'create programme',
      );
      const id = String(created.id);
      const events = `/api/programmes/${id}/workflow/events`;
      expectOk(await api(base, 'POST', events, ADMIN_TOKEN, ROLES_EVENT), 'roles.assign');
      if (phase === 'forstudie') {
        expectOk(await api(base, 'POST', events, ADMIN_TOKEN, START_EVENT), 'forstudie.start');
      }
      ids.push(id);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ids;
}

export async function leaderToken(base: string): Promise<string> {
  const created = expectOk(
    await api(base, 'POST', '/api/tokens', ADMIN_TOKEN, {
      role: 'projectLeader',
      label: 'benchmark',
    }),
    'create token',
  );
  return String(created.token);
}

// ---- the bare app ------------------------------------------------------------------------------

/** Compiles bench/bare-app.ts with tsc's decorator metadata to dist/bench/bare-app.js. */
export function buildBareApp(): string {
  return buildBenchScript('bare-app');
}

/** Compiles bench/<name>.ts (one self-contained file) to dist/bench/<name>.js for plain node. */
export function buildBenchScript(name: string): string {
  const source = ts.sys.readFile(join(ROOT, 'bench', `${name}.ts`));
  if (source === undefined) throw new Error(`bench/${name}.ts is missing`);
  const output = ts.transpileModule(source, {
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      esModuleInterop: true,
    },
    fileName: `${name}.ts`,
  });
  const dir = join(distDir(), 'bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.js`);
  writeFileSync(file, output.outputText);
  return file;
}

// ---- autocannon --------------------------------------------------------------------------------

/** Hands out fresh instances; wraps around (and says so) when the estimate was too low. */
export class Pool {
  private cursor = 0;
  wrapped = false;
  constructor(private readonly ids: string[]) {}
  next(): string {
    if (this.cursor >= this.ids.length) this.wrapped = true;
    const id = this.ids[this.cursor % this.ids.length]!;
    this.cursor += 1;
    return id;
  }
}

export interface Context {
  programme?: string;
}

export async function cannon(
  base: string,
  token: string,
  seconds: number,
  route: (context: Context) => string,
): Promise<LoadRun> {
  // One request entry per event an instance takes: autocannon gives each connection a fresh
  // context when it wraps around the list, which is when a connection moves to a fresh instance.
  const requests = Array.from({ length: config.eventsPerInstance }, () => ({
    setupRequest: (request: autocannon.Request, context: object): autocannon.Request => ({
      ...request,
      path: route(context),
      headers: { ...request.headers, 'idempotency-key': randomUUID() },
    }),
  }));
  const result = await autocannon({
    url: base,
    method: 'POST',
    connections: config.connections,
    pipelining: 1,
    duration: seconds,
    timeout: 30,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: COST_BODY,
    requests,
  });
  return {
    rps: result['2xx'] / result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuUs: 0,
  };
}

/**
 * The compiled service on `store` with the settings of a timed run. No mail delivery: the set-up's
 * notices would be sent during the timed runs.
 */
export function startService(
  name: string,
  store: Store,
  cwd: string,
  options: ChildOptions = {},
): Promise<Child> {
  return startChild(
    name,
    join(distDir(), 'src', 'main.js'),
    serviceEnv(store, { LOG_LEVEL: config.logLevel, MAIL_POLL_SECONDS: '0' }),
    cwd,
    options,
  );
}

/**
 * Fresh programmes for a run of `seconds` at about `lastRps`, and where each request goes: per
 * connection, to its own programme (a fresh one for each of autocannon's request cycles); for one
 * instance, every connection to the same one, the next after `eventsPerInstance` events.
 */
export async function routeFor(
  url: string,
  mode: 'per-connection' | 'one-instance',
  lastRps: number,
  seconds: number,
  phase: 'forstudie' | 'initiering',
): Promise<{ route: (context: Context) => string; pool: Pool }> {
  const expected = Math.max(lastRps, 50) * seconds * 2.5;
  const count = instancesFor(expected, mode === 'per-connection' ? config.connections : 1);
  const pool = new Pool(await createProgrammes(url, count, phase));
  const events = (id: string) => `/api/programmes/${id}/workflow/events`;
  if (mode === 'per-connection') {
    return { pool, route: (context) => events((context.programme ??= pool.next())) };
  }
  let sent = 0;
  let current = '';
  const route = () => {
    if (sent % config.eventsPerInstance === 0) current = pool.next();
    sent += 1;
    return events(current);
  };
  return { pool, route };
}

// ---- the PostgreSQL target's baseline ----------------------------------------------------------

interface ServiceSqlBaseline {
  /** Events per second of the raw driver running the service's SQL, `connections` at a time. */
  run(seconds: number, expectedEps: number): Promise<number>;
  /** Events it wrote (history entries of cost.record, like the service's). */
  written(): number;
  close(): Promise<void>;
}

/**
 * The statements the service runs for one REST event (bench/engine.ts, `rawPostgresService`), sent
 * by the raw pg driver to the same database as the service, on programmes made through its API: run
 * in the same round as the service, so the ratio does not depend on how fast the machine was
 * minutes apart.
 */
async function serviceSqlBaseline(
  child: Child,
  store: Store,
  token: string,
  phase: 'forstudie' | 'initiering',
): Promise<ServiceSqlBaseline> {
  const [probe] = await createProgrammes(child.url, 1, phase, 1);
  const view = expectOk(
    await api(child.url, 'GET', `/api/programmes/${probe}/workflow`, token),
    'workflow view',
  );
  const sender = rawPostgresService(store, phase, view, token);
  const db = openDb(store);
  const C = config.connections;
  let written = 0;
  return {
    written: () => written,
    run: async (seconds, expectedEps) => {
      const count = instancesFor(Math.max(expectedEps, 50) * seconds * 2.5, C);
      const made = await createProgrammes(child.url, count, phase);
      const rows = await db.query<{ instance_id: string }>(
        'select instance_id from programme where id = any(?)',
        [made],
      );
      const ids = rows.map((row) => row.instance_id);
      const result = await timed(seconds, C, new Instances(ids), (id) => sender.send(id));
      written += result.latencies.length;
      return result.eps;
    },
    close: async () => {
      await sender.close();
      await db.close();
    },
  };
}

// ---- the run -----------------------------------------------------------------------------------

interface Target {
  id: string;
  label: string;
  kind: StoreKind | 'bare';
  mode: Mode;
  child: Child;
  store?: Store;
  token: string;
  /** Acknowledged events, warm-up included. */
  acknowledged: number;
  lastRps: number;
}

/**
 * Does forstudie.start work? (It needs the notice e-mail queued in its transaction.) If it does not
 * answer within a few seconds, the benchmark records cost.record in initiering instead, and says so.
 */
async function probePhase(
  cwd: string,
): Promise<{ phase: 'forstudie' | 'initiering'; note: string | null }> {
  if (config.phase === 'initiering') return { phase: 'initiering', note: null };
  const store = scratchStore('sqlite-normal');
  const child = await startChild(
    'probe',
    join(distDir(), 'src', 'main.js'),
    serviceEnv(store),
    cwd,
  );
  try {
    const created = expectOk(
      await api(child.url, 'POST', '/api/programmes', ADMIN_TOKEN, programmeBody()),
      'create programme',
    );
    const events = `/api/programmes/${String(created.id)}/workflow/events`;
    expectOk(await api(child.url, 'POST', events, ADMIN_TOKEN, ROLES_EVENT), 'roles.assign');
    try {
      expectOk(
        await api(child.url, 'POST', events, ADMIN_TOKEN, START_EVENT, 8_000),
        'forstudie.start',
      );
      return { phase: 'forstudie', note: null };
    } catch (error) {
      const reason = (error as Error).message.slice(0, 300);
      const logged = loggedErrors(child.logFile)[0]?.slice(0, 300);
      return {
        phase: 'initiering',
        note:
          `forstudie.start failed on SQLite (${reason})` +
          (logged ? `; the service logged: ${logged}` : '') +
          ' — cost.record was measured in initiering instead (BENCH_PHASE=forstudie to insist).',
      };
    }
  } finally {
    await child.stop();
    store.drop();
  }
}

export async function restBenchmark(kinds: StoreKind[]): Promise<RestResults> {
  const cwd = tempDir();
  const probe = await probePhase(cwd);
  if (probe.note) log(`WARNING: ${probe.note}`);
  const phase = probe.phase;
  const C = config.connections;

  const bareScript = buildBareApp();
  const bare = await startChild('bare', bareScript, {}, cwd);
  const targets: Target[] = [
    {
      id: 'bare',
      label: 'bare NestJS JSON POST',
      kind: 'bare',
      mode: 'bare',
      child: bare,
      token: 'none',
      acknowledged: 0,
      lastRps: 0,
    },
  ];
  const stores: Store[] = [];
  const services: Child[] = [bare];
  let pgBaseline: ServiceSqlBaseline | undefined;
  const pgPairs: { eps: number; ratio: number }[] = [];
  try {
    for (const kind of kinds) {
      const store = scratchStore(kind);
      stores.push(store);
      const child = await startService(`service-${kind}`, store, cwd);
      services.push(child);
      const token = await leaderToken(child.url);
      if (kind === 'postgresql') pgBaseline = await serviceSqlBaseline(child, store, token, phase);
      for (const mode of ['per-connection', 'one-instance'] as const) {
        targets.push({
          id: `${kind}:${mode}`,
          label: STORE_LABEL[kind],
          kind,
          mode,
          child,
          store,
          token,
          acknowledged: 0,
          lastRps: 0,
        });
      }
    }

    let wrapped = false;
    const runTarget = async (target: Target, seconds: number): Promise<LoadRun> => {
      let route: (context: Context) => string;
      let pool: Pool | undefined;
      if (target.mode === 'bare') {
        route = () => '/bench/echo';
      } else {
        ({ route, pool } = await routeFor(
          target.child.url,
          target.mode,
          target.lastRps,
          seconds,
          phase,
        ));
      }
      const cpu = target.child.cpuMs();
      const run = await cannon(target.child.url, target.token, seconds, route);
      run.cpuUs = ((target.child.cpuMs() - cpu) * 1000) / Math.max(run.ok, 1);
      if (pool?.wrapped) wrapped = true;
      target.acknowledged += run.ok;
      target.lastRps = run.rps;
      if (run.non2xx > 0 || run.errors > 0) {
        log(`  ${target.id}: ${run.non2xx} non-2xx responses, ${run.errors} errors`);
      }
      return run;
    };

    log(`REST: warm-up ${config.warmup} s per target (${C} connections, phase ${phase})`);
    for (const target of targets) {
      if (target.mode === 'one-instance') continue;
      await runTarget(target, config.warmup);
    }
    await pgBaseline?.run(config.warmup, 500);
    // The one-instance targets start from the per-connection estimate.
    for (const target of targets) {
      if (target.mode === 'one-instance') {
        target.lastRps = targets.find((t) => t.id === `${target.kind}:per-connection`)!.lastRps;
      }
    }
    const rssStart = new Map(services.map((s) => [s.name, s.rssBytes()]));
    const rssRounds = new Map<string, number[]>(services.map((s) => [s.name, []]));
    const loadStarted = performance.now();

    const runs = new Map<string, LoadRun[]>(targets.map((t) => [t.id, []]));
    const ratios = new Map<string, number[]>(targets.map((t) => [t.id, []]));
    const cpuRatios = new Map<string, number[]>(targets.map((t) => [t.id, []]));
    for (let round = 1; round <= config.rounds; round += 1) {
      const inRound = new Map<string, LoadRun>();
      for (const target of targets) {
        const run = await runTarget(target, config.duration);
        inRound.set(target.id, run);
        runs.get(target.id)!.push(run);
        log(
          `  round ${round} ${target.id.padEnd(28)} ${run.rps.toFixed(0).padStart(6)} req/s ` +
            `p50 ${run.p50} ms p99 ${run.p99} ms, server CPU ${run.cpuUs.toFixed(0)} µs/request`,
        );
        await sleep(200);
        if (target.id === 'postgresql:per-connection' && pgBaseline) {
          const eps = await pgBaseline.run(config.duration, run.rps * 2);
          pgPairs.push({ eps, ratio: run.rps / eps });
          log(
            `  round ${round} ${'postgresql: service SQL, raw pg'.padEnd(28)} ${eps.toFixed(0).padStart(6)} events/s ` +
              `(REST ÷ this ${(run.rps / eps).toFixed(2)})`,
          );
          await sleep(200);
        }
      }
      const bareRun = inRound.get('bare')!;
      for (const target of targets) {
        const run = inRound.get(target.id)!;
        ratios.get(target.id)!.push(run.rps / bareRun.rps);
        cpuRatios.get(target.id)!.push(bareRun.cpuUs / run.cpuUs);
      }
      for (const s of services) rssRounds.get(s.name)!.push(s.rssBytes());
    }
    const minutes = (performance.now() - loadStarted) / 60_000;

    const rows: RestRow[] = targets.map((t) => {
      const list = runs.get(t.id)!;
      return {
        id: t.id,
        label: t.label,
        kind: t.kind,
        mode: t.mode,
        runs: list,
        ratios: ratios.get(t.id)!,
        rps: median(list.map((r) => r.rps)),
        p50: median(list.map((r) => r.p50)),
        p99: median(list.map((r) => r.p99)),
        ratio: median(ratios.get(t.id)!),
        cpuUs: median(list.map((r) => r.cpuUs)),
        cpuRatio: median(cpuRatios.get(t.id)!),
      };
    });

    const rss = services.map((s) => ({
      label: s.name,
      afterWarmup: rssStart.get(s.name)!,
      rounds: rssRounds.get(s.name)!,
      minutes,
    }));

    // Every acknowledged event must be in the history.
    const persisted: RestResults['persisted'] = [];
    for (const store of stores) {
      const acknowledged = targets
        .filter((t) => t.store === store)
        .reduce((sum, t) => sum + t.acknowledged, 0);
      const db = openDb(store);
      const [row] = await db.query<{ n: number | string }>(
        "select count(*) as n from history_entry where event_type = 'cost.record'",
      );
      await db.close();
      // Less the entries the raw driver wrote for the PostgreSQL baseline (each one counted).
      const raw = store.kind === 'postgresql' ? (pgBaseline?.written() ?? 0) : 0;
      persisted.push({ label: store.label, acknowledged, stored: Number(row?.n ?? 0) - raw });
    }
    const serverErrors = services.map((s) => {
      const errors = loggedErrors(s.logFile);
      return { label: s.name, count: errors.length, first: errors[0] ?? null };
    });
    return {
      phase,
      phaseNote: probe.note,
      connections: C,
      rows,
      persisted,
      rss,
      serverErrors,
      wrapped,
      pgServiceSql:
        pgPairs.length > 0
          ? {
              eps: pgPairs.map((p) => p.eps),
              ratios: pgPairs.map((p) => p.ratio),
              ratio: median(pgPairs.map((p) => p.ratio)),
            }
          : null,
    };
  } finally {
    await pgBaseline?.close();
    for (const child of services) await child.stop();
    for (const store of stores) store.drop();
  }
}
