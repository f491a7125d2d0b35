import { MikroORM } from '@mikro-orm/core';
import type { Migrator } from '@mikro-orm/migrations';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mikroOrmOptions } from '../config/mikro-orm.config';

/**
 * Writes the next migration for both dialects from the entities: applies the existing migrations
 * to a scratch database of each kind, diffs it against the entities, and writes the difference
 * to src/migrations/<dialect>/. Needs PostgreSQL (PG_ADMIN_URL, default postgres://postgres@127.0.0.1:5432/postgres).
 */
async function main(): Promise<void> {
  const name = process.argv[2];
  if (name !== undefined && !/^[A-Za-z0-9_]+$/.test(name)) {
    throw new Error(
      `The migration name becomes part of a class name: use letters, digits and _ («${name}»)`,
    );
  }
  const sourceRoot = join(process.cwd(), 'src', 'migrations');

  const scratch = mkdtempSync(join(tmpdir(), 'videreforing-migration-'));
  await createFor(
    'sqlite',
    { dialect: 'sqlite', file: join(scratch, 'scratch.sqlite'), synchronous: 'NORMAL' },
    sourceRoot,
    name,
  );
  rmSync(scratch, { recursive: true, force: true });

  const admin = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const db = `videreforing_migration_${Date.now()}`;
  execFileSync('psql', [admin, '-qc', `CREATE DATABASE ${db}`]);
  try {
    const url = new URL(admin);
    url.pathname = `/${db}`;
    await createFor(
      'postgresql',
      { dialect: 'postgresql', url: url.toString(), poolSize: 2 },
      sourceRoot,
      name,
    );
  } finally {
    execFileSync('psql', [admin, '-qc', `DROP DATABASE IF EXISTS ${db}`]);
  }
}

async function createFor(
  dialect: 'sqlite' | 'postgresql',
  database: Parameters<typeof mikroOrmOptions>[0],
  sourceRoot: string,
  name: string | undefined,
): Promise<void> {
  const dir = join(sourceRoot, dialect);
  const options = mikroOrmOptions(database);
  const orm = await MikroORM.init({
    ...options,
    migrations: { ...options.migrations, path: dir, pathTs: dir },
  });
  try {
    const migrator = orm.getMigrator<Migrator>();
    await migrator.up();
    const result = await migrator.createMigration(dir, false, false, name);
    console.log(
      result.fileName ? `${dialect}: wrote ${result.fileName}` : `${dialect}: no changes`,
    );
  } finally {
    await orm.close(true);
  }
  writeIndex(dir, dialect);
}

function writeIndex(dir: string, dialect: 'sqlite' | 'postgresql'): void {
  const files = readdirSync(dir)
    .filter((f) => /^Migration\d+.*\.ts$/.test(f))
    .sort()
    .map((f) => f.replace(/\.ts$/, ''));
  const exportName = dialect === 'sqlite' ? 'sqliteMigrations' : 'postgresqlMigrations';
  const lines = [
    "import type { MigrationObject } from '@mikro-orm/core';",
    ...files.map((f) => `import { ${f} } from './${f}';`),
    '',
    '/** Applied in order; `npm run migration:create` appends new ones. */',
    `export const ${exportName}: MigrationObject[] = [`,
    ...files.map((f) => `  { name: '${f}', class: ${f} },`),
    '];',
    '',
  ];
  const index = join(dir, 'index.ts');
  writeFileSync(index, lines.join('\n'));
  execFileSync(join(process.cwd(), 'node_modules', '.bin', 'prettier'), ['--write', index]);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
