import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { config } from './config';

export const ROOT = resolve(__dirname, '..');

// ---- statistics --------------------------------------------------------------------------------

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile of raw samples. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function fmt(value: number, digits = 0): string {
  if (!Number.isFinite(value)) return 'n/a';
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export const pct = (share: number, digits = 1): string => `${fmt(share * 100, digits)} %`;
export const ratio = (value: number): string => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');

/**
 * Instances to make for about `expectedEvents` events from `senders` senders, each moving to a fresh
 * instance after `eventsPerInstance` events (one spare per sender).
 */
export function instancesFor(expectedEvents: number, senders: number): number {
  return senders * (Math.ceil(expectedEvents / senders / config.eventsPerInstance) + 1);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

export function log(message: string): void {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

// ---- the machine -------------------------------------------------------------------------------

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  node: string;
  os: string;
  loadStart: number[];
  sqlite: string;
  postgres: string | null;
}

export function machine(postgres: string | null, sqlite: string): Machine {
  const list = cpus();
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    node: process.version,
    os: `${process.platform} ${readRelease()}`,
    loadStart: loadavg().map((l) => round(l, 2)),
    sqlite,
    postgres,
  };
}

function readRelease(): string {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(text)?.[1] ?? '';
  } catch {
    return '';
  }
}

// ---- cleanup: everything started or created here is stopped or removed on the way out ------------

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const pgDatabases = new Set<string>();

export function cleanupSync(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  children.clear();
  for (const name of pgDatabases) dropPgDatabase(name);
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

export function tempDir(prefix = 'videreforing-bench-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

// ---- stores ------------------------------------------------------------------------------------

export type StoreKind = 'sqlite-full' | 'sqlite-normal' | 'postgresql';

export const STORE_LABEL: Record<StoreKind, string> = {
  'sqlite-full': 'SQLite FULL',
  'sqlite-normal': 'SQLite NORMAL',
  postgresql: 'PostgreSQL',
};

export interface Store {
  kind: StoreKind;
  label: string;
  /** The DATABASE_URL. */
  url: string;
  /** Data directory (mail, and the SQLite file). */
  dir: string;
  /** The SQLite file, or the PostgreSQL connection URL. */
  file?: string;
  synchronous: 'FULL' | 'NORMAL';
  /** Settings as environment variables for this store. */
  env: Record<string, string>;
  drop(): void;
}

function psql(sql: string, url = config.pgAdminUrl): string {
  const result = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-tAqc', sql], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.status !== 0)
    throw new Error(`psql failed: ${result.stderr || result.error?.message}`);
  return result.stdout.trim();
}

function dropPgDatabase(name: string): void {
  try {
    psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } catch (error) {
    console.error(`Could not drop ${name}: ${(error as Error).message}`);
  }
  pgDatabases.delete(name);
}

/** The PostgreSQL server version, or null when it is not reachable (or not wanted). */
export function postgresVersion(): string | null {
  if (config.postgres === '0') return null;
  try {
    return psql('show server_version');
  } catch (error) {
    if (config.postgres === '1') {
      throw new Error(`BENCH_POSTGRES=1 but ${config.pgAdminUrl} does not answer`, {
        cause: error,
      });
    }
    return null;
  }
}

export function scratchStore(kind: StoreKind): Store {
  const dir = tempDir();
  if (kind !== 'postgresql') {
    const file = join(dir, 'videreforing.sqlite');
    const synchronous = kind === 'sqlite-full' ? 'FULL' : 'NORMAL';
    return {
      kind,
      label: STORE_LABEL[kind],
      url: `sqlite:${file}`,
      dir,
      file,
      synchronous,
      env: { DATABASE_URL: `sqlite:${file}`, SQLITE_SYNCHRONOUS: synchronous, DATA_DIR: dir },
      drop: () => removeDir(dir),
    };
  }
  const name = `videreforing_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  psql(`CREATE DATABASE ${name}`);
  pgDatabases.add(name);
  const url = new URL(config.pgAdminUrl);
  url.pathname = `/${name}`;
  return {
    kind,
    label: STORE_LABEL[kind],
    url: url.toString(),
    dir,
    synchronous: 'FULL',
    env: { DATABASE_URL: url.toString(), DATA_DIR: dir },
    drop: () => {
      dropPgDatabase(name);
      removeDir(dir);
    },
  };
}

// ---- the compiled service ----------------------------------------------------------------------

let distRoot = join(ROOT, 'dist');
let distRequire: NodeJS.Require | undefined;

/** The compiled service the benchmark runs (a private copy once `snapshotDist` has run). */
export function distDir(): string {
  return distRoot;
}

/**
 * Copies the compiled service (`dist/`, or BENCH_DIST) to a private directory, so that a rebuild
 * by someone else during the run cannot change the code under measurement half-way. Its
 * node_modules is a link to the project's, so both load the very same packages.
 */
export function snapshotDist(): string {
  const source = resolve(process.env.BENCH_DIST ?? join(ROOT, 'dist'));
  if (!existsSync(join(source, 'src', 'main.js'))) {
    throw new Error(`${source}/src/main.js is missing: run \`npm run build\` first`);
  }
  const root = tempDir('videreforing-bench-build-');
  cpSync(source, join(root, 'dist'), { recursive: true });
  copyFileSync(join(ROOT, 'package.json'), join(root, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  distRoot = join(root, 'dist');
  distRequire = undefined;
  return source;
}

const loaded = new Map<string, unknown>();

/** A module of the compiled service (Nest DI needs tsc's decorator metadata, which tsx lacks). */
export function dist<T>(path: string): T {
  const file = join(distRoot, path);
  if (!loaded.has(file)) {
    if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first`);
    distRequire ??= createRequire(join(distRoot, 'src', 'main.js'));
    loaded.set(file, distRequire(file));
  }
  return loaded.get(file) as T;
}

/** Every setting the service reads: none of them leaks in from the caller's environment. */
const SETTING_KEYS = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'SQLITE_SYNCHRONOUS',
  'DATABASE_POOL_SIZE',
  'DATA_DIR',
  'SMTP_URL',
  'MAIL_FROM',
  'PUBLIC_URL',
  'REMINDER_CRON',
  'REMINDER_OFFSETS_DAYS',
  'ADMIN_TOKEN',
  'REPORT_DECISION_DAYS',
  'IDEMPOTENCY_RETENTION_HOURS',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'INSPECT',
  'RATE_LIMIT_PER_MINUTE',
  'BODY_LIMIT_BYTES',
  'CORS_ORIGINS',
  'MAIL_POLL_SECONDS',
  'MAIL_BATCH_SIZE',
  'MAIL_LEASE_SECONDS',
  'MAIL_RETRY_BASE_SECONDS',
  'MAIL_RETRY_CAP_SECONDS',
  'CONFIG_FILE',
];

export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of SETTING_KEYS) delete env[key];
  delete env.NODE_OPTIONS;
  return { ...env, CONFIG_FILE: 'none', ...extra };
}

export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

export interface Child {
  name: string;
  url: string;
  pid: number;
  logFile: string;
  /** Milliseconds from spawn to the first 200 from /health. */
  startMs: number;
  rssBytes(): number;
  cpuMs(): number;
  /** Sends a message over the IPC channel (`ipc: true`) and waits for the answer with its id. */
  ask<T>(message: Record<string, unknown>, timeoutMs?: number): Promise<T>;
  stop(): Promise<void>;
}

export interface ChildOptions {
  /** Node's own options before the script, e.g. `--expose-gc` or `-r <preload>`. */
  nodeArgs?: string[];
  /** Opens an IPC channel to the child (for a preloaded probe such as bench/memory-probe.ts). */
  ipc?: boolean;
}

/**
 * Starts a Node program (the compiled service or the bare app) on a free port with the given
 * environment, its output in a log file, and waits until /health answers 200.
 */
export async function startChild(
  name: string,
  script: string,
  env: Record<string, string>,
  cwd: string,
  options: ChildOptions = {},
): Promise<Child> {
  const port = await freePort();
  const logFile = join(cwd, `${name.replace(/[^a-z0-9-]+/gi, '_')}.log`);
  const fd = openSync(logFile, 'a');
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script], {
    cwd,
    env: cleanEnv({ ...env, PORT: String(port), HOST: '127.0.0.1' }),
    stdio: options.ipc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd],
  });
  closeSync(fd);
  children.add(child);
  const pending = new Map<number, (answer: unknown) => void>();
  let asked = 0;
  child.on('message', (answer: { id?: number }) => {
    const done = answer.id === undefined ? undefined : pending.get(answer.id);
    if (answer.id !== undefined) pending.delete(answer.id);
    done?.(answer);
  });
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}): ${tail(logFile)}`);
      }
      if (performance.now() - started > 120_000) throw new Error(`${name} did not start in 120 s`);
      try {
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        if (response.status === 200) break;
      } catch {
        // not listening yet
      }
      await sleep(10);
    }
  } catch (error) {
    child.kill('SIGKILL');
    children.delete(child);
    throw error;
  }
  const startMs = performance.now() - started;
  const pid = child.pid!;
  return {
    name,
    url,
    pid,
    logFile,
    startMs,
    rssBytes: () => rssOf(pid),
    cpuMs: () => cpuMsOf(pid),
    ask: <T>(message: Record<string, unknown>, timeoutMs = 120_000) => {
      if (!child.send) return Promise.reject(new Error(`${name} has no IPC channel`));
      asked += 1;
      const id = asked;
      return new Promise<T>((done, fail) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          fail(new Error(`${name} did not answer ${JSON.stringify(message)} in ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, (answer) => {
          clearTimeout(timer);
          done(answer as T);
        });
        child.send({ ...message, id });
      });
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      children.delete(child);
    },
  };
}

export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n').slice(-4000);
  } catch {
    return '(no log)';
  }
}

/** Resident set size of a process, from /proc. */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  return kb === undefined ? Number.NaN : Number(kb) * 1024;
}

let ticksPerSecond: number | undefined;

/** CPU time (user + system) a process has used so far, in milliseconds, from /proc. */
export function cpuMsOf(pid: number): number {
  ticksPerSecond ??=
    Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name (which may contain spaces) in parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/** CPU time of this process in microseconds. */
export function ownCpuUs(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

export const mb = (bytes: number): string => `${fmt(bytes / 1024 ** 2, 1)} MB`;

/** Counts the errors the service logged (level error or fatal) in its log file. */
export function loggedErrors(file: string): string[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => /"level":\s*("error"|"fatal"|50|60)\b/.test(line))
      .map((line) => line.slice(0, 600));
  } catch {
    return [];
  }
}
