import { MikroORM } from '@mikro-orm/core';
import type { Migrator } from '@mikro-orm/migrations';
import { MikroOrmModule } from '@mikro-orm/nestjs';
import { Inject, Injectable, Logger, Module, type OnModuleInit } from '@nestjs/common';
import { mikroOrmOptions } from '../../config/mikro-orm.config';
import type { Settings } from '../../config/settings';
import { SETTINGS } from '../common/tokens';

/** Serialises migrations across replicas starting at the same time (PostgreSQL). */
const MIGRATION_LOCK_ID = 727_001;

@Injectable()
export class MigrationRunner implements OnModuleInit {
  private readonly logger = new Logger('Database');

  constructor(
    private readonly orm: MikroORM,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async onModuleInit(): Promise<void> {
    await migrate(this.orm, this.settings, this.logger);
  }
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
  static forRoot(settings: Settings) {
    return {
      module: DatabaseModule,
      imports: [
        MikroOrmModule.forRoot({
          ...mikroOrmOptions(settings.database),
          // Services fork their own EntityManager per unit of work; no implicit request context.
          registerRequestContext: false,
        }),
      ],
      providers: [MigrationRunner],
    };
  }
}
