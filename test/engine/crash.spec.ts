import { MikroORM } from '@mikro-orm/core';
import type { Knex } from '@mikro-orm/knex';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mikroOrmOptions } from '../../config/mikro-orm.config';
import type { Settings } from '../../config/settings';
import { ManualClock } from '../../src/common/clock';
import { migrate } from '../../src/database/database.module';
import { DeadlineRow } from '../../src/engine/deadline.entity';
import { DefinitionRegistry } from '../../src/engine/definition-registry';
import { EngineService } from '../../src/engine/engine.service';
import { WorkflowInstance } from '../../src/engine/workflow-instance.entity';
import type { Verification } from '../../src/history/hash-chain';
import { definitions } from '../../workflows';
import { dialects, scratchDatabase, type ScratchDatabase } from '../support/databases';
import { nordkyn, payloads } from '../support/videreforing-driver';

/**
 * A process killed in the middle of a send (SIGKILL, so no handler, no rollback from the process
 * itself) leaves either all of the send's transaction or none of it: the snapshot, the history
 * entry, the deadlines. And a send the process reported as done is never lost.
 */

const ROOT = resolve(__dirname, '..', '..');
const CHILD_SCRIPT = join(ROOT, 'test', 'fixtures', 'engine-child.ts');
/**
 * Kills per database. A broken transaction shows only when a kill lands between its parts, so more
 * rounds on SQLite; PostgreSQL also gets a deterministic kill inside the transaction (below).
 */
const ROUNDS = { sqlite: 8, postgresql: 6 } as const;
const admin = { id: 'token-admin', role: 'admin' };
const registry = new DefinitionRegistry(definitions);

// ---- the child process ------------------------------------------------------------------------

const running = new Set<Child>();

/** test/fixtures/engine-child.ts under tsx, its stdout read line by line. */
class Child {
  readonly lines: string[] = [];
  private stderr = '';
  private pending = '';
  private exited = false;
  private readonly closed: Promise<number | null>;
  private listeners: (() => void)[] = [];

  private constructor(private readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.pending += chunk;
      const parts = this.pending.split('\n');
      this.pending = parts.pop() ?? '';
      this.lines.push(...parts);
      this.notify();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    child.stdin!.on('error', () => undefined);
    this.closed = new Promise((done) =>
      child.on('close', (code) => {
        this.exited = true;
        running.delete(this);
        this.notify();
        done(code);
      }),
    );
    running.add(this);
  }

  /** Starts the child; with `--wait-go` it loads its modules and then waits for `go()`. */
  static spawn(url: string, args: string[]): Child {
    return new Child(
      spawn(process.execPath, ['--import', 'tsx', CHILD_SCRIPT, url, ...args], {
        cwd: ROOT,
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
  }

  /** Versions of the sends the child reported as committed, in order. */
  get acks(): number[] {
    return this.lines.filter((l) => l.startsWith('ack ')).map((l) => Number(l.split(' ')[1]));
  }

  go(): void {
    this.child.stdin!.write('go\n');
  }

  /** The first line matching `pattern`, waiting for it as long as the child lives. */
  async waitFor(pattern: RegExp, timeoutMs = 90_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const line of this.lines) {
        const match = pattern.exec(line);
        if (match) return match;
      }
      if (this.exited) throw new Error(`The child exited before ${pattern}: ${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No ${pattern} from the child: ${this.describe()}`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        this.listeners.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
  }

  /** SIGKILL, then wait until every line it wrote has been read. It must still be running. */
  async kill(): Promise<void> {
    if (this.exited || this.child.exitCode !== null) {
      throw new Error(`The child had already exited: ${this.describe()}`);
    }
    this.child.kill('SIGKILL');
    await this.closed;
    if (this.child.signalCode !== 'SIGKILL') {
      throw new Error(`The child ended otherwise than by SIGKILL: ${this.describe()}`);
    }
  }

  /** Waits for the child to end by itself; its exit code. */
  exit(): Promise<number | null> {
    return this.closed;
  }

  /** For afterAll: kills the child if it is still running. */
  async stop(): Promise<void> {
    if (!this.exited) this.child.kill('SIGKILL');
    await this.closed;
  }

  describe(): string {
    return `stdout ${JSON.stringify(this.lines.slice(-5))}, stderr ${JSON.stringify(this.stderr)}`;
  }

  private notify(): void {
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}

/** Kills every child still running (e.g. those a failed test never started). */
async function stopAll(): Promise<void> {
  await Promise.all([...running].map((child) => child.stop()));
}

afterAll(stopAll);

// ---- looking at the database afterwards ---------------------------------------------------------

type StoredDeadline = Pick<
  DeadlineRow,
  'key' | 'kind' | 'due' | 'met' | 'recipients' | 'label' | 'source'
>;

interface Inspection {
  version: number;
  lastSeq: number;
  headHash: string;
  maxSeq: number;
  entries: number;
  /** The deadline rows, and the deadlines the stored snapshot implies at its last change. */
  deadlines: StoredDeadline[];
  derivedDeadlines: StoredDeadline[];
  verification: Verification;
  viewVersion: number;
  viewContext: unknown;
  replayedContext: unknown;
  /** SQLite only: `PRAGMA integrity_check`. */
  integrity?: string;
}

const byKey = (a: StoredDeadline, b: StoredDeadline) =>
  a.key < b.key ? -1 : a.key > b.key ? 1 : 0;

function stored(d: StoredDeadline): StoredDeadline {
  return {
    key: d.key,
    kind: d.kind,
    due: d.due,
    met: d.met,
    recipients: d.recipients,
    label: d.label,
    source: d.source,
  };
}

/** Opens the database with a fresh ORM (recovering a SQLite WAL left by the killed process). */
async function inspect(settings: Settings, instanceId: string): Promise<Inspection> {
  const orm = await openOrm(settings);
  try {
    const em = orm.em.fork();
    if (settings.database.dialect === 'postgresql') {
      // The killed process's sessions may still be ending: a COMMIT it had sent still commits,
      // anything else is rolled back. Look only once they are gone.
      await until('the killed process’s database sessions to end', async () => {
        const [row] = await em.getConnection().execute<{ n: number }[]>(
          `select count(*)::int as n from pg_stat_activity where datname = current_database()
              and backend_type = 'client backend' and pid <> pg_backend_pid()`,
        );
        return row?.n === 0 ? true : undefined;
      });
    }
    const instance = await em.findOneOrFail(WorkflowInstance, { id: instanceId });
    const [aggregate] = await em
      .getConnection()
      .execute<{ n: number | string; m: number | string | null }[]>(
        'select count(*) as n, max(seq) as m from history_entry where instance_id = ?',
        [instanceId],
      );
    const rows = await em.find(DeadlineRow, { instanceId });
    const registered = registry.get(instance.definitionId);
    const snapshot = registry.restore(instance.definitionId, instance.snapshot);
    const derived = registered.definition.deadlines(
      snapshot,
      instance.updatedAt,
      settings.definitionSettings,
    );
    const engine = new EngineService(orm, registry, new ManualClock(instance.updatedAt), settings);
    const view = await engine.view(instanceId);
    const replayed = await engine.replay(instanceId);
    let integrity: string | undefined;
    if (settings.database.dialect === 'sqlite') {
      const [check] = await em
        .getConnection()
        .execute<{ integrity_check: string }[]>('pragma integrity_check');
      integrity = check?.integrity_check;
    }
    return {
      version: instance.version,
      lastSeq: instance.lastSeq,
      headHash: instance.headHash,
      maxSeq: Number(aggregate?.m ?? 0),
      entries: Number(aggregate?.n ?? 0),
      deadlines: rows.map(stored).sort(byKey),
      derivedDeadlines: derived.map(stored).sort(byKey),
      verification: await engine.verify(instanceId),
      viewVersion: view.version,
      viewContext: view.context,
      replayedContext: replayed.context as unknown,
      ...(integrity === undefined ? {} : { integrity }),
    };
  } finally {
    await orm.close(true);
  }
}

/** Everything that must hold whatever moment the process died at. */
function expectConsistent(state: Inspection): void {
  expect(state.integrity ?? 'ok').toBe('ok');
  expect(state.lastSeq).toBe(state.version);
  expect(state.maxSeq).toBe(state.version);
  expect(state.entries).toBe(state.version);
  expect(state.viewVersion).toBe(state.version);
  expect(state.verification).toEqual({ valid: true, entries: state.entries });
  expect(state.replayedContext).toEqual(state.viewContext);
  expect(state.deadlines).toEqual(state.derivedDeadlines);
}

/** A new instance in forstudie, written by the test process, which then lets go of the database. */
async function createInForstudie(settings: Settings): Promise<string> {
  const orm = await openOrm(settings);
  try {
    await migrate(orm, settings);
    const clock = new ManualClock('2026-03-02T08:00:00.000Z');
    const engine = new EngineService(orm, registry, clock, settings);
    const { instanceId } = await engine.create('videreforing', nordkyn, admin);
    await engine.send(instanceId, { type: 'roles.assign', ...payloads.internalRoles }, admin);
    const view = await engine.send(instanceId, { type: 'forstudie.start' }, admin);
    expect(view).toMatchObject({ state: 'forstudie.arbeid', version: 3 });
    return instanceId;
  } finally {
    await orm.close(true);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((wake) => setTimeout(wake, ms));
}

/** Polls `probe` until it gives a value, or fails after `timeoutMs`. */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(25);
  }
}

/** A fresh ORM on the database; quiet, so that the migrator does not fill the test output. */
function openOrm(settings: Settings): Promise<MikroORM> {
  return MikroORM.init({ ...mikroOrmOptions(settings.database), logger: () => undefined });
}

function knexOf(orm: MikroORM): Knex {
  return (orm.em.getConnection() as unknown as { getKnex(): Knex }).getKnex();
}

async function pgRows<T = unknown>(
  knex: Knex,
  sql: string,
  bindings: readonly Knex.RawBinding[] = [],
): Promise<T[]> {
  const result = await knex.raw<{ rows: T[] }>(sql, bindings);
  return result.rows;
}

// ---- the tests ----------------------------------------------------------------------------------

const available = dialects();

describe.each(available)('a send killed at a random moment on %s', (dialect) => {
  let database: ScratchDatabase;
  let settings: Settings;
  let instanceId: string;

  beforeAll(async () => {
    database = scratchDatabase(dialect);
    settings = database.settings();
    instanceId = await createInForstudie(settings);
  }, 60_000);

  afterAll(async () => {
    await stopAll();
    database?.drop();
  });

  it('leaves all of the transaction or none of it, and loses no acknowledged send', async () => {
    // Random moments spread over 20–300 ms after the child has begun its loop.
    const rounds = ROUNDS[dialect];
    const delays = Array.from({ length: rounds }, (_, i) =>
      Math.round(20 + (280 * (i + Math.random())) / rounds),
    );
    // Loading the modules under tsx takes seconds; every child does it up front, in parallel, and
    // opens the database only when told to go, so that only one process has it open at a time.
    const children = delays.map(() => Child.spawn(database.url, [instanceId, '--wait-go']));
    let before = (await inspect(settings, instanceId)).version;
    let acknowledged = 0;

    for (const [round, delay] of delays.entries()) {
      const child = children[round]!;
      const label = `${dialect}, round ${round + 1}, killed ${delay} ms into the loop`;
      try {
        child.go();
        const [, , startVersion] = await child.waitFor(/^ready (\S+) (\d+)$/);
        expect(Number(startVersion)).toBe(before);
        await child.waitFor(/^loop$/);
        await sleep(delay);
        await child.kill();

        if (settings.database.dialect === 'sqlite') {
          // Killed with the database open: its write-ahead log is left behind, not checkpointed.
          expect(existsSync(`${settings.database.file}-wal`)).toBe(true);
        }
        const acks = child.acks;
        const after = await inspect(settings, instanceId);
        if (settings.database.dialect === 'sqlite') {
          // A clean close of the last connection checkpoints and removes the log.
          expect(existsSync(`${settings.database.file}-wal`)).toBe(false);
        }

        expectConsistent(after);
        // Each acknowledged send committed one entry, in order, and none of them is lost ...
        expect(acks).toEqual(acks.map((_, i) => before + i + 1));
        expect(after.version).toBeGreaterThanOrEqual(before + acks.length);
        // ... and at most the one send in flight at the kill committed without being reported.
        expect(after.version).toBeLessThanOrEqual(before + acks.length + 1);
        acknowledged += acks.length;
        before = after.version;
      } catch (error) {
        if (error instanceof Error) error.message = `${label}: ${error.message}`;
        throw error;
      }
    }
    // The kills must have hit a process that was busy committing sends.
    expect(acknowledged).toBeGreaterThanOrEqual(rounds);
  }, 150_000);
});

if (available.includes('postgresql')) {
  describe('a send killed while it waits inside its transaction on postgresql', () => {
    let database: ScratchDatabase;
    let settings: Settings;
    let instanceId: string;

    beforeAll(async () => {
      database = scratchDatabase('postgresql');
      settings = database.settings();
      instanceId = await createInForstudie(settings);
    }, 60_000);

    afterAll(async () => {
      await stopAll();
      database?.drop();
    });

    it('rolls back the history entry and the instance update already written', async () => {
      const victim = Child.spawn(database.url, [instanceId, '--once', '--wait-go']);
      const control = Child.spawn(database.url, [instanceId, '--once', '--wait-go']);
      const before = await inspect(settings, instanceId);
      expectConsistent(before);

      const orm = await openOrm(settings);
      try {
        const knex = knexOf(orm);
        const blocker = await knex.transaction();
        let backendPid: number;
        try {
          // The send writes its history entry and the instance, then must wait at the deadlines.
          await blocker.raw('lock table deadline in access exclusive mode');
          victim.go();
          await victim.waitFor(/^sending /);
          const waiting = await until('the send to wait for the deadline table', async () => {
            const rows = await pgRows<{ pid: number; query: string }>(
              knex,
              `select pid, query from pg_stat_activity
                where datname = current_database() and wait_event_type = 'Lock'
                  and query ilike '%from deadline where instance_id%'`,
            );
            return rows[0];
          });
          backendPid = waiting.pid;
          const locks = await pgRows<{ relname: string; mode: string; granted: boolean }>(
            knex,
            `select c.relname, l.mode, l.granted from pg_locks l join pg_class c on c.oid = l.relation
              where l.pid = ? and c.relname in ('history_entry', 'workflow_instance', 'deadline')`,
            [backendPid],
          );
          // Its open transaction has inserted into history_entry and updated workflow_instance.
          expect(locks).toEqual(
            expect.arrayContaining([
              { relname: 'history_entry', mode: 'RowExclusiveLock', granted: true },
              { relname: 'workflow_instance', mode: 'RowExclusiveLock', granted: true },
              // It reads the stored deadlines before rewriting them: that read waits.
              { relname: 'deadline', mode: 'AccessShareLock', granted: false },
            ]),
          );
          expect(victim.acks).toEqual([]);
          await victim.kill();
        } finally {
          await blocker.rollback();
        }
        // Released, the orphaned backend finds its client gone and ends, rolling back.
        await until('the killed send’s backend to end', async () => {
          const rows = await pgRows(knex, 'select 1 from pg_stat_activity where pid = ?', [
            backendPid,
          ]);
          return rows.length === 0 ? true : undefined;
        });
      } finally {
        await orm.close(true);
      }

      expect(victim.acks).toEqual([]);
      const after = await inspect(settings, instanceId);
      expectConsistent(after);
      expect(after).toEqual(before);

      // The same send, unhindered, commits: the rollback above was the kill's doing.
      control.go();
      expect(await control.exit()).toBe(0);
      expect(control.acks).toEqual([before.version + 1]);
      const done = await inspect(settings, instanceId);
      expectConsistent(done);
      expect(done.entries).toBe(before.entries + 1);
    }, 150_000);
  });
}
