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
  mallocedMemory: number;
  resources: number;
  /** Heap used after each full collection V8 did in the interval. */
  afterMajorGc: number[];
  ok: number;
  non2xx: number;
  errors: number;
  cpuMs: number;
}

/** The samples of one minute of load (or of a window), summed up. */
export interface Span {
  from: number;
  to: number;
  /** RSS of the last sample, the mean and the largest of the span's samples. */
  rss: number;
  rssMean: number;
  rssMax: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  mallocedMemory: number;
  /** The smallest heap after a full collection in the span: what stays alive (NaN if none ran). */
  liveHeap: number;
  majorGcs: number;
  rps: number;
  /** Server CPU per acknowledged request, in microseconds. */
  cpuUs: number;
  non2xx: number;
  errors: number;
}

export interface MemoryLoadRun {
  kind: StoreKind;
  label: string;
  /** The service started and idle, before any load. */
  idle: MemorySample;
  samples: LoadSample[];
  minutes: Span[];
  /** The first `windowMinutes` after the warm-up, and the last `windowMinutes` of the load. */
  baseline: Span;
  end: Span;
  /** The load stopped and the service idle for a few seconds. */
  afterLoad: MemorySample;
  /** Then a full collection forced. */
  afterGc: MemorySample;
  /** A few seconds later: V8 hands the freed pages back to the system in the background. */
  afterGcSettled: MemorySample;
  /** Mean RSS of the end window ÷ of the baseline window (both under load): the judged figure. */
  growth: number;
  /** The last sample's RSS ÷ the RSS sampled when the warm-up ended. */
  pointGrowth: number;
  /** Heap after V8's full collections, end window ÷ baseline window: a leak makes it grow. */
  liveHeapGrowth: number;
  requests: number;
  non2xx: number;
  errors: number;
  programmes: number;
  loadMinutes: number;
  serverErrors: { count: number; first: string | null };
  snapshots: string[];
}

export interface MemoryLoadResults {
  minutes: number;
  sampleSeconds: number;
  warmupMinutes: number;
  windowMinutes: number;
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
  /** One event on the connection's programme, once it has one. */
  const event = (authorization: string, body: string) => ({
    setupRequest: (request: autocannon.Request, context: Context) =>
      context.programme
        ? {
            ...request,
            method: 'POST',
            path: `/api/programmes/${context.programme}/workflow/events`,
            headers: { ...request.headers, authorization, 'idempotency-key': key() },
            body,
          }
        : undefined,
  });
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
    ...[ROLES_EVENT, ...(phase === 'forstudie' ? [START_EVENT] : [])].map((e) =>
      event(admin, JSON.stringify(e)),
    ),
  ];
  const costs = Array.from({ length: config.eventsPerInstance }, () => event(leader, COST_BODY));
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

function span(samples: LoadSample[], from: number, to: number): Span {
  const inside = samples.filter((x) => x.minute > from + 1e-6 && x.minute <= to + 1e-6);
  const list = inside.length > 0 ? inside : samples.slice(-1);
  const last = list[list.length - 1]!;
  const ok = list.reduce((sum, x) => sum + x.ok, 0);
  const seconds = inside.length > 0 ? (to - from) * 60 : config.memorySampleSeconds;
  const afterGc = list.flatMap((x) => x.afterMajorGc);
  return {
    from,
    to,
    rss: last.rss,
    rssMean: list.reduce((sum, x) => sum + x.rss, 0) / list.length,
    rssMax: Math.max(...list.map((x) => x.rss)),
    heapUsed: last.heapUsed,
    heapTotal: last.heapTotal,
    external: last.external,
    mallocedMemory: last.mallocedMemory,
    liveHeap: afterGc.length > 0 ? Math.min(...afterGc) : Number.NaN,
    majorGcs: afterGc.length,
    rps: ok / seconds,
    cpuUs: (list.reduce((sum, x) => sum + x.cpuMs, 0) * 1000) / Math.max(ok, 1),
    non2xx: list.reduce((sum, x) => sum + x.non2xx, 0),
    errors: list.reduce((sum, x) => sum + x.errors, 0),
  };
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
    const warmup = Math.min(config.memoryWarmupMinutes, config.memoryMinutes);
    let warmupRss: number | undefined;
    try {
      let last = { ok: 0, non2xx: 0, errors: 0, cpu: service.cpuMs() };
      const steps = Math.max(1, Math.round(totalMs / (config.memorySampleSeconds * 1000)));
      let logged = 0;
      for (let step = 1; step <= steps; step += 1) {
        await untilMs(started + (totalMs * step) / steps);
        const rss = service.rssBytes();
        const cpu = service.cpuMs();
        const heap = await ask('sample');
        const sample: LoadSample = {
          // The planned time (the loop waits for it): windows then hold whole samples.
          minute: (totalMs * step) / steps / 60_000,
          rss,
          heapUsed: heap.heapUsed,
          heapTotal: heap.heapTotal,
          external: heap.external,
          mallocedMemory: heap.mallocedMemory,
          resources: heap.resources,
          afterMajorGc: heap.afterMajorGc,
          ok: ok - last.ok,
          non2xx: non2xx - last.non2xx,
          errors: errors - last.errors,
          cpuMs: cpu - last.cpu,
        };
        last = { ok, non2xx, errors, cpu };
        samples.push(sample);
        if (warmupRss === undefined && sample.minute >= warmup - 1e-6) {
          warmupRss = rss;
          await snapshot('baseline');
        }
        const minute = Math.floor(sample.minute + 1e-6);
        if (minute > logged || step === steps) {
          logged = minute;
          const s = span(samples, sample.minute - 1, sample.minute);
          log(
            `  ${sample.minute.toFixed(1)} min: RSS ${mb(rss)} (mean of the last minute ` +
              `${mb(s.rssMean)}), heap ${mb(heap.heapUsed)} of ${mb(heap.heapTotal)}, after full ` +
              `GCs ≥ ${mb(s.liveHeap)}, ${s.rps.toFixed(0)} req/s` +
              (s.non2xx + s.errors > 0 ? `, ${s.non2xx} non-2xx, ${s.errors} errors` : ''),
          );
        }
      }
    } finally {
      instance.stop();
    }
    await finished;
    const loadMinutes = totalMs / 60_000;
    const window = Math.min(config.memoryWindowMinutes, loadMinutes - warmup || loadMinutes);
    const baseline = span(samples, warmup, warmup + window);
    const end = span(samples, loadMinutes - window, loadMinutes);
    const minutes: Span[] = [];
    for (let from = 0; from < loadMinutes - 1e-6; from += 1) {
      minutes.push(span(samples, from, Math.min(from + 1, loadMinutes)));
    }
    await sleep(config.quick ? 1000 : 5000);
    const afterLoad = await ask('sample');
    const afterGc = await ask('gc');
    await sleep(config.quick ? 2000 : 5000);
    const afterGcSettled = await ask('sample');
    await snapshot('end');
    const last = samples[samples.length - 1]!;
    log(
      `  growth ${(end.rssMean / baseline.rssMean).toFixed(2)} (mean RSS ${mb(baseline.rssMean)} → ` +
        `${mb(end.rssMean)}), heap after full GCs ${mb(baseline.liveHeap)} → ${mb(end.liveHeap)}, ` +
        `RSS after a forced GC ${mb(afterGc.rss)}, a few seconds later ${mb(afterGcSettled.rss)}`,
    );
    const logged = loggedErrors(service.logFile);
    return {
      kind,
      label: store.label,
      idle,
      samples,
      minutes,
      baseline,
      end,
      afterLoad,
      afterGc,
      afterGcSettled,
      growth: end.rssMean / baseline.rssMean,
      pointGrowth: last.rss / (warmupRss ?? samples[0]!.rss),
      liveHeapGrowth: end.liveHeap / baseline.liveHeap,
      requests: ok,
      non2xx,
      errors,
      programmes,
      loadMinutes,
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
    windowMinutes: config.memoryWindowMinutes,
    connections: config.connections,
    eventsPerInstance: config.eventsPerInstance,
    phase,
    runs,
  };
}
