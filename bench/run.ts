import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import * as prettier from 'prettier';
import { config } from './config';
import { engineBenchmark } from './engine';
import { hashRestBenchmark } from './hash-rest';
import { Sqlite } from './raw';
import { memoryLoadBenchmark } from './memory';
import { markdown, summary, type Results } from './report';
import { buildBareApp, restBenchmark } from './rest';
import { startupBenchmark, sweepBenchmark } from './sweep';
import {
  cleanupSync,
  log,
  machine,
  postgresVersion,
  ROOT,
  round,
  snapshotDist,
  type StoreKind,
} from './support';

/**
 * The benchmarks of issue 7: `npm run bench` (after `npm run build`). Writes bench/RESULTS.md.
 * Sizes come from the environment (bench/config.ts); BENCH_QUICK=1 is a short smoke run.
 * BENCH_ONLY picks parts (`BENCH_ONLY=memory-load` is `npm run bench:memory`), BENCH_OUT another file.
 */

process.on('exit', cleanupSync);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

async function main(): Promise<void> {
  const started = new Date();
  const postgres = postgresVersion();
  const memory = new Sqlite(':memory:');
  const sqlite = (memory.prepare('select sqlite_version() as v').get() as { v: string }).v;
  memory.close();
  const results: Results = {
    started,
    seconds: 0,
    loadEnd: [],
    machine: machine(postgres, sqlite),
    config,
    rest: null,
    engine: null,
    sweep: null,
    startup: null,
    hashRest: null,
    memoryLoad: null,
    notes: [],
  };
  if (!postgres) results.notes.push('PostgreSQL was not reachable (or BENCH_POSTGRES=0): skipped.');
  const m = results.machine;
  log(`${m.cpu}, ${m.cores} cores, Node ${m.node}, load ${m.loadStart.join(' ')}`);
  log(`PostgreSQL ${postgres ?? 'not reachable: skipped'}, SQLite ${sqlite}`);
  const source = snapshotDist();
  log(`Service under test: a copy of ${source}`);
  buildBareApp();

  const all: StoreKind[] = [
    'sqlite-full',
    'sqlite-normal',
    ...(postgres ? ['postgresql' as const] : []),
  ];
  const parts = config.parts;
  let phase = config.phase;
  if (parts.has('rest')) {
    results.rest = await restBenchmark(all);
    phase = results.rest.phase as typeof phase;
    if (results.rest.phaseNote) results.notes.push(results.rest.phaseNote);
  }
  if (parts.has('engine') || parts.has('transition') || parts.has('history')) {
    results.engine = await engineBenchmark(all, phase);
  }
  if (parts.has('sweep') || parts.has('memory')) {
    const kinds: StoreKind[] = ['sqlite-full', ...(postgres ? ['postgresql' as const] : [])];
    results.sweep = await sweepBenchmark(
      parts.has('sweep') ? kinds : ['sqlite-full'],
      parts.has('memory'),
    );
  }
  if (parts.has('hash')) results.hashRest = await hashRestBenchmark(phase);
  if (parts.has('memory')) results.startup = await startupBenchmark();
  if (parts.has('memory-load')) {
    const kinds = config.memoryStores.filter((kind) => kind !== 'postgresql' || postgres);
    results.memoryLoad = await memoryLoadBenchmark(kinds, phase);
  }

  results.seconds = (Date.now() - started.getTime()) / 1000;
  results.loadEnd = loadavg().map((l) => round(l, 2));
  const file = config.out ? resolve(config.out) : join(ROOT, 'bench', 'RESULTS.md');
  // Formatted as `npm run format:check` expects.
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(markdown(results), { ...options, filepath: file }));
  log(`Done in ${(results.seconds / 60).toFixed(1)} min; written to ${file}`);
  console.log(summary(results));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
