import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/**
 * The compiled service (`node dist/src/main.js`, as `npm start` runs it) as a child process, and
 * plain HTTP helpers to drive it. tsx cannot boot Nest (it emits no decorator metadata), so the
 * fault tests that kill or overload a real process run the build; `npm run test:faults` builds first.
 */

export const ROOT = resolve(__dirname, '..', '..', '..');
export const MAIN_JS = join(ROOT, 'dist', 'src', 'main.js');
export const ADMIN_TOKEN = 'fault-admin-token-0123456789abcdef';

/** Fails clearly when the build is missing or older than the sources it was built from. */
export function requireBuild(): void {
  if (!existsSync(MAIN_JS)) {
    throw new Error(`${MAIN_JS} is missing: run \`npm run build\` (npm run test:faults does)`);
  }
  const built = statSync(MAIN_JS).mtimeMs;
  const newer = ['src', 'config', 'workflows']
    .flatMap((dir) => sourcesUnder(join(ROOT, dir)))
    .filter((file) => statSync(file).mtimeMs > built);
  if (newer.length > 0) {
    throw new Error(
      `dist/ is older than ${newer.length} source file(s), e.g. ${newer[0]}: run \`npm run build\``,
    );
  }
}

function sourcesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((wake) => setTimeout(wake, ms));
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** The environment of a service child: quiet, no background work, an admin token, one port. */
export function serviceEnv(
  databaseUrl: string,
  dataDir: string,
  port: number,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    CONFIG_FILE: 'none',
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(port),
    ADMIN_TOKEN,
    REMINDER_CRON: 'off',
    MAIL_POLL_SECONDS: '0',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    SQLITE_SYNCHRONOUS: 'NORMAL',
    RATE_LIMIT_PER_MINUTE: '10000000',
    ...extra,
  };
}

const running = new Set<ServiceProcess>();

/** `node dist/src/main.js` with its output kept (for error lines and for failure messages). */
export class ServiceProcess {
  private output = '';
  private exited = false;
  private readonly closed: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    const keep = (chunk: Buffer) => {
      this.output += chunk.toString('utf8');
      // Keep the tail only: a long run must not hold every log line.
      if (this.output.length > 2_000_000) this.output = this.output.slice(-1_000_000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.closed = new Promise((done) =>
      child.on('close', () => {
        this.exited = true;
        running.delete(this);
        done();
      }),
    );
    running.add(this);
  }

  /**
   * Starts the service and waits until GET /health answers 200, or with `until: 'listening'` until
   * it answers at all (a 503 while the database is not ready counts).
   */
  static async start(
    env: Record<string, string>,
    timeoutMs = 60_000,
    until: 'ready' | 'listening' = 'ready',
  ): Promise<ServiceProcess> {
    const url = `http://127.0.0.1:${env.PORT}`;
    const child = spawn(process.execPath, [MAIN_JS], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child, url);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (service.exited) throw new Error(`The service exited on start: ${service.tail()}`);
      try {
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
        await response.text();
        if (response.status === 200 || until === 'listening') return service;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await service.kill();
        throw new Error(`The service did not become ready: ${service.tail()}`);
      }
      await sleep(50);
    }
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  /** Log lines (JSON) whose message matches `pattern`. */
  linesMatching(pattern: RegExp): string[] {
    return this.output.split('\n').filter((line) => pattern.test(line));
  }

  /** SIGKILL: no handler runs, nothing is flushed or rolled back by the process itself. */
  async kill(): Promise<void> {
    if (!this.exited) this.child.kill('SIGKILL');
    await this.closed;
  }

  /** SIGTERM (a clean shutdown), then SIGKILL if it has not ended after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.closed;
    clearTimeout(timer);
  }

  /** Log lines at level error or fatal (Nest's JSON logger and Fastify's pino alike). */
  errorLines(): string[] {
    return this.output
      .split('\n')
      .filter((line) => /"level":\s*(?:"(?:error|fatal)"|(?:50|60)\b)/.test(line));
  }

  tail(chars = 3000): string {
    return this.output.slice(-chars);
  }
}

/** Ends every service child still running (afterAll, and after a failed test). */
export async function stopAllServices(): Promise<void> {
  await Promise.all([...running].map((service) => service.kill()));
}

// ---- HTTP ----------------------------------------------------------------------------------------

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
  ms: number;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** One request; throws (a TypeError from fetch) when the connection fails or is dropped. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${options.token ?? ADMIN_TOKEN}`,
    ...options.headers,
  };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const started = performance.now();
  const response = await fetch(base + path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return {
    status: response.status,
    headers: response.headers,
    body,
    text,
    ms: performance.now() - started,
  };
}

/** Why a request failed, for reports: the cause's code when fetch gives one. */
export function describeError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}

/** A valid programme body (SPEC §4); its videreføring instance starts in «initiering». */
export function programmeBody(overrides: Record<string, unknown> = {}) {
  return {
    municipality: 'Nordkyn',
    municipalityNumber: '5636',
    programmeStart: '2026-01-01',
    programmeEnd: '2031-12-31',
    board: [{ name: 'Kari Nordmann', email: 'kari@example.no', role: 'styreleder' }],
    administrators: [{ name: 'Siri Sekretær', email: 'siri@nordkyn.kommune.no' }],
    mayor: { name: 'Ola Ordfører', email: 'ordforer@nordkyn.kommune.no' },
    ...overrides,
  };
}

export interface CreatedProgramme {
  id: string;
  instanceId: string;
}

export async function createProgrammes(
  base: string,
  count: number,
  overrides: (n: number) => Record<string, unknown> = () => ({}),
): Promise<CreatedProgramme[]> {
  const created: CreatedProgramme[] = [];
  for (let n = 0; n < count; n += 1) {
    const answer = await call(base, 'POST', '/api/programmes', {
      body: programmeBody({ municipality: `Kommune ${n}`, ...overrides(n) }),
    });
    if (answer.status !== 201) {
      throw new Error(`Creating a programme gave ${answer.status}: ${answer.text.slice(0, 500)}`);
    }
    created.push({ id: answer.body.id, instanceId: answer.body.instanceId });
  }
  return created;
}

/** `cost.record` is accepted in every phase: the event the load sends. Its description is its key. */
export function costEvent(key: string, amountNok: number): Record<string, unknown> {
  return {
    type: 'cost.record',
    category: 'andreKostnader',
    amountNok,
    date: '2026-03-02',
    description: key,
  };
}

// ---- load with acknowledgements --------------------------------------------------------------------

export interface Ack {
  key: string;
  programmeId: string;
  version: number;
  amount: number;
  /** Requests it took: more than one when a kill or an outage interrupted it. */
  attempts: number;
  /** When the 2xx arrived (Date.now()). */
  at: number;
}

export interface Failure {
  key: string;
  status: number | string;
  text: string;
}

/**
 * Concurrent senders of `cost.record`, each with a fresh Idempotency-Key, to random programmes on
 * random service URLs. A request that fails without an answer (the process was killed, or is not
 * up yet) or gets 503 is retried with the same key and body until it is answered, as a careful
 * client would: so in the end every key issued has a 2xx, and the history must hold exactly them.
 * Any other answer (a 500, a 4xx) is a failure and the key is given up.
 */
export class EventLoad {
  readonly acks: Ack[] = [];
  readonly failures: Failure[] = [];
  /** Requests that got no answer (connection refused, reset or timed out), by cause. */
  readonly interrupted = new Map<string, number>();
  unavailable = 0;
  private stopping = false;
  private workers: Promise<void>[] = [];

  constructor(
    private readonly urls: () => string[],
    private readonly programmes: CreatedProgramme[],
    private readonly senders: number,
    private readonly label = 'load',
    /** Sees every answer (2xx or not) as it arrives, e.g. to check what an outage looked like. */
    private readonly observe?: (answer: Answer) => void,
  ) {}

  start(): void {
    this.workers = Array.from({ length: this.senders }, (_, w) => this.worker(w));
  }

  /** Stops issuing new keys and waits until every key in flight is answered. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.workers);
  }

  get interruptions(): number {
    return [...this.interrupted.values()].reduce((a, b) => a + b, 0);
  }

  private async worker(w: number): Promise<void> {
    for (let n = 0; !this.stopping; n += 1) {
      const key = `${this.label}-w${w}-${n}`;
      const programme = this.programmes[Math.floor(Math.random() * this.programmes.length)]!;
      const amount = 1 + ((w * 7919 + n * 104_729) % 100_000);
      const path = `/api/programmes/${programme.id}/workflow/events`;
      for (let attempt = 1; ; attempt += 1) {
        const urls = this.urls();
        const base = urls[Math.floor(Math.random() * urls.length)]!;
        try {
          const answer = await call(base, 'POST', path, {
            body: costEvent(key, amount),
            headers: { 'idempotency-key': key },
            timeoutMs: 20_000,
          });
          this.observe?.(answer);
          if (answer.status >= 200 && answer.status < 300) {
            this.acks.push({
              key,
              programmeId: programme.id,
              version: Number(answer.body.version),
              amount,
              attempts: attempt,
              at: Date.now(),
            });
            break;
          }
          if (answer.status === 503) {
            this.unavailable += 1;
          } else {
            this.failures.push({ key, status: answer.status, text: answer.text.slice(0, 1000) });
            break;
          }
        } catch (error) {
          const cause = describeError(error);
          this.interrupted.set(cause, (this.interrupted.get(cause) ?? 0) + 1);
          if (attempt >= 2000) {
            this.failures.push({ key, status: 'no answer', text: cause });
            break;
          }
        }
        await sleep(20 + Math.random() * 60);
      }
    }
  }
}

// ---- what the history must show ----------------------------------------------------------------------

export interface HistoryCheck {
  programmeId: string;
  /** The history's entries as the API gives them. */
  items: any[];
  entries: number;
  version: number;
  costs: number;
  /** What went wrong for this programme; empty when everything holds. */
  problems: string[];
}

/** All entries of a programme's history, page by page, over HTTP. */
export async function fullHistory(base: string, programmeId: string): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '?limit=200' : `?limit=200&cursor=${cursor}`;
    const page = await call(base, 'GET', `/api/programmes/${programmeId}/workflow/history${query}`);
    if (page.status !== 200) throw new Error(`history gave ${page.status}: ${page.text}`);
    items.push(...page.body.items);
    cursor = page.body.nextCursor;
  } while (cursor !== null);
  return items;
}

/**
 * Over HTTP, for each programme: seq 1..n without a gap, version == n, the chain verifies, every
 * acknowledged event is in the history exactly once at the version its 2xx reported, no event is
 * there that was not acknowledged (`exact`), and the state's costs are the history's, in order.
 */
export async function checkHistories(
  base: string,
  programmes: CreatedProgramme[],
  acks: Ack[],
  options: { exact: boolean },
): Promise<HistoryCheck[]> {
  const checks: HistoryCheck[] = [];
  for (const programme of programmes) {
    const problems: string[] = [];
    const mine = acks.filter((a) => a.programmeId === programme.id);
    const entries = await fullHistory(base, programme.id);
    const seqs = entries.map((e) => Number(e.seq));
    const gap = seqs.findIndex((seq, i) => seq !== i + 1);
    if (gap >= 0) problems.push(`seq ${seqs[gap]} at position ${gap + 1}: a gap or a fork`);
    if (entries[0]?.kind !== 'created') problems.push('the first entry is not the creation');

    const events = entries.filter((e) => e.event.type === 'cost.record');
    const keys = events.map((e) => String(e.event.payload.description));
    const counts = new Map<string, number>();
    for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1);
    if (twice.length > 0)
      problems.push(`applied more than once: ${JSON.stringify(twice.slice(0, 5))}`);
    for (const ack of mine) {
      const entry = entries[ack.version - 1];
      if (!counts.has(ack.key)) {
        problems.push(`acknowledged ${ack.key} (version ${ack.version}) is not in the history`);
      } else if (entry?.event.payload.description !== ack.key) {
        problems.push(
          `acknowledged ${ack.key} as version ${ack.version}, but entry ${ack.version} is ${entry?.event.payload.description}`,
        );
      } else if (entry.event.payload.amountNok !== ack.amount) {
        problems.push(`${ack.key}: amount ${entry.event.payload.amountNok} ≠ ${ack.amount}`);
      }
    }
    if (options.exact) {
      const acked = new Set(mine.map((a) => a.key));
      const extra = keys.filter((k) => !acked.has(k));
      if (extra.length > 0)
        problems.push(`in the history but never acknowledged: ${extra.slice(0, 5).join(', ')}`);
    }

    const verify = await call(base, 'GET', `/api/programmes/${programme.id}/workflow/verify`);
    if (
      verify.status !== 200 ||
      verify.body.valid !== true ||
      verify.body.entries !== entries.length
    ) {
      problems.push(`verify: ${verify.status} ${verify.text.slice(0, 300)}`);
    }
    const view = await call(base, 'GET', `/api/programmes/${programme.id}/workflow`);
    if (view.status !== 200) problems.push(`view: ${view.status}`);
    const version = Number(view.body?.version);
    if (version !== entries.length) problems.push(`version ${version} ≠ ${entries.length} entries`);
    const costs: any[] = view.body?.context?.costs ?? [];
    const stateKeys = costs.map((c) => String(c.description));
    if (JSON.stringify(stateKeys) !== JSON.stringify(keys)) {
      problems.push('the state’s costs are not the history’s cost events in order');
    }
    const stateSum = costs.reduce((sum, c) => sum + Number(c.amountNok), 0);
    const historySum = events.reduce((sum, e) => sum + Number(e.event.payload.amountNok), 0);
    const ackSum = mine.reduce((sum, a) => sum + a.amount, 0);
    if (stateSum !== historySum) problems.push(`state sum ${stateSum} ≠ history sum ${historySum}`);
    if (options.exact && stateSum !== ackSum)
      problems.push(`state sum ${stateSum} ≠ acknowledged sum ${ackSum}`);
    checks.push({
      programmeId: programme.id,
      items: entries,
      entries: entries.length,
      version,
      costs: costs.length,
      problems,
    });
  }
  return checks;
}
