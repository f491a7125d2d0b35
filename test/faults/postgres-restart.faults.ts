import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialects, scratchDatabase, type ScratchDatabase } from '../support/databases';
import { replayProblems } from './support/engine';
import {
  localCluster,
  startPostgres,
  stopPostgres,
  acceptsConnections,
  type Cluster,
} from './support/postgres';
import {
  call,
  checkHistories,
  costEvent,
  createProgrammes,
  EventLoad,
  freePort,
  programmeBody,
  requireBuild,
  ServiceProcess,
  serviceEnv,
  sleep,
  stopAllServices,
  type Answer,
} from './support/service';

/**
 * Issue 7: PostgreSQL itself restarted, for real (pg_ctlcluster stop -m fast, then start), while
 * the compiled service runs on it under load, and the service started while PostgreSQL is down.
 *
 * (a) Eight senders post `cost.record` events with unique Idempotency-Keys (retrying a 503 with
 * the same key and body, as a careful client does). PostgreSQL is stopped for about 5 s and
 * started again. While it is down every answer is a 503 problem+json with Retry-After, quickly;
 * the same process accepts events again soon after it is up (its pool reconnects); afterwards
 * every acknowledged event is in the history exactly once, nothing else is, seq has no gap, the
 * chain verifies, and the state equals the history replayed.
 *
 * (b) PostgreSQL is stopped before the service starts (its database exists, migrations pending):
 * the process stays up, /health and the API answer 503; once PostgreSQL is started it becomes
 * ready by itself and the whole flow works.
 *
 * Stopping the cluster cuts every connection to it, so nothing else may use it meanwhile: the
 * fault tests run one file at a time, and the stop is refused while any other session is open
 * (another test run, a benchmark). It is started again in every case, also when a test fails.
 */

const SENDERS = 8;
const PROGRAMMES = 4;
/** How long PostgreSQL stays down under load. */
const DOWN_MS = 5000;
/** An answer during the outage may take this long at most (it must not hang). */
const ANSWER_BOUND_MS = 10_000;
/** After PostgreSQL is up again, events must be accepted again within this. */
const RECOVERY_BOUND_MS = 30_000;

requireBuild();

const cluster: Cluster | string = dialects().includes('postgresql')
  ? localCluster()
  : 'PostgreSQL is not reachable';
if (typeof cluster === 'string') {
  console.warn(`[faults] postgres-restart SKIPPED: ${cluster}`);
}

(typeof cluster === 'string' ? describe.skip : describe)('PostgreSQL restarted', () => {
  const pg = cluster as Cluster;
  const databases: ScratchDatabase[] = [];
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'videreforing-faults-'));
  });

  afterAll(async () => {
    await stopAllServices();
    await startPostgres(pg);
    for (const database of databases) database.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('under load: 503 while it is down, the same process recovers, nothing lost or doubled', async () => {
    const database = scratchDatabase('postgresql');
    databases.push(database);
    const service = await ServiceProcess.start(
      serviceEnv(database.url, join(dataDir, 'a'), await freePort()),
    );
    const programmes = await createProgrammes(service.url, PROGRAMMES);

    const answers: { answer: Answer; sent: number; arrived: number }[] = [];
    const load = new EventLoad(
      () => [service.url],
      programmes,
      SENDERS,
      'pg',
      (answer) => {
        const arrived = Date.now();
        answers.push({ answer, sent: arrived - answer.ms, arrived });
      },
    );
    const started = Date.now();
    load.start();
    let stopBegan = 0;
    let stoppedAt = 0;
    let startBegan = 0;
    let upAt = 0;
    let recoveredAt = 0;
    let acksBefore = 0;
    try {
      await sleep(2000);
      acksBefore = load.acks.length;
      stopBegan = Date.now();
      await stopPostgres(pg, [databaseName(database)]);
      stoppedAt = Date.now();
      await sleep(DOWN_MS);
      startBegan = Date.now();
      await startPostgres(pg);
      upAt = Date.now();
      while (Date.now() - upAt < RECOVERY_BOUND_MS) {
        const ack = load.acks.find((a) => a.at > upAt);
        if (ack) {
          recoveredAt = ack.at;
          break;
        }
        await sleep(100);
      }
      // Load on the recovered pool too, then every key in flight is answered.
      await sleep(3000);
    } finally {
      await startPostgres(pg);
      await load.stop();
    }
    const loadDone = Date.now();

    const checks = await checkHistories(service.url, programmes, load.acks, { exact: true });
    const health = await call(service.url, 'GET', '/health');
    const running = service.running;
    const errorLines = service.errorLines();
    const unavailableWarnings = service.linesMatching(/database unavailable/).length;
    await service.stop();
    const replay = await replayProblems(
      database.settings(),
      programmes.map((p) => p.instanceId),
    );

    // Sent once the server had stopped and answered before it was started again.
    const during = answers.filter((a) => a.sent >= stoppedAt && a.arrived <= startBegan);
    const statuses = count(answers.map((a) => a.answer.status));
    const duringStatuses = count(during.map((a) => a.answer.status));
    const notProblem503 = during.filter(
      (a) =>
        a.answer.status !== 503 ||
        !/^application\/problem\+json/.test(a.answer.headers.get('content-type') ?? '') ||
        a.answer.headers.get('retry-after') !== '5' ||
        a.answer.body?.type !== 'urn:videreforing:problem:service-unavailable' ||
        !/^Databasen er midlertidig utilgjengelig/.test(String(a.answer.body?.detail)),
    );
    const slowest = Math.max(0, ...answers.map((a) => a.answer.ms));
    const retried = load.acks.filter((a) => a.attempts > 1);
    console.log(
      `[faults] postgres-restart under load: ${load.acks.length} acknowledged events ` +
        `(${acksBefore} before the stop, ${retried.length} needed a retry); PostgreSQL stopping ` +
        `${stoppedAt - stopBegan} ms, down ${startBegan - stoppedAt} ms, starting ${upAt - startBegan} ms; ` +
        `accepting again ${recoveredAt ? `${recoveredAt - upAt} ms` : 'never'} after it was up; ` +
        `answers ${JSON.stringify(statuses)}, while down ${JSON.stringify(duringStatuses)}; ` +
        `slowest answer ${Math.round(slowest)} ms; without an answer: ` +
        `${JSON.stringify(Object.fromEntries(load.interrupted))}; "database unavailable" warnings: ` +
        `${unavailableWarnings}; history per programme: ${checks.map((c) => c.entries).join(', ')}; ` +
        `load ${((loadDone - started) / 1000).toFixed(1)} s, checks ${((Date.now() - loadDone) / 1000).toFixed(1)} s`,
    );

    // Nothing but 2xx and 503: a 500 or a 4xx is a defect; every request got an answer, in time.
    // (A 500 is logged as an error with its cause, shown first.)
    expect(errorLines.map((line) => line.slice(0, 800))).toEqual([]);
    expect(load.failures).toEqual([]);
    expect(Object.fromEntries(load.interrupted)).toEqual({});
    expect(slowest).toBeLessThan(ANSWER_BOUND_MS);
    // The outage met requests, and each of them was a 503 problem+json with Retry-After.
    expect(during.length).toBeGreaterThan(0);
    expect(notProblem503.slice(0, 3).map((a) => [a.answer.status, a.answer.text])).toEqual([]);
    expect(unavailableWarnings).toBeGreaterThan(0);
    // The same process took events before, and again soon after PostgreSQL was back.
    expect(acksBefore).toBeGreaterThan(0);
    expect(running).toBe(true);
    expect(recoveredAt).toBeGreaterThan(0);
    expect(health.status).toBe(200);
    // Every key was answered 2xx exactly once, and is in the history exactly once.
    expect(new Set(load.acks.map((a) => a.key)).size).toBe(load.acks.length);
    expect(checks.flatMap((c) => c.problems)).toEqual([]);
    expect(checks.reduce((n, c) => n + c.entries - 1, 0)).toBe(load.acks.length);
    expect(replay).toEqual([]);
  }, 120_000);

  it('starting while it is down: 503 until it is up, then ready by itself', async () => {
    const database = scratchDatabase('postgresql');
    databases.push(database);
    let service: ServiceProcess | undefined;
    let upAt = 0;
    let readyAfterMs = 0;
    try {
      await stopPostgres(pg, [databaseName(database)]);
      expect(await acceptsConnections()).toBe(false);
      service = await ServiceProcess.start(
        serviceEnv(database.url, join(dataDir, 'b'), await freePort(), { LOG_LEVEL: 'log' }),
        30_000,
        'listening',
      );
      const health = await call(service.url, 'GET', '/health');
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({
        status: 'unavailable',
        database: { dialect: 'postgresql', up: false },
      });
      const refused = await call(service.url, 'POST', '/api/programmes', {
        body: programmeBody(),
      });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(refused.body).toMatchObject({ type: 'urn:videreforing:problem:database-not-ready' });
      await sleep(3000);
      expect(service.running).toBe(true);
      expect((await call(service.url, 'GET', '/health')).status).toBe(503);
      expect(service.linesMatching(/is not ready \(attempt \d+\)/).length).toBeGreaterThanOrEqual(
        2,
      );

      await startPostgres(pg);
      upAt = Date.now();
      while (Date.now() - upAt < RECOVERY_BOUND_MS) {
        if ((await call(service.url, 'GET', '/health')).status === 200) {
          readyAfterMs = Date.now() - upAt;
          break;
        }
        await sleep(100);
      }
    } finally {
      await startPostgres(pg);
    }
    if (!service) throw new Error('the service did not start');
    expect(readyAfterMs).toBeGreaterThan(0);
    const [programme] = await createProgrammes(service.url, 1);
    const event = await call(
      service.url,
      'POST',
      `/api/programmes/${programme!.id}/workflow/events`,
      { body: costEvent('etter omstart', 2500), headers: { 'idempotency-key': 'etter-omstart' } },
    );
    expect(event.status).toBe(200);
    expect(event.body.version).toBe(2);
    const verify = await call(
      service.url,
      'GET',
      `/api/programmes/${programme!.id}/workflow/verify`,
    );
    expect(verify.body).toMatchObject({ valid: true, entries: 2 });
    const attempts = service.linesMatching(/is not ready \(attempt \d+\)/).length;
    expect(service.linesMatching(/Applied migrations/)).toHaveLength(1);
    expect(service.errorLines()).toEqual([]);
    console.log(
      `[faults] postgres-restart at start: ${attempts} attempts while it was down; ready ` +
        `${readyAfterMs} ms after PostgreSQL accepted connections`,
    );
    await service.stop();
  }, 90_000);
});

function databaseName(database: ScratchDatabase): string {
  return new URL(database.url).pathname.slice(1);
}

function count<T>(values: T[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[String(value)] = (counts[String(value)] ?? 0) + 1;
  return counts;
}
