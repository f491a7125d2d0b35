import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  call,
  checkHistories,
  costEvent,
  createProgrammes,
  EventLoad,
  freePort,
  MAIN_JS,
  programmeBody,
  ServiceProcess,
  serviceEnv,
  sleep,
  stopAllServices,
} from '../faults/support/service';
import {
  dialects,
  PG_ADMIN_URL,
  scratchDatabase,
  type ScratchDatabase,
} from '../support/databases';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy';

/**
 * Issue 7: the compiled service starts while PostgreSQL cannot be reached, answers 503 until it
 * can, and becomes ready by itself once it can. PostgreSQL is not stopped here (other test files
 * share it): DATABASE_URL names a port where nothing listens, and later a TCP proxy on that port
 * makes the real server "appear". test/faults/postgres-restart.faults.ts restarts it for real.
 */

const withPostgres = dialects().includes('postgresql');

(withPostgres ? describe : describe.skip)('start-up while PostgreSQL is unreachable', () => {
  let database: ScratchDatabase;
  let dataDir: string;
  const proxies: TcpProxy[] = [];
  const admin = new URL(PG_ADMIN_URL);
  const target = { host: admin.hostname, port: Number(admin.port || 5432) };
  async function proxy(port: number): Promise<TcpProxy> {
    const started = await startTcpProxy(port, target);
    proxies.push(started);
    return started;
  }

  beforeAll(() => {
    if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run \`npm run build\``);
    database = scratchDatabase('postgresql');
    dataDir = mkdtempSync(join(tmpdir(), 'videreforing-unreachable-'));
  });

  afterAll(async () => {
    await stopAllServices();
    for (const started of proxies) await started.close();
    database?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('listens, answers 503 on /health and the API, and becomes ready when the database appears', async () => {
    const dbPort = await freePort();
    const url = new URL(database.url);
    url.port = String(dbPort);
    // A password, to see that it never reaches a log (trust authentication ignores it).
    url.password = 'hemmelig-passord';
    const service = await ServiceProcess.start(
      serviceEnv(url.toString(), dataDir, await freePort(), { LOG_LEVEL: 'log' }),
      30_000,
      'listening',
    );

    const health = await call(service.url, 'GET', '/health', { token: 'none' });
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({
      status: 'unavailable',
      database: { dialect: 'postgresql', up: false },
    });
    for (const [method, path, body] of [
      ['POST', '/api/programmes', programmeBody()],
      ['GET', '/api/programmes', undefined],
    ] as const) {
      const answer = await call(service.url, method, path, body === undefined ? {} : { body });
      expect({ path, status: answer.status }).toEqual({ path, status: 503 });
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(answer.headers.get('retry-after')).toBe('5');
      expect(answer.body).toMatchObject({
        type: 'urn:videreforing:problem:database-not-ready',
        title: 'Database not ready',
        status: 503,
      });
      expect(answer.body.detail).toContain('venter fortsatt på databasen');
    }
    // The readiness check comes before authentication, which would read the tokens table.
    const unknownToken = await call(service.url, 'GET', '/api/programmes', {
      token: 'unknown-token',
    });
    expect(unknownToken.body).toMatchObject({
      status: 503,
      type: 'urn:videreforing:problem:database-not-ready',
    });

    // Still up after a few failed attempts, each logged once as a warning with the URL redacted.
    await sleep(1500);
    expect(service.running).toBe(true);
    const attempts = service.linesMatching(/is not ready \(attempt \d+\)/);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    expect(attempts[0]).toContain('"level":"warn"');
    expect(attempts[0]).toContain(`postgres://postgres:***@127.0.0.1:${dbPort}/`);
    expect(attempts[0]).toContain('ECONNREFUSED');
    expect(service.tail(1_000_000)).not.toContain('hemmelig-passord');

    await proxy(dbPort);
    const appeared = Date.now();
    let ready = 0;
    while (Date.now() - appeared < 20_000) {
      if ((await call(service.url, 'GET', '/health')).status === 200) {
        ready = Date.now() - appeared;
        break;
      }
      await sleep(100);
    }
    expect(ready).toBeGreaterThan(0);
    expect(service.linesMatching(/is ready \(attempt \d+\)/)).toHaveLength(1);

    const programme = await call(service.url, 'POST', '/api/programmes', { body: programmeBody() });
    expect(programme.status).toBe(201);
    const event = await call(
      service.url,
      'POST',
      `/api/programmes/${programme.body.id}/workflow/events`,
      { body: costEvent('etter oppstart', 1000) },
    );
    expect(event.status).toBe(200);
    expect(event.body.version).toBe(2);
    expect(service.errorLines()).toEqual([]);
    await service.stop();
  }, 60_000);

  it('answers 503 while the connection to the database is cut, and recovers without a restart', async () => {
    // The service reaches PostgreSQL through a proxy; closing the proxy cuts its pooled
    // connections mid-request (as a server restart or a network break does) and refuses new ones.
    const dbPort = await freePort();
    const url = new URL(database.url);
    url.port = String(dbPort);
    let link = await proxy(dbPort);
    const service = await ServiceProcess.start(
      serviceEnv(url.toString(), dataDir, await freePort()),
      30_000,
    );
    const programmes = await createProgrammes(service.url, 2);
    const others: string[] = [];
    const load = new EventLoad(
      () => [service.url],
      programmes,
      4,
      'cut',
      (answer) => {
        if (answer.status === 503) {
          if (
            answer.headers.get('retry-after') !== '5' ||
            !/^application\/problem\+json/.test(answer.headers.get('content-type') ?? '')
          )
            others.push(`503 without Retry-After or problem+json: ${answer.text}`);
        } else if (answer.status !== 200) others.push(`${answer.status}: ${answer.text}`);
      },
    );
    load.start();
    let restoredAt = 0;
    let recovered = 0;
    try {
      await sleep(1000);
      await link.close();
      await sleep(2000);
      link = await proxy(dbPort);
      restoredAt = Date.now();
      while (Date.now() - restoredAt < 20_000) {
        if (load.acks.some((a) => a.at > restoredAt)) {
          recovered = Date.now() - restoredAt;
          break;
        }
        await sleep(50);
      }
      await sleep(500);
    } finally {
      await load.stop();
    }

    expect(others).toEqual([]);
    expect(load.failures).toEqual([]);
    expect(load.unavailable).toBeGreaterThan(0);
    expect(recovered).toBeGreaterThan(0);
    const checks = await checkHistories(service.url, programmes, load.acks, { exact: true });
    expect(checks.flatMap((c) => c.problems)).toEqual([]);
    expect(service.errorLines()).toEqual([]);
    await service.stop();
  }, 60_000);
});
