import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { config } from './config';
import type { MemorySample } from './memory-probe';
import { buildBenchScript, leaderToken } from './rest';
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
  log,
  loggedErrors,
  mb,
  scratchStore,
  sleep,
  startChild,
  tempDir,
  type Child,
  type StoreKind,
} from './support';

/** One sample of the service under load; counts are of the interval since the previous one. */
export interface LoadSample {
  /** Minutes of load when taken. */
  minute: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  mallocedMemory: number;
  resources: number;
  ok: number;
  non2xx: number;
  errors: number;
  /** Server CPU per acknowledged request in the interval, in microseconds. */
  cpuUs: number;
}

export interface MemoryLoadRun {
  kind: StoreKind;
  label: string;
  /** The service started and idle, before any load. */
  idle: MemorySample;
  samples: LoadSample[];
  /** The sample the growth is judged from (the first at or after the warm-up). */
  baseline: LoadSample;
  end: LoadSample;
  /** Live heap right after the baseline sample (a full collection forced then). */
  baselineGc: MemorySample;
  /** The load stopped and the service idle for a few seconds. */
  afterLoad: MemorySample;
  /** Then a full collection forced. */
  afterGc: MemorySample;
  /** RSS at the end ÷ at the baseline (both under load). */
  growth: number;
  /** Live heap after a forced collection: at the end ÷ at the baseline. */
  liveHeapGrowth: number;
  requests: number;
  non2xx: number;
  errors: number;
  programmes: number;
  minutes: number;
  serverErrors: { count: number; first: string | null };
  snapshots: string[];
}

export interface MemoryLoadResults {
  minutes: number;
  sampleSeconds: number;
  warmupMinutes: number;
  connections: number;
  eventsPerInstance: number;
  phase: 'forstudie' | 'initiering';
  runs: MemoryLoadRun[];
}

/** GETs per instance after its events: what a client reads back. */
const READS = ['', '/workflow', '/workflow/history?limit=50'] as const;

interface Context {
  programme?: string;
}

/**
 * The request cycle of one connection: create a programme (admin), assign the roles and start the
 * pre-study if the phase asks for it, record `eventsPerInstance` costs (projectLeader), read the
 * programme, its workflow view and its history; then again with a fresh programme. If the creation
 * failed, the cycle restarts (autocannon does so when setupRequest returns nothing).
 */
function cycle(
  leader: string,
  phase: 'forstudie' | 'initiering',
  created: () => void,
): autocannon.Request[] {
  const admin = `Bearer ${ADMIN_TOKEN}`;
  const key = () => randomUUID();
  const events = (context: Context) => `/api/programmes/${context.programme}/workflow/events`;
  const setup = [
    {
      setupRequest: (request: autocannon.Request) => ({
        ...request,
        method: 'POST',
        path: '/api/programmes',
        headers: { ...request.headers, authorization: admin, 'idempotency-key': key() },
        body: JSON.stringify(programmeBody()),
      }),
      onResponse: (status: number, body: string, context: Context) => {
        if (status !== 201) return;
        context.programme = (JSON.parse(body) as { id: string }).id;
        created();
      },
    },
    ...[ROLES_EVENT, ...(phase === 'forstudie' ? [START_EVENT] : [])].map((event) => ({
      setupRequest: (request: autocannon.Request, context: Context) =>
        context.programme
          ? {
              ...request,
              method: 'POST',
              path: events(context),
              headers: { ...request.headers, authorization: admin, 'idempotency-key': key() },
              body: JSON.stringify(event),
            }
          : undefined,
    })),
  ];
  const costs = Array.from({ length: config.eventsPerInstance }, () => ({
    setupRequest: (request: autocannon.Request, context: Context) =>
      context.programme
        ? {
            ...request,
            method: 'POST',
            path: events(context),
            headers: { ...request.headers, authorization: leader, 'idempotency-key': key() },
            body: COST_BODY,
          }
        : undefined,
  }));
  const reads = READS.map((suffix) => ({
    setupRequest: (request: autocannon.Request, context: Context) =>
      context.programme
        ? {
            ...request,
            method: 'GET',
            path: `/api/programmes/${context.programme}${suffix}`,
            headers: { authorization: leader },
            body: undefined,
          }
        : undefined,
  }));
  return [...setup, ...costs, ...reads] as autocannon.Request[];
}

async function untilMs(time: number): Promise<void> {
  const wait = time - performance.now();
  if (wait > 0) await sleep(wait);
}

async function loadRun(
  kind: StoreKind,
  phase: 'forstudie' | 'initiering',
  cwd: string,
): Promise<MemoryLoadRun> {
  const store = scratchStore(kind);
  const probe = join(distDir(), 'bench', 'memory-probe.js');
  let child: Child | undefined;
  try {
    child = await startChild(
      `memory-${kind}`,
      join(distDir(), 'src', 'main.js'),
      serviceEnv(store, { LOG_LEVEL: config.logLevel }),
      cwd,
      { nodeArgs: ['--expose-gc', '-r', probe], ipc: true },
    );
    const service = child;
    const ask = (op: 'sample' | 'gc' | 'snapshot', file?: string) =>
      service.ask<MemorySample>({ op, ...(file ? { file } : {}) });
    const leader = `Bearer ${await leaderToken(service.url)}`;
    await sleep(config.quick ? 1000 : 3000);
    const idle = await ask('sample');
    log(`Memory under load: ${store.label}, idle ${mb(idle.rss)}, ${config.memoryMinutes} min`);

    const snapshotDir = config.memorySnapshots ? resolve(config.memorySnapshots) : undefined;
    if (snapshotDir) mkdirSync(snapshotDir, { recursive: true });
    const snapshots: string[] = [];
    const snapshot = async (name: string) => {
      if (!snapshotDir) return;
      const answer = await ask('snapshot', join(snapshotDir, `${kind}-${name}.heapsnapshot`));
      if (answer.file) snapshots.push(answer.file);
      log(`  heap snapshot ${answer.file ?? '?'}`);
    };

    let ok = 0;
    let non2xx = 0;
    let errors = 0;
    let programmes = 0;
    const requests = cycle(leader, phase, () => {
      programmes += 1;
    });
    const totalMs = config.memoryMinutes * 60_000;
    let instance!: autocannon.Instance;
    const finished = new Promise<autocannon.Result>((done, fail) => {
      instance = autocannon(
        {
          url: service.url,
          connections: config.connections,
          pipelining: 1,
          // Stopped by hand after the last sample; this is only a backstop.
          duration: Math.ceil(totalMs / 1000) + 120,
          timeout: 30,
          headers: { 'content-type': 'application/json' },
          requests,
        },
        (error, result) => (error ? fail(error as Error) : done(result)),
      );
    });
    instance.on('response', (_client: unknown, status: number) => {
      if (status >= 200 && status < 300) ok += 1;
      else non2xx += 1;
    });
    instance.on('reqError', () => {
      errors += 1;
    });

    const started = performance.now();
    const samples: LoadSample[] = [];
    let baseline: LoadSample | undefined;
    let baselineGc: MemorySample | undefined;
    try {
      let last = { ok: 0, non2xx: 0, errors: 0, cpu: service.cpuMs() };
      const steps = Math.max(1, Math.round(totalMs / (config.memorySampleSeconds * 1000)));
      for (let step = 1; step <= steps; step += 1) {
        await untilMs(started + (totalMs * step) / steps);
        const rss = service.rssBytes();
        const cpu = service.cpuMs();
        const heap = await ask('sample');
        const interval = ok - last.ok;
        const sample: LoadSample = {
          minute: (performance.now() - started) / 60_000,
          rss,
          heapUsed: heap.heapUsed,
          heapTotal: heap.heapTotal,
          external: heap.external,
          arrayBuffers: heap.arrayBuffers,
          mallocedMemory: heap.mallocedMemory,
          resources: heap.resources,
          ok: interval,
          non2xx: non2xx - last.non2xx,
          errors: errors - last.errors,
          cpuUs: ((cpu - last.cpu) * 1000) / Math.max(interval, 1),
        };
        last = { ok, non2xx, errors, cpu };
        samples.push(sample);
        log(
          `  ${sample.minute.toFixed(1)} min: RSS ${mb(rss)}, heap ${mb(heap.heapUsed)} of ` +
            `${mb(heap.heapTotal)}, ${(sample.ok / config.memorySampleSeconds).toFixed(0)} req/s` +
            (sample.non2xx + sample.errors > 0
              ? `, ${sample.non2xx} non-2xx, ${sample.errors} errors`
              : ''),
        );
        if (!baseline && sample.minute >= config.memoryWarmupMinutes - 1e-6 && step < steps) {
          baseline = sample;
          baselineGc = await ask('gc');
          log(`  baseline; live heap after a full collection ${mb(baselineGc.heapUsed)}`);
          await snapshot('baseline');
        }
      }
    } finally {
      instance.stop();
    }
    await finished;
    const minutes = (performance.now() - started) / 60_000;
    const end = samples[samples.length - 1]!;
    // Without a sample after the warm-up (a very short run), the first one is the baseline.
    baseline ??= samples[0]!;
    baselineGc ??= await ask('gc');
    await sleep(config.quick ? 1000 : 5000);
    const afterLoad = await ask('sample');
    const afterGc = await ask('gc');
    await snapshot('end');
    log(
      `  growth ${(end.rss / baseline.rss).toFixed(2)} (RSS ${mb(baseline.rss)} → ${mb(end.rss)}), ` +
        `live heap ${mb(baselineGc.heapUsed)} → ${mb(afterGc.heapUsed)}, RSS after GC ${mb(afterGc.rss)}`,
    );
    const logged = loggedErrors(service.logFile);
    return {
      kind,
      label: store.label,
      idle,
      samples,
      baseline,
      end,
      baselineGc,
      afterLoad,
      afterGc,
      growth: end.rss / baseline.rss,
      liveHeapGrowth: afterGc.heapUsed / baselineGc.heapUsed,
      requests: ok,
      non2xx,
      errors,
      programmes,
      minutes,
      serverErrors: { count: logged.length, first: logged[0] ?? null },
      snapshots,
    };
  } finally {
    await child?.stop();
    store.drop();
  }
}

/** RSS and heap of the service over `memoryMinutes` of steady REST load, on each store. */
export async function memoryLoadBenchmark(
  kinds: StoreKind[],
  phase: 'forstudie' | 'initiering',
): Promise<MemoryLoadResults> {
  buildBenchScript('memory-probe');
  const cwd = tempDir();
  const runs: MemoryLoadRun[] = [];
  for (const kind of kinds) runs.push(await loadRun(kind, phase, cwd));
  return {
    minutes: config.memoryMinutes,
    sampleSeconds: config.memorySampleSeconds,
    warmupMinutes: config.memoryWarmupMinutes,
    connections: config.connections,
    eventsPerInstance: config.eventsPerInstance,
    phase,
    runs,
  };
}
