import {
  Inject,
  Injectable,
  Logger,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { Worker } from 'node:worker_threads';
import type { Settings } from '../../config/settings';
import { SETTINGS } from '../common/tokens';
import type { SqliteDriver } from './sql';

/** How often the background thread copies new WAL pages into the database file. */
const CHECKPOINT_INTERVAL_MS = 100;

interface WorkerSettings {
  driver: string;
  file: string;
  synchronous: 'FULL' | 'NORMAL';
  intervalMs: number;
}

/** How long stopping waits for the checkpoint in progress before the thread is terminated. */
const STOP_TIMEOUT_MS = 5_000;

/**
 * The thread's program, run from its source text (`eval`), so that the same code runs under the
 * compiled service and under ts-jest. Self-contained: it sees only `require` and its settings.
 */
function checkpointLoop(
  require: NodeJS.Require,
  { driver, file, synchronous, intervalMs }: WorkerSettings,
): void {
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  const Database = require(driver) as SqliteDriver;
  // Errors are sent as text: better-sqlite3's own error class loses its message on the way.
  const describe = (error: unknown) => (error instanceof Error ? error.message : String(error));
  let db: InstanceType<SqliteDriver>;
  try {
    db = new Database(file, { readonly: false, fileMustExist: true });
    // The checkpointing connection's own setting decides whether a checkpoint syncs the database
    // file before SQLite lets the WAL be overwritten.
    db.pragma(`synchronous = ${synchronous}`);
  } catch (error) {
    parentPort?.postMessage(`cannot open ${file}: ${describe(error)}`);
    parentPort?.close();
    return;
  }
  let lastFailure = '';
  const timer = setInterval(() => {
    try {
      // PASSIVE never waits for the writer or a reader: it copies what it may and returns.
      db.pragma('wal_checkpoint(PASSIVE)');
      lastFailure = '';
    } catch (error) {
      const message = describe(error);
      // Reported once until it changes: the next tick tries again.
      if (message !== lastFailure) parentPort?.postMessage(message);
      lastFailure = message;
    }
  }, intervalMs);
  // Nothing else keeps the thread alive: it exits once the port is closed.
  parentPort?.once('message', () => {
    clearInterval(timer);
    db.close();
    parentPort.close();
  });
}

/**
 * Checkpoints a SQLite database's WAL on a thread of its own. Otherwise the commit that crosses
 * `wal_autocheckpoint` copies every page written since the last checkpoint back into the database
 * file, and syncs it, on the service's one thread: about a tenth of an event's time under load, as
 * a pause of about 100 ms every second or so. With this thread copying as the WAL grows,
 * that commit finds almost everything copied; SQLite's own checkpoint stays as the backstop that
 * completes each round, so the WAL can start over from its beginning and never grows past it.
 */
export class WalCheckpointer {
  private readonly logger = new Logger('Database');
  private readonly closed: Promise<void>;

  private constructor(private readonly worker: Worker) {
    this.closed = new Promise((done) => {
      worker.on('message', (failure: string) => {
        this.logger.warn(`Background WAL checkpoint failed: ${failure}`);
      });
      worker.on('error', (error) => {
        this.logger.warn(`Background WAL checkpoints stopped: ${String(error)}`);
      });
      worker.once('exit', () => done());
    });
    // Never what keeps the process alive.
    worker.unref();
  }

  static start(
    file: string,
    synchronous: 'FULL' | 'NORMAL',
    intervalMs = CHECKPOINT_INTERVAL_MS,
  ): WalCheckpointer {
    const settings: WorkerSettings = {
      driver: require.resolve('better-sqlite3'),
      file,
      synchronous,
      intervalMs,
    };
    const source = `(${checkpointLoop.toString()})(require, require('node:worker_threads').workerData)`;
    return new WalCheckpointer(
      new Worker(source, { eval: true, workerData: settings, execArgv: [] }),
    );
  }

  /** Stops after the checkpoint in progress, if any, and closes the thread's connection. */
  async stop(): Promise<void> {
    this.worker.ref();
    this.worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((done) => (timer = setTimeout(done, STOP_TIMEOUT_MS, 'late')));
    if ((await Promise.race([this.closed, late])) === 'late') await this.worker.terminate();
    clearTimeout(timer);
  }
}

/** The service's checkpoint thread: for a SQLite file, from start-up until the ORM closes. */
@Injectable()
export class WalCheckpoints implements OnModuleInit, OnModuleDestroy {
  private checkpointer: WalCheckpointer | undefined;

  constructor(@Inject(SETTINGS) private readonly settings: Settings) {}

  onModuleInit(): void {
    const database = this.settings.database;
    // PostgreSQL checkpoints by itself; an in-memory database has no WAL (and no file to open).
    if (database.dialect === 'sqlite' && database.file !== ':memory:') {
      this.checkpointer = WalCheckpointer.start(database.file, database.synchronous);
    }
  }

  /** Before the ORM's connection closes (on application shutdown), so that one folds the WAL in. */
  async onModuleDestroy(): Promise<void> {
    await this.checkpointer?.stop();
  }
}
