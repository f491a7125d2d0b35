import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scratchDatabase, type ScratchDatabase } from '../support/databases';
import {
  call,
  checkHistories,
  costEvent,
  createProgrammes,
  describeError,
  freePort,
  requireBuild,
  ServiceProcess,
  serviceEnv,
  sleep,
  stopAllServices,
  type Ack,
  type Answer,
  type CreatedProgramme,
} from './support/service';

/**
 * Issue 7: overload, on the compiled service (SQLite, synchronous=NORMAL) as a child process.
 *
 * 1. With a low rate limit (RATE_LIMIT_PER_MINUTE=300, per client and route), 64 concurrent
 *    clients hammer it for 6 s: thousands of requests against the 300 a minute per route it
 *    accepts. Every answer must be a 2xx, a 429 problem with Retry-After, or a 503 problem; never
 *    a 500, never a dropped connection.
 * 2. Without a rate limit (as if from many clients), events arrive open-loop at twice the rate the
 *    service was just measured to sustain: every request is still answered (2xx, or a 503/429
 *    problem), none dropped, and once the burst is over the backlog drains and latency is back.
 * 3. Once the last Retry-After has passed, the rate-limited service accepts ordinary requests at
 *    their earlier speed. On both services every acknowledged event is in the history exactly
 *    once, and no refused one is; nothing was logged as an internal error.
 *
 * Test 2 runs while test 1's Retry-After (up to 60 s: the throttler's window) runs out.
 */

const LIMIT = 300;
const CLIENTS = 64;
const HAMMER_MS = 6000;
const MEASURE_MS = 2500;
const OPEN_LOOP_MS = 6000;

requireBuild();

type Route = 'event' | 'view';

interface Outcome {
  route: Route;
  status: number;
  contentType: string | null;
  retryAfter: string | null;
  problemStatus: unknown;
  at: number;
  ms: number;
}

/** A service with its programmes and the events it acknowledged. */
class Target {
  readonly acks: Ack[] = [];
  programmes: CreatedProgramme[] = [];
  private sequence = 0;

  constructor(
    readonly service: ServiceProcess,
    private readonly label: string,
  ) {}

  /** One event with a fresh Idempotency-Key, or one read of a programme's workflow. */
  async request(route: Route): Promise<Answer> {
    const n = (this.sequence += 1);
    const programme = this.programmes[n % this.programmes.length]!;
    const base = this.service.url;
    if (route === 'view') return call(base, 'GET', `/api/programmes/${programme.id}/workflow`);
    const key = `${this.label}-${n}`;
    const amount = 100 + (n % 1000);
    const answer = await call(base, 'POST', `/api/programmes/${programme.id}/workflow/events`, {
      body: costEvent(key, amount),
      headers: { 'idempotency-key': key },
      timeoutMs: 90_000,
    });
    if (answer.status === 200) {
      this.acks.push({
        key,
        programmeId: programme.id,
        version: answer.body.version,
        amount,
        attempts: 1,
        at: Date.now(),
      });
    }
    return answer;
  }

  /** Ordinary use: requests one at a time, events and reads in turn. */
  async sequential(count: number): Promise<Answer[]> {
    const answers: Answer[] = [];
    for (let i = 0; i < count; i += 1)
      answers.push(await this.request(i % 2 === 0 ? 'event' : 'view'));
    return answers;
  }
}

function outcome(route: Route, answer: Answer, at = performance.now(), ms = answer.ms): Outcome {
  return {
    route,
    status: answer.status,
    contentType: answer.headers.get('content-type'),
    retryAfter: answer.headers.get('retry-after'),
    problemStatus: answer.body?.status,
    at,
    ms,
  };
}

/** Answers that are neither a 2xx nor a refusal as a problem document (429 with Retry-After). */
function unacceptable(outcomes: Outcome[]): Outcome[] {
  return outcomes.filter((o) => {
    if (o.status >= 200 && o.status < 300) return false;
    if (o.status !== 429 && o.status !== 503) return true;
    if (!o.contentType?.startsWith('application/problem+json') || o.problemStatus !== o.status)
      return true;
    return o.status === 429 && !/^[1-9]\d*$/.test(o.retryAfter ?? '');
  });
}

const byStatus = (outcomes: Outcome[]) =>
  outcomes.reduce<Record<number, number>>(
    (all, o) => ({ ...all, [o.status]: (all[o.status] ?? 0) + 1 }),
    {},
  );

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

const median = (answers: Answer[]) =>
  quantile(
    answers.map((a) => a.ms),
    0.5,
  );

describe('overload on sqlite (synchronous=NORMAL)', () => {
  const databases: ScratchDatabase[] = [];
  let dataDir: string;
  let limited: Target;
  let unlimited: Target;
  let limitedBefore: Answer[] = [];
  let retryAt = 0;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'videreforing-faults-'));
    const start = async (label: string, rateLimit: string) => {
      const database = scratchDatabase('sqlite');
      databases.push(database);
      const env = serviceEnv(database.url, join(dataDir, label), await freePort(), {
        RATE_LIMIT_PER_MINUTE: rateLimit,
      });
      const target = new Target(await ServiceProcess.start(env), label);
      target.programmes = await createProgrammes(target.service.url, 16);
      return target;
    };
    [limited, unlimited] = await Promise.all([
      start('limited', String(LIMIT)),
      start('unlimited', '10000000'),
    ]);
  }, 60_000);

  afterAll(async () => {
    await stopAllServices();
    for (const database of databases) database.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it(`with a rate limit of ${LIMIT}/min: only 2xx, 429 or 503 problems under a hammer, none dropped`, async () => {
    limitedBefore = await limited.sequential(10);
    expect(limitedBefore.map((a) => a.status)).toEqual(Array(10).fill(200));

    // Each client sends its next request as soon as it has the answer to the last.
    const outcomes: Outcome[] = [];
    const dropped: string[] = [];
    const start = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_, client) => {
        // At least HAMMER_MS, and until four times the limit has been asked (at most 20 s).
        const going = () => {
          const elapsed = performance.now() - start;
          return elapsed < HAMMER_MS || (outcomes.length < 4 * LIMIT && elapsed < 20_000);
        };
        for (let n = 0; going(); n += 1) {
          const route: Route = (client + n) % 10 < 7 ? 'event' : 'view';
          try {
            outcomes.push(outcome(route, await limited.request(route)));
          } catch (error) {
            dropped.push(describeError(error));
          }
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    const refused = outcomes.filter((o) => o.status === 429);
    retryAt = Math.max(
      ...refused.map((o) => o.at + Number(o.retryAfter) * 1000),
      performance.now(),
    );
    const accepted = (route: Route) =>
      outcomes.filter((o) => o.route === route && o.status === 200).length;
    console.log(
      `[faults] overload, rate-limited: ${outcomes.length + dropped.length} requests in ${seconds.toFixed(1)} s ` +
        `(${Math.round((outcomes.length + dropped.length) / seconds)}/s from ${CLIENTS} clients, ` +
        `limit ${LIMIT}/min per route): ${JSON.stringify(byStatus(outcomes))}, accepted ` +
        `${accepted('event')} events and ${accepted('view')} reads, dropped ${dropped.length}, ` +
        `slowest ${Math.round(Math.max(...outcomes.map((o) => o.ms)))} ms`,
    );

    expect(dropped).toEqual([]);
    expect(unacceptable(outcomes)).toEqual([]);
    // Overloaded indeed: far more requests than the limit, most of them refused ...
    expect(outcomes.length).toBeGreaterThan(4 * LIMIT);
    expect(refused.length).toBeGreaterThan(LIMIT);
    expect(refused.every((o) => Number(o.retryAfter) <= 60)).toBe(true);
    // ... and what was accepted stayed within the limit per route (five of each before the hammer).
    expect(accepted('event')).toBeGreaterThan(0);
    expect(accepted('event')).toBeLessThanOrEqual(LIMIT - 5);
    expect(accepted('view')).toBeLessThanOrEqual(LIMIT - 5);
  }, 60_000);

  it('without a rate limit, at twice the rate it sustains: every request answered, the backlog drains', async () => {
    const before = await unlimited.sequential(10);
    expect(before.map((a) => a.status)).toEqual(Array(10).fill(200));

    // Its maximum now: 16 clients sending events back to back.
    const measured: Answer[] = [];
    const measureStart = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (performance.now() < measureStart + MEASURE_MS)
          measured.push(await unlimited.request('event'));
      }),
    );
    const maximum =
      measured.filter((a) => a.status === 200).length / ((performance.now() - measureStart) / 1000);
    expect(measured.map((a) => a.status).filter((s) => s !== 200)).toEqual([]);

    // Open loop: requests leave on a fixed schedule at twice that, whether or not answers come;
    // each one's latency counts from when it was due to leave.
    const rate = 2 * maximum;
    const outcomes: Outcome[] = [];
    const dropped: string[] = [];
    const launched: Promise<void>[] = [];
    const start = performance.now();
    for (let i = 0; ; i += 1) {
      const due = start + (i * 1000) / rate;
      if (due >= start + OPEN_LOOP_MS) break;
      const wait = due - performance.now();
      if (wait > 1) await sleep(wait);
      launched.push(
        unlimited.request('event').then(
          (answer) =>
            void outcomes.push(
              outcome('event', answer, performance.now(), performance.now() - due),
            ),
          (error: unknown) => void dropped.push(describeError(error)),
        ),
      );
    }
    await Promise.all(launched);
    const drainedAfter = (performance.now() - start) / 1000;
    const after = await unlimited.sequential(10);
    const latencies = outcomes.map((o) => o.ms);
    console.log(
      `[faults] overload, no rate limit: sustained ${maximum.toFixed(0)} events/s (16 clients), then ` +
        `${launched.length} events open-loop at ${rate.toFixed(0)}/s for ${OPEN_LOOP_MS / 1000} s: ` +
        `${JSON.stringify(byStatus(outcomes))}, dropped ${dropped.length}, latency p50 ` +
        `${quantile(latencies, 0.5).toFixed(0)} ms, p99 ${quantile(latencies, 0.99).toFixed(0)} ms, ` +
        `max ${Math.max(...latencies).toFixed(0)} ms; all answered after ${drainedAfter.toFixed(1)} s; ` +
        `median latency before ${median(before).toFixed(1)} ms, after ${median(after).toFixed(1)} ms`,
    );

    expect(dropped).toEqual([]);
    expect(unacceptable(outcomes)).toEqual([]);
    expect(after.map((a) => a.status)).toEqual(Array(10).fill(200));
    expect(median(after)).toBeLessThan(Math.max(5 * median(before), 250));
    const checks = await checkHistories(
      unlimited.service.url,
      unlimited.programmes,
      unlimited.acks,
      {
        exact: true,
      },
    );
    expect(checks.flatMap((c) => c.problems)).toEqual([]);
    expect(unlimited.service.errorLines()).toEqual([]);
  }, 90_000);

  it('with a rate limit: ordinary requests succeed again once the Retry-After has passed', async () => {
    const waitMs = retryAt - performance.now() + 500;
    await sleep(waitMs);
    const after = await limited.sequential(20);
    console.log(
      `[faults] overload, rate-limited: waited ${(Math.max(0, waitMs) / 1000).toFixed(1)} s more for ` +
        `Retry-After; median latency before ${median(limitedBefore).toFixed(1)} ms, after ` +
        `${median(after).toFixed(1)} ms; ${limited.acks.length} events acknowledged in all`,
    );
    expect(after.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(median(after)).toBeLessThan(Math.max(5 * median(limitedBefore), 250));
    // Every acknowledged event is in the history once; no refused one is.
    const checks = await checkHistories(limited.service.url, limited.programmes, limited.acks, {
      exact: true,
    });
    expect(checks.flatMap((c) => c.problems)).toEqual([]);
    expect(limited.service.errorLines()).toEqual([]);
  }, 90_000);
});
