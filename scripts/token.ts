import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/core';
import { parseArgs } from 'node:util';
import { mikroOrmOptions } from '../config/mikro-orm.config';
import { ConfigurationError, loadSettings } from '../config/settings';
import { ROLES, type Role } from '../src/auth/principal';
import { TokensService } from '../src/auth/tokens.service';
import { SystemClock } from '../src/common/clock';
import { DomainError } from '../src/common/errors';
import { migrate } from '../src/database/database.module';

const USAGE = `Bruk / usage:
  npm run token -- create --role <admin|board|projectLeader|auditor> --label "<tekst>" [--programme <id> …]
  npm run token -- list
  npm run token -- revoke <token-id>

The secret of a new token is printed once; only its hash is stored.`;

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      label: { type: 'string' },
      programme: { type: 'string', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, argument] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return;
  }
  const settings = loadSettings();
  const orm = await MikroORM.init(mikroOrmOptions(settings.database));
  try {
    await migrate(orm, settings);
    const tokens = new TokensService(orm, new SystemClock(), settings);
    switch (command) {
      case 'create': {
        const role = values.role as Role | undefined;
        if (!role || !ROLES.includes(role))
          throw new Usage(`--role must be one of ${ROLES.join(', ')}`);
        if (!values.label?.trim()) throw new Usage('--label is required');
        const created = await tokens.create(
          { role, label: values.label.trim(), programmeIds: values.programme ?? null },
          'cli',
        );
        console.log(JSON.stringify(created, null, 2));
        break;
      }
      case 'list':
        console.log(JSON.stringify(await tokens.list(), null, 2));
        break;
      case 'revoke':
        if (!argument) throw new Usage('revoke needs a token id');
        if (!(await tokens.revoke(argument)))
          throw new Usage(`No active token with id ${argument}`);
        console.log(`Revoked ${argument}`);
        break;
      default:
        throw new Usage(`Unknown command "${command}"`);
    }
  } finally {
    await orm.close(true);
  }
}

class Usage extends Error {}

main().catch((error: unknown) => {
  if (
    error instanceof Usage ||
    error instanceof ConfigurationError ||
    error instanceof DomainError
  ) {
    console.error(error.message);
    if (error instanceof Usage) console.error(`\n${USAGE}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});
