import { config } from './config';
import { openDb } from './raw';
import {
  buildBenchScript,
  cannon,
  leaderToken,
  routeFor,
  startService,
  type LoadRun,
} from './rest';
import { log, median, scratchStore, tempDir, type Child, type Store } from './support';

/** One run of the hash chain's A/B through REST: both services loaded at the same time. */
export interface HashRestRun {
  withHash: LoadRun;
  without: LoadRun;
  /** Events/s with hashing ÷ without. */
  ratio: number;
  /** Server CPU per request without hashing ÷ with. */
  cpuRatio: number;
}

export interface HashRestResults {
  connections: number;
  seconds: number;
  runs: HashRestRun[];
  ratio: number;
  cpuRatio: number;
  /** History entries of the service with hashing whose hash is the constant (must be none). */
  constantInWith: number;
  /** History entries of the service without hashing whose hash is not the constant (none). */
  realInWithout: number;
}

const CONSTANT = '0'.repeat(64);

interface Side {
  name: 'with' | 'without';
  child: Child;
  store: Store;
  token: string;
  lastRps: number;
}

/**
 * The hash chain's cost to the service's throughput: the compiled service on SQLite NORMAL twice,
 * once as it is and once with `entryHash` a constant (bench/without-hash.ts, preloaded), loaded side
 * by side at the same time by one autocannon each — the machine's speed, which drifts by more than
 * the few per cent measured here, is then the same for both. Events/s with ÷ without, per run.
 */
export async function hashRestBenchmark(
  phase: 'forstudie' | 'initiering',
): Promise<HashRestResults> {
  const cwd = tempDir();
  const preload = buildBenchScript('without-hash');
  const sides: Side[] = [];
  try {
    for (const name of ['with', 'without'] as const) {
      const store = scratchStore('sqlite-normal');
      const child = await startService(`hash-${name}`, store, cwd, {
        nodeArgs: name === 'without' ? ['-r', preload] : [],
      });
      sides.push({ name, child, store, token: await leaderToken(child.url), lastRps: 0 });
    }
    const both = async (seconds: number) => {
      // Programmes first, for both; then the two loads start together.
      const routes = await Promise.all(
        sides.map(
          async (side) =>
            (await routeFor(side.child.url, 'per-connection', side.lastRps, seconds, phase)).route,
        ),
      );
      const cpu = sides.map((side) => side.child.cpuMs());
      const runs = await Promise.all(
        sides.map((side, i) => cannon(side.child.url, side.token, seconds, routes[i]!)),
      );
      sides.forEach((side, i) => {
        const run = runs[i]!;
        run.cpuUs = ((side.child.cpuMs() - cpu[i]!) * 1000) / Math.max(run.ok, 1);
        side.lastRps = run.rps;
      });
      return runs as [LoadRun, LoadRun];
    };
    log(`Hash chain A/B through REST: warm-up ${config.warmup} s`);
    await both(config.warmup);
    const runs: HashRestRun[] = [];
    for (let n = 1; n <= config.hashRestRuns; n += 1) {
      const [withHash, without] = await both(config.duration);
      runs.push({
        withHash,
        without,
        ratio: withHash.rps / without.rps,
        cpuRatio: without.cpuUs / withHash.cpuUs,
      });
      log(
        `  run ${n}: with ${withHash.rps.toFixed(0)}/s (${withHash.cpuUs.toFixed(0)} µs), ` +
          `without ${without.rps.toFixed(0)}/s (${without.cpuUs.toFixed(0)} µs): ` +
          `${(withHash.rps / without.rps).toFixed(2)}`,
      );
    }
    return {
      connections: config.connections,
      seconds: config.duration,
      runs,
      ratio: median(runs.map((r) => r.ratio)),
      cpuRatio: median(runs.map((r) => r.cpuRatio)),
      constantInWith: await countHashes(sides[0]!.store, '='),
      realInWithout: await countHashes(sides[1]!.store, '<>'),
    };
  } finally {
    for (const side of sides) {
      await side.child.stop();
      side.store.drop();
    }
  }
}

/** The swap took (or did not): cost.record entries whose hash is (=) or is not (<>) the constant. */
async function countHashes(store: Store, op: '=' | '<>'): Promise<number> {
  const db = openDb(store);
  try {
    const [row] = await db.query<{ n: number | string }>(
      `select count(*) as n from history_entry where event_type = 'cost.record' and hash ${op} ?`,
      [CONSTANT],
    );
    return Number(row?.n ?? 0);
  } finally {
    await db.close();
  }
}
