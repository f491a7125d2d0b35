import { MikroORM } from '@mikro-orm/core';
import type { Migrator } from '@mikro-orm/migrations';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import {
  Inject,
  Injectable,
  Logger,
  Module,
  type DynamicModule,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { mikroOrmOptions } from '../../config/mikro-orm.config';
import { redact, type Settings } from '../../config/settings';
import { describeCause, isUnavailable } from '../common/to-problem';
import { SETTINGS } from '../common/tokens';
import { DatabaseReadiness } from './readiness';
import { WalCheckpoints } from './wal-checkpointer';

/** Serialises migrations across replicas starting at the same time (PostgreSQL). */
const MIGRATION_LOCK_ID = 727_001;

/** Waits between attempts to reach PostgreSQL: doubling from the first, never above the cap. */
export const RETRY_FIRST_MS = 500;
export const RETRY_CAP_MS = 10_000;

/** PostgreSQL errors that waiting may mend besides an unreachable server (see isUnavailable). */
const TRANSIENT_CODES = new Set([
  '3D000', // the database does not exist (yet): another replica may be creating it
  '55P03', // lock not available
  '40001', // serialization failure
  '40P01', // deadlock
  '57014', // statement cancelled
]);

/**
 * Makes the database ready: on SQLite (a local file, always there) it migrates during start-up and
 * a failure stops it, as before. On PostgreSQL it tries once during start-up; if the server cannot
 * be reached it logs why and keeps trying in the background, with a capped backoff, while the
 * service already listens and answers 503. Errors that waiting does not mend (a failing migration,
 * a refused password) stop start-up, or, found later, are reported through DatabaseReadiness.
 */
@Injectable()
export class MigrationRunner implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Database');
  private stopped = false;
  private wake: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** The database named in DATABASE_URL (ensureDatabase switches it while creating it). */
  private readonly dbName: string | undefined;

  constructor(
    private readonly orm: MikroORM,
    private readonly readiness: DatabaseReadiness,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    this.dbName = orm.config.get('dbName');
  }

  async onModuleInit(): Promise<void> {
    if (this.settings.database.dialect === 'sqlite') {
      await migrate(this.orm, this.settings, this.logger);
      this.readiness.markReady();
      return;
    }
    if ((await this.attempt(1)) === 'retry') void this.keepTrying(2);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
  }

  private async keepTrying(from: number): Promise<void> {
    for (let attempt = from; !this.stopped; attempt += 1) {
      await this.pause(retryDelay(attempt));
      if (this.stopped) return;
      try {
        if ((await this.attempt(attempt)) !== 'retry') return;
      } catch (error) {
        this.logger.error(
          `PostgreSQL ${this.where()} cannot be migrated, and waiting will not help: ${describeCause(error)}`,
        );
        this.readiness.fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
    }
  }

  /** One try at creating the database if missing and applying the migrations. */
  private async attempt(attempt: number): Promise<'ready' | 'retry' | 'stopped'> {
    try {
      await this.orm.schema.ensureDatabase();
      await migrate(this.orm, this.settings, this.logger);
    } catch (error) {
      if (this.stopped) return 'stopped';
      if (!isTransient(error)) throw error;
      await this.restoreDbName();
      this.logger.warn(
        `PostgreSQL ${this.where()} is not ready (attempt ${attempt}): ${describeCause(error)}; ` +
          `API requests answer 503 until it is; next attempt in ${retryDelay(attempt + 1) / 1000} s`,
      );
      return 'retry';
    }
    this.readiness.markReady();
    if (attempt > 1) this.logger.log(`PostgreSQL ${this.where()} is ready (attempt ${attempt})`);
    return 'ready';
  }

  /** ensureDatabase points the ORM at the management database while it creates ours. */
  private async restoreDbName(): Promise<void> {
    if (this.orm.config.get('dbName') === this.dbName) return;
    await this.orm.reconnect({ dbName: this.dbName }).catch(() => undefined);
  }

  private pause(ms: number): Promise<void> {
    return new Promise((done) => {
      this.wake = done;
      this.timer = setTimeout(done, ms);
    });
  }

  private where(): string {
    return this.settings.database.dialect === 'postgresql'
      ? redact(this.settings.database.url)
      : this.settings.database.file;
  }
}

export function retryDelay(attempt: number): number {
  return Math.min(RETRY_CAP_MS, RETRY_FIRST_MS * 2 ** Math.max(0, attempt - 2));
}

function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return isUnavailable(error) || (typeof code === 'string' && TRANSIENT_CODES.has(code));
}

/** Applies pending migrations; on PostgreSQL under an advisory lock so replicas take turns. */
export async function migrate(
  orm: MikroORM,
  settings: Settings,
  logger?: Logger,
): Promise<string[]> {
  const migrator = orm.getMigrator<Migrator>();
  const run = async () => (await migrator.up()).map((m) => m.name);
  let applied: string[];
  if (settings.database.dialect === 'postgresql') {
    const knex = (
      orm.em.getConnection() as unknown as { getKnex(): import('@mikro-orm/knex').Knex }
    ).getKnex();
    applied = await knex.transaction(async (trx) => {
      await trx.raw('select pg_advisory_xact_lock(?)', [MIGRATION_LOCK_ID]);
      return run();
    });
  } else {
    applied = await run();
  }
  if (applied.length > 0) logger?.log(`Applied migrations: ${applied.join(', ')}`);
  return applied;
}

@Module({})
export class DatabaseModule {
  static forRoot(settings: Settings): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        MikroOrmModule.forRoot({
          ...mikroOrmOptions(settings.database),
          // Services fork their own EntityManager per unit of work; no implicit request context.
          registerRequestContext: false,
          // PostgreSQL may be down at start: connect on first use (MigrationRunner) rather than
          // fail start-up. SQLite is a local file: connect now, so a bad path stops start-up.
          connect: settings.database.dialect === 'sqlite',
        }),
      ],
      providers: [DatabaseReadiness, MigrationRunner, WalCheckpoints],
      exports: [DatabaseReadiness],
    };
  }
}
