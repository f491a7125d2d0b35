import { EntitySchema, MikroORM, type Options } from '@mikro-orm/core';
import type { Migrator } from '@mikro-orm/migrations';
import { mikroOrmOptions } from '../../config/mikro-orm.config';
import type { Settings } from '../../config/settings';
import { migrate } from '../../src/database/database.module';
import { entities } from '../../src/database/entities';
import { postgresqlMigrations } from '../../src/migrations/postgresql';
import { sqliteMigrations } from '../../src/migrations/sqlite';
import {
  dialects,
  scratchDatabase,
  type Dialect,
  type ScratchDatabase,
} from '../support/databases';

jest.setTimeout(60_000);

const available = dialects();

/** The application's options, with the migrator's progress lines kept out of the test output. */
function ormOptions(settings: Settings): Options {
  const options = mikroOrmOptions(settings.database);
  return { ...options, migrations: { ...options.migrations, silent: true } };
}

const migrationNames = (dialect: Dialect) =>
  (dialect === 'sqlite' ? sqliteMigrations : postgresqlMigrations).map((m) => m.name);

const expectedTables = [
  'workflow_instance',
  'history_entry',
  'deadline',
  'idempotency_record',
  'programme',
];

/** Raw SQL through the ORM's connection; `?` placeholders on both dialects. */
async function query<T>(orm: MikroORM, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await orm.em.getConnection().execute(sql, params)) as T[];
}

interface IndexInfo {
  unique: boolean;
  columns: string[];
}

/** Every index of a table (including unique constraints), with its columns in order. */
async function indexesOf(orm: MikroORM, dialect: Dialect, table: string): Promise<IndexInfo[]> {
  if (dialect === 'sqlite') {
    const rows = await query<{ name: string; unique: number; column: string }>(
      orm,
      `select il.name as name, il."unique" as "unique", ii.name as "column"
         from pragma_index_list(?) il join pragma_index_info(il.name) ii
        order by il.name, ii.seqno`,
      [table],
    );
    const byName = new Map<string, IndexInfo>();
    for (const row of rows) {
      const index = byName.get(row.name) ?? { unique: Boolean(row.unique), columns: [] };
      index.columns.push(row.column);
      byName.set(row.name, index);
    }
    return [...byName.values()];
  }
  const rows = await query<{ unique: boolean; columns: string }>(
    orm,
    `select ix.indisunique as "unique", string_agg(a.attname, ',' order by k.ord) as columns
       from pg_index ix
       join pg_class t on t.oid = ix.indrelid
       join pg_namespace n on n.oid = t.relnamespace
       cross join lateral unnest(ix.indkey) with ordinality as k(attnum, ord)
       join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum
      where n.nspname = current_schema() and t.relname = ?
      group by ix.indexrelid, ix.indisunique`,
    [table],
  );
  return rows.map((row) => ({ unique: row.unique, columns: row.columns.split(',') }));
}

async function tablesOf(orm: MikroORM, dialect: Dialect): Promise<string[]> {
  const sql =
    dialect === 'sqlite'
      ? "select name from sqlite_master where type = 'table'"
      : "select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'";
  const rows = await query<{ name: string }>(orm, sql);
  return rows.map((row) => row.name);
}

async function migrationRows(orm: MikroORM): Promise<string[]> {
  const rows = await query<{ name: string }>(
    orm,
    'select name from mikro_orm_migrations order by id',
  );
  return rows.map((row) => row.name);
}

/** An entity the migrations know nothing about: its table must show up as a needed migration. */
const MigrationProbeSchema = new EntitySchema<{ id: string; note: string }>({
  name: 'MigrationProbe',
  tableName: 'migration_probe',
  properties: {
    id: { type: 'string', primary: true },
    note: { type: 'string' },
  },
});

describe.each(available)('migrations on %s', (dialect) => {
  let db: ScratchDatabase;
  let settings: Settings;
  let orm: MikroORM;

  beforeEach(async () => {
    db = scratchDatabase(dialect);
    settings = db.settings();
    orm = await MikroORM.init(ormOptions(settings));
  });

  afterEach(async () => {
    await orm?.close(true);
    db?.drop();
  });

  it('applies every migration to a fresh database, in order', async () => {
    expect(await orm.getMigrator<Migrator>().checkMigrationNeeded()).toBe(true);
    const applied = await migrate(orm, settings);
    expect(applied).toEqual(migrationNames(dialect));
    expect(applied.length).toBeGreaterThan(0);
    expect(await migrationRows(orm)).toEqual(migrationNames(dialect));
    expect(await orm.getMigrator<Migrator>().getPendingMigrations()).toEqual([]);
  });

  it('leaves the schema in agreement with the entities', async () => {
    await migrate(orm, settings);
    expect(await orm.getMigrator<Migrator>().checkMigrationNeeded()).toBe(false);
    expect(await orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false })).toBe('');
    const diff = await orm.getSchemaGenerator().getUpdateSchemaMigrationSQL({ wrap: false });
    expect(diff.up.trim()).toBe('');
  });

  it('creates the tables and their indexes', async () => {
    await migrate(orm, settings);
    const tables = await tablesOf(orm, dialect);
    expect(tables).toEqual(expect.arrayContaining([...expectedTables, 'mikro_orm_migrations']));

    expect(await indexesOf(orm, dialect, 'history_entry')).toContainEqual({
      unique: true,
      columns: ['instance_id', 'seq'],
    });
    expect(await indexesOf(orm, dialect, 'deadline')).toContainEqual({
      unique: true,
      columns: ['instance_id', 'key'],
    });
    expect(await indexesOf(orm, dialect, 'deadline')).toContainEqual({
      unique: false,
      columns: ['met', 'due'],
    });
  });

  it('enforces the unique index on history_entry(instance_id, seq)', async () => {
    await migrate(orm, settings);
    const connection = orm.em.getConnection();
    const insert = (id: string) =>
      connection.execute(
        `insert into history_entry (id, instance_id, seq, kind, at, actor_id, actor_role, event_type,
           payload, from_state, to_state, definition_version, snapshot, prev_hash, hash)
         values (?, ?, 1, 'created', '2026-01-01T00:00:00.000Z', 'a', 'admin', 'create', '{}', null,
           's', 'v', '{}', '', 'h')`,
        [id, '00000000-0000-4000-8000-000000000001'],
      );
    await insert('00000000-0000-4000-8000-0000000000a1');
    // Compared by message: better-sqlite3's errors may come from another realm than this test's
    // Error (a native module is loaded once per Jest worker), which defeats `rejects.toThrow()`.
    const error: unknown = await insert('00000000-0000-4000-8000-0000000000a2').then(
      () => 'inserted',
      (reason: unknown) => reason,
    );
    expect(String((error as { message?: unknown }).message)).toMatch(
      /UNIQUE constraint failed: history_entry\.instance_id, history_entry\.seq|"history_entry_instance_seq_unique"/,
    );
  });

  it('is a no-op when migrated twice', async () => {
    await migrate(orm, settings);
    expect(await migrate(orm, settings)).toEqual([]);

    // A second process starting against the migrated database finds nothing to do.
    const again = await MikroORM.init(ormOptions(settings));
    try {
      expect(await migrate(again, settings)).toEqual([]);
      expect(await again.getMigrator<Migrator>().checkMigrationNeeded()).toBe(false);
    } finally {
      await again.close(true);
    }
    expect(await migrationRows(orm)).toEqual(migrationNames(dialect));
  });

  it('notices when an entity has no migration', async () => {
    await migrate(orm, settings);
    const extended = await MikroORM.init({
      ...ormOptions(settings),
      entities: [...entities, MigrationProbeSchema],
    });
    try {
      expect(await extended.getMigrator<Migrator>().checkMigrationNeeded()).toBe(true);
      expect(await extended.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false })).toMatch(
        /create table [`"]migration_probe[`"]/,
      );
    } finally {
      await extended.close(true);
    }
  });
});

if (available.includes('postgresql')) {
  describe('concurrent migrations on postgresql', () => {
    let db: ScratchDatabase;
    const orms: MikroORM[] = [];

    afterEach(async () => {
      await Promise.all(orms.splice(0).map((orm) => orm.close(true)));
      db?.drop();
    });

    it('migrates exactly once when three instances start together', async () => {
      db = scratchDatabase('postgresql');
      const settings = db.settings();
      for (let i = 0; i < 3; i++) {
        orms.push(await MikroORM.init(ormOptions(settings)));
      }

      const results = await Promise.all(orms.map((orm) => migrate(orm, settings)));

      const names = migrationNames('postgresql');
      expect(results.filter((applied) => applied.length > 0)).toEqual([names]);
      expect(results.flat()).toHaveLength(names.length);
      const [count] = await query<{ n: string }>(
        orms[0]!,
        'select count(*) as n from mikro_orm_migrations',
      );
      expect(Number(count!.n)).toBe(names.length);
      for (const orm of orms) {
        expect(await orm.getMigrator<Migrator>().checkMigrationNeeded()).toBe(false);
      }
    });
  });
}
