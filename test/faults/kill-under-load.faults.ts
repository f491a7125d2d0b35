import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialects, scratchDatabase, type ScratchDatabase } from '../support/databases';
import { replayProblems } from './support/engine';
import {
  checkHistories,
  createProgrammes,
  EventLoad,
  freePort,
  requireBuild,
  ServiceProcess,
  serviceEnv,
  sleep,
  stopAllServices,
} from './support/service';

/**
 * Issue 7: kill -9 the service every few seconds under load. The compiled service runs as a child
 * on a scratch database; eight senders post `cost.record` events with unique Idempotency-Keys to a
 * few programmes, retrying (same key, same body) whatever got no answer. The service is SIGKILLed
 * 1–3 s into the load and restarted, four times. Afterwards every acknowledged (2xx) event is in
 * the history exactly once at the version its answer gave, nothing else is, seq runs 1..n without
 * a gap or fork, the chain verifies, and the state equals the history replayed.
 *
 * SQLite runs with synchronous=NORMAL: a killed process (unlike a power cut) loses no commit.
 */

const CYCLES = 4;
const SENDERS = 8;
const PROGRAMMES = 4;

requireBuild();

describe.each(dialects())('SIGKILL under load on %s', (dialect) => {
  let database: ScratchDatabase;
  let dataDir: string;

  beforeAll(() => {
    database = scratchDatabase(dialect);
    dataDir = mkdtempSync(join(tmpdir(), 'videreforing-faults-'));
  });

  afterAll(async () => {
    await stopAllServices();
    database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it(`loses no acknowledged event over ${CYCLES} kills, with no gap, fork or broken chain`, async () => {
    const started = Date.now();
    const env = serviceEnv(database.url, dataDir, await freePort());
    let service = await ServiceProcess.start(env);
    const programmes = await createProgrammes(service.url, PROGRAMMES);
    const load = new EventLoad(() => [service.url], programmes, SENDERS, dialect);
    load.start();

    const cycles: { afterMs: number; acksBefore: number; downMs: number; killedAt: number }[] = [];
    let allErrorLines: string[] = [];
    try {
      for (let cycle = 0; cycle < CYCLES; cycle += 1) {
        const afterMs = 1000 + Math.round(Math.random() * 2000);
        await sleep(afterMs);
        const acksBefore = load.acks.length;
        const killedAt = Date.now();
        await service.kill();
        allErrorLines = allErrorLines.concat(service.errorLines());
        const down = Date.now();
        service = await ServiceProcess.start(env);
        cycles.push({ afterMs, acksBefore, downMs: Date.now() - down, killedAt });
      }
      // Load on the last instance too, then every key in flight is answered.
      await sleep(1500);
    } finally {
      await load.stop();
    }
    const loadDone = Date.now();

    const checks = await checkHistories(service.url, programmes, load.acks, { exact: true });
    allErrorLines = allErrorLines.concat(service.errorLines());
    await service.stop();
    const replay = await replayProblems(
      database.settings(),
      programmes.map((p) => p.instanceId),
    );

    const retried = load.acks.filter((a) => a.attempts > 1);
    // Retried events the killed process had committed (its history entry is older than the kill
    // that cut the request off): the retry got the stored answer instead of applying them again.
    const entryAt = new Map(
      checks.flatMap((c) => c.items.map((e) => [`${c.programmeId}:${e.seq}`, Date.parse(e.at)])),
    );
    const replayed = retried.filter((a) => {
      const committed = entryAt.get(`${a.programmeId}:${a.version}`) ?? Infinity;
      return cycles.some((c) => committed < c.killedAt && c.killedAt < a.at);
    }).length;
    console.log(
      `[faults] kill-under-load ${dialect}: ${load.acks.length} acknowledged events ` +
        `(${retried.length} needed a retry, ${replayed} of them committed before the kill) over ${cycles.length} kills ` +
        `(${cycles.map((c) => `${c.afterMs} ms in, down ${c.downMs} ms`).join('; ')}); ` +
        `requests without an answer: ${JSON.stringify(Object.fromEntries(load.interrupted))}, ` +
        `503: ${load.unavailable}; history per programme: ${checks.map((c) => c.entries).join(', ')}; ` +
        `load ${((loadDone - started) / 1000).toFixed(1)} s, checks ${((Date.now() - loadDone) / 1000).toFixed(1)} s`,
    );

    // No answer other than 2xx (or 503 while starting): a 500 or a 4xx here is a defect.
    expect(load.failures).toEqual([]);
    expect(allErrorLines).toEqual([]);
    // The kills hit a process under load: requests were cut off, and events were acknowledged
    // before every kill.
    expect(cycles).toHaveLength(CYCLES);
    expect(load.interruptions).toBeGreaterThan(0);
    for (const [i, cycle] of cycles.entries()) {
      expect({ cycle: i + 1, acked: cycle.acksBefore > (cycles[i - 1]?.acksBefore ?? 0) }).toEqual({
        cycle: i + 1,
        acked: true,
      });
    }
    // Every key was answered 2xx exactly once in the end, and is in the history exactly once.
    expect(new Set(load.acks.map((a) => a.key)).size).toBe(load.acks.length);
    expect(checks.flatMap((c) => c.problems)).toEqual([]);
    expect(checks.reduce((n, c) => n + c.entries - 1, 0)).toBe(load.acks.length);
    expect(replay).toEqual([]);
  }, 110_000);
});
