import { knex } from '@mikro-orm/knex';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sqliteMigrations } from '../src/migrations/sqlite';
import { eventually } from './support/eventually';

/**
 * The real start-up: `node dist/src/main.js` as production runs it. Needs the compiled app
 * (`npm test` builds it first through `pretest`; otherwise run `npm run build`).
 */
const MAIN = join(__dirname, '..', 'dist', 'src', 'main.js');
const EX_CONFIG = 78;
/** How long a graceful shutdown may take after SIGTERM (about 2 s measured on a busy machine). */
const SHUTDOWN_MS = 10_000;

jest.setTimeout(60_000);

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Running {
  child: ChildProcess;
  output(): { stdout: string; stderr: string };
  /** Settles once the process has ended and its output has been read. */
  exited: Promise<Exit>;
}

const running: Running[] = [];
const directories: string[] = [];

afterEach(() => {
  for (const { child } of running.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  for (const dir of directories.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'videreforing-startup-'));
  directories.push(dir);
  return dir;
}

/** A port nobody listens on right now: bind port 0, note what the OS gave, release it. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// eslint-disable-next-line no-control-regex
const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

/** Starts the compiled app with only the given settings in its environment. */
function start(cwd: string, env: Record<string, string>): Running {
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<Exit>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const app: Running = {
    child,
    output: () => ({ stdout: stripAnsi(stdout), stderr: stripAnsi(stderr) }),
    exited,
  };
  running.push(app);
  return app;
}

function describeOutput(app: Running): string {
  const { stdout, stderr } = app.output();
  return `--- stdout ---\n${stdout}\n--- stderr ---\n${stderr}`;
}

/** Resolves when `text` appears on stdout; fails if the process exits or time runs out first. */
async function waitForLog(app: Running, text: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!app.output().stdout.includes(text)) {
    if (app.child.exitCode !== null || app.child.signalCode !== null) {
      throw new Error(
        `exited (${app.child.exitCode}) before logging "${text}"\n${describeOutput(app)}`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(`no "${text}" within ${timeoutMs} ms\n${describeOutput(app)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The exit, or a description of what happened instead within `timeoutMs`. */
async function exitWithin(app: Running, timeoutMs: number): Promise<Exit | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => resolve('still running'), timeoutMs);
  });
  try {
    return await Promise.race([app.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function health(port: number): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://127.0.0.1:${port}/health`);
  return { status: response.status, body: await response.json() };
}

/** The migrations recorded in an SQLite file, read through a read-only connection of our own. */
async function appliedMigrations(file: string): Promise<string[]> {
  const db = knex({
    client: 'better-sqlite3',
    connection: { filename: file, options: { readonly: true } },
    useNullAsDefault: true,
  });
  try {
    return await db<{ id: number; name: string }>('mikro_orm_migrations')
      .orderBy('id')
      .pluck('name');
  } finally {
    await db.destroy();
  }
}

beforeAll(() => {
  if (!existsSync(MAIN)) {
    throw new Error(`${MAIN} is missing: run \`npm run build\` before this test`);
  }
});

describe('node dist/src/main.js', () => {
  it('starts on SQLite, migrates, answers /health and shuts down cleanly on SIGTERM', async () => {
    const cwd = tempDir();
    const file = join(cwd, 'x.sqlite');
    const port = await freePort();
    const app = start(cwd, {
      DATABASE_URL: `sqlite:${file}`,
      PORT: String(port),
      HOST: '127.0.0.1',
      CONFIG_FILE: 'none',
    });

    await waitForLog(app, `Listening on http://127.0.0.1:${port}`);
    expect(await health(port)).toMatchObject({
      status: 200,
      body: { status: 'ok', database: { dialect: 'sqlite', up: true } },
    });
    expect(await appliedMigrations(file)).toEqual(sqliteMigrations.map((m) => m.name));
    // No commit came near wal_autocheckpoint, yet the background checkpointer has copied the
    // migrations out of the WAL: a copy of the database file alone holds them.
    const fileAlone = join(cwd, 'file-alone.sqlite');
    await eventually(async () => {
      copyFileSync(file, fileAlone);
      return (
        (await appliedMigrations(fileAlone).catch(() => [])).length === sqliteMigrations.length
      );
    });

    app.child.kill('SIGTERM');
    const exit = await exitWithin(app, SHUTDOWN_MS);
    if (exit === 'still running') {
      throw new Error(`still running ${SHUTDOWN_MS} ms after SIGTERM\n${describeOutput(app)}`);
    }
    expect(exit).toEqual({ code: 0, signal: null });
    expect(app.output().stderr).not.toMatch(/\berror\b/i);
    // The ORM closed the database: SQLite folds the write-ahead log back in and removes it.
    expect(existsSync(`${file}-wal`)).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it('creates ./data/videreforing.sqlite in the working directory by default', async () => {
    const cwd = tempDir();
    const port = await freePort();
    const app = start(cwd, { PORT: String(port), HOST: '127.0.0.1' });

    await waitForLog(app, `Listening on http://127.0.0.1:${port}`);
    const file = join(cwd, 'data', 'videreforing.sqlite');
    expect(app.output().stdout).toContain(`SQLite ${file}`);
    expect(existsSync(file)).toBe(true);
    expect(await appliedMigrations(file)).toEqual(sqliteMigrations.map((m) => m.name));
    expect((await health(port)).status).toBe(200);

    app.child.kill('SIGTERM');
    expect(await exitWithin(app, SHUTDOWN_MS)).toEqual({ code: 0, signal: null });
  });

  it('exits with 78 naming DATABASE_URL when it is not a supported database', async () => {
    const cwd = tempDir();
    const app = start(cwd, {
      DATABASE_URL: 'mysql://root:hunter2secret@x/videreforing',
      PORT: String(await freePort()),
      CONFIG_FILE: 'none',
    });

    expect(await exitWithin(app, 15_000)).toEqual({ code: EX_CONFIG, signal: null });
    const { stdout, stderr } = app.output();
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toContain('DATABASE_URL="mysql://root:***@x/videreforing"');
    expect(stderr + stdout).not.toContain('hunter2secret');
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  });

  it('exits with 78 naming an unknown key in config/local.json', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, 'config'));
    writeFileSync(
      join(cwd, 'config', 'local.json'),
      JSON.stringify({ PORT: 3000, DATABSE_URL: 'sqlite:./x.sqlite' }),
    );
    const app = start(cwd, {});

    expect(await exitWithin(app, 15_000)).toEqual({ code: EX_CONFIG, signal: null });
    expect(app.output().stderr).toContain('unknown setting "DATABSE_URL"');
    expect(existsSync(join(cwd, 'data'))).toBe(false);
  });
});
