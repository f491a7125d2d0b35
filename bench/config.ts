import type { StoreKind } from './support';

/**
 * Sizes of the benchmark, from the environment. `BENCH_QUICK=1` is a smoke run of a few minutes;
 * the defaults are a full run of about twenty minutes on a 2-core machine, half of it the ten
 * minutes of load of the memory part.
 */
const quick = process.env.BENCH_QUICK === '1';

function integer(name: string, fallback: number, min = 1): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name}="${text}" must be a whole number ≥ ${min}`);
  }
  return value;
}

function decimal(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}="${text}" must be > 0`);
  return value;
}

const parts = [
  'rest',
  'engine',
  'transition',
  'sweep',
  'memory',
  'history',
  'hash',
  'memory-load',
] as const;
export type Part = (typeof parts)[number];

function only(): Set<Part> {
  const text = process.env.BENCH_ONLY;
  if (!text) return new Set(parts);
  const chosen = text.split(',').map((s) => s.trim());
  for (const part of chosen) {
    if (!parts.includes(part as Part)) {
      throw new Error(`BENCH_ONLY: unknown part "${part}" (known: ${parts.join(', ')})`);
    }
  }
  return new Set(chosen as Part[]);
}

const STORE_KINDS: readonly StoreKind[] = ['sqlite-full', 'sqlite-normal', 'postgresql'];

function stores(name: string, fallback: string): StoreKind[] {
  const chosen = (process.env[name] || fallback).split(',').map((s) => s.trim());
  for (const kind of chosen) {
    if (!STORE_KINDS.includes(kind as StoreKind)) {
      throw new Error(`${name}: unknown store "${kind}" (known: ${STORE_KINDS.join(', ')})`);
    }
  }
  return chosen as StoreKind[];
}

export const config = {
  quick,
  parts: only(),
  /** Rounds of the REST benchmark; every round measures the bare endpoint and each store. */
  rounds: integer('BENCH_ROUNDS', quick ? 1 : 3),
  /** Seconds of one autocannon run. */
  duration: integer('BENCH_DURATION', quick ? 2 : 5),
  /** Seconds of the warm-up run before the rounds, per target. */
  warmup: integer('BENCH_WARMUP', quick ? 1 : 2),
  connections: integer('BENCH_CONNECTIONS', 10),
  /** Events sent to one instance before moving to a fresh one (the snapshot grows with each). */
  eventsPerInstance: integer('BENCH_EVENTS_PER_INSTANCE', 25),
  /** Seconds of one in-process engine or raw-driver run, and how many runs of each. */
  engineSeconds: decimal('BENCH_ENGINE_SECONDS', quick ? 0.5 : 1.5),
  engineRuns: integer('BENCH_ENGINE_RUNS', quick ? 1 : 5),
  /** Runs of the REST services with and without hashing, loaded side by side. */
  hashRestRuns: integer('BENCH_HASH_REST_RUNS', quick ? 1 : 9),
  /** Pairs of engine runs with and without hashing (order alternating). */
  hashPairs: integer('BENCH_HASH_PAIRS', quick ? 2 : 16, 0),
  /** Milliseconds of one micro-benchmark batch, and how many batches. */
  microMs: integer('BENCH_MICRO_MS', quick ? 100 : 300),
  microRuns: integer('BENCH_MICRO_RUNS', quick ? 3 : 7),
  sweepSmall: integer('BENCH_SWEEP_SMALL', quick ? 1_000 : 10_000, 100),
  sweepLarge: integer('BENCH_SWEEP_LARGE', quick ? 10_000 : 100_000, 100),
  sweepRuns: integer('BENCH_SWEEP_RUNS', quick ? 3 : 7),
  startupRuns: integer('BENCH_STARTUP_RUNS', quick ? 2 : 5),
  /** Minutes of steady REST load in the memory-load part, per store. */
  memoryMinutes: decimal('BENCH_MEMORY_MINUTES', quick ? 1 : 10),
  /** Seconds between two memory samples under load (reported per minute). */
  memorySampleSeconds: integer('BENCH_MEMORY_SAMPLE_SECONDS', quick ? 5 : 10),
  /** Minutes of load before the baseline window starts. */
  memoryWarmupMinutes: decimal('BENCH_MEMORY_WARMUP_MINUTES', quick ? 0.25 : 2),
  /** Minutes of the baseline window (after the warm-up) and of the end window (the last ones). */
  memoryWindowMinutes: decimal('BENCH_MEMORY_WINDOW_MINUTES', quick ? 0.25 : 1),
  /** Stores the memory-load part runs on, one after the other. */
  memoryStores: stores('BENCH_MEMORY_STORES', 'sqlite-normal'),
  /** A directory: heap snapshots at the baseline and at the end go there (for finding retainers). */
  memorySnapshots: process.env.BENCH_MEMORY_SNAPSHOTS || null,
  /** Where the results are written. */
  out: process.env.BENCH_OUT || null,
  /** `auto` (when reachable), `0` (never) or `1` (required). */
  postgres: process.env.BENCH_POSTGRES ?? 'auto',
  pgAdminUrl: process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  /** The service's LOG_LEVEL under load: its default (`log`, one JSON line per request). */
  logLevel: process.env.BENCH_LOG_LEVEL ?? 'log',
  /** Where the benchmark instances are when cost.record is sent: `forstudie` or `initiering`. */
  phase: (process.env.BENCH_PHASE ?? 'forstudie') as 'forstudie' | 'initiering',
};

export type Config = typeof config;
