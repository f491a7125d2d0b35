import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, loadSettings, parseDatabaseUrl, redact } from './settings';

/** A scratch working directory, optionally holding config files. */
let cwd: string;

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'videreforing-settings-'));
});

afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

function writeConfig(relativePath: string, content: unknown): string {
  const path = join(cwd, relativePath);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** The problems `loadSettings` reports; fails the test if it does not throw a ConfigurationError. */
function problemsOf(env: NodeJS.ProcessEnv): string[] {
  let caught: unknown;
  try {
    loadSettings(env, cwd);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ConfigurationError);
  const error = caught as ConfigurationError;
  for (const problem of error.problems) expect(error.message).toContain(problem);
  return error.problems;
}

describe('loadSettings defaults', () => {
  it('runs on an SQLite file under ./data with durable commits', () => {
    const settings = loadSettings({}, cwd);
    expect(settings).toMatchObject({
      port: 3000,
      host: '0.0.0.0',
      database: {
        dialect: 'sqlite',
        file: join(cwd, 'data', 'videreforing.sqlite'),
        synchronous: 'FULL',
      },
      dataDir: join(cwd, 'data'),
      mailFrom: 'Videreføring <ikke-svar@videreforing.local>',
      publicUrl: 'http://localhost:3000',
      reminderCron: '*/15 * * * *',
      reminderOffsetsDays: [30, 14, 7, 1, 0],
      definitionSettings: {},
      idempotencyRetentionHours: 24,
      logLevel: 'log',
      inspect: false,
    });
    expect(settings.smtpUrl).toBeUndefined();
    expect(settings.adminToken).toBeUndefined();
  });

  it('resolves the default file against the working directory it is given', () => {
    const other = join(cwd, 'elsewhere');
    expect(loadSettings({}, other).database).toEqual({
      dialect: 'sqlite',
      file: join(other, 'data', 'videreforing.sqlite'),
      synchronous: 'FULL',
    });
  });

  it('sorts reminder offsets from the furthest to the nearest, without duplicates', () => {
    const settings = loadSettings({ REMINDER_OFFSETS_DAYS: '0, 7,30,7,1' }, cwd);
    expect(settings.reminderOffsetsDays).toEqual([30, 7, 1, 0]);
  });

  it('takes the public URL without trailing slashes and follows the port', () => {
    expect(loadSettings({ PORT: '8080' }, cwd).publicUrl).toBe('http://localhost:8080');
    expect(loadSettings({ PUBLIC_URL: 'https://videreforing.no//' }, cwd).publicUrl).toBe(
      'https://videreforing.no',
    );
  });
});

describe('DATABASE_URL', () => {
  it('resolves a relative SQLite path against the working directory', () => {
    expect(loadSettings({ DATABASE_URL: 'sqlite:db/x.sqlite' }, cwd).database).toEqual({
      dialect: 'sqlite',
      file: join(cwd, 'db', 'x.sqlite'),
      synchronous: 'FULL',
    });
    expect(loadSettings({ DATABASE_URL: 'sqlite:./x.sqlite' }, cwd).database).toMatchObject({
      file: join(cwd, 'x.sqlite'),
    });
  });

  it('keeps an absolute SQLite path, with or without sqlite://', () => {
    expect(loadSettings({ DATABASE_URL: 'sqlite:/var/lib/v.sqlite' }, cwd).database).toMatchObject({
      dialect: 'sqlite',
      file: '/var/lib/v.sqlite',
    });
    expect(
      loadSettings({ DATABASE_URL: 'sqlite:///var/lib/v.sqlite' }, cwd).database,
    ).toMatchObject({ dialect: 'sqlite', file: '/var/lib/v.sqlite' });
  });

  it('accepts an in-memory SQLite database', () => {
    expect(loadSettings({ DATABASE_URL: 'sqlite::memory:' }, cwd).database).toEqual({
      dialect: 'sqlite',
      file: ':memory:',
      synchronous: 'FULL',
    });
  });

  it('takes SQLITE_SYNCHRONOUS in any case and rejects other values', () => {
    expect(loadSettings({ SQLITE_SYNCHRONOUS: 'normal' }, cwd).database).toMatchObject({
      synchronous: 'NORMAL',
    });
    const problems = problemsOf({ SQLITE_SYNCHRONOUS: 'OFF' });
    expect(problems).toEqual([expect.stringContaining('SQLITE_SYNCHRONOUS="OFF"')]);
  });

  it.each(['postgres', 'postgresql'])('accepts %s:// URLs', (scheme) => {
    const url = `${scheme}://app:secret@db.example:5432/videreforing`;
    expect(loadSettings({ DATABASE_URL: url }, cwd).database).toEqual({
      dialect: 'postgresql',
      url,
      poolSize: 10,
    });
    expect(loadSettings({ DATABASE_URL: url, DATABASE_POOL_SIZE: '3' }, cwd).database).toEqual({
      dialect: 'postgresql',
      url,
      poolSize: 3,
    });
  });

  it.each([
    ['mysql://root@localhost/videreforing', 'must start with sqlite: or postgres://'],
    ['sqlite:', 'needs a file path'],
    ['postgres://localhost', 'must name a host and a database'],
    ['postgres://localhost:5432/', 'must name a host and a database'],
    ['postgres://', 'must name a host and a database'],
    ['./data/videreforing.sqlite', 'must start with sqlite: or postgres://'],
    ['', 'must start with sqlite: or postgres://'],
  ])('rejects DATABASE_URL=%j', (url, reason) => {
    const problems = problemsOf({ DATABASE_URL: url });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('DATABASE_URL');
    expect(problems[0]).toContain(reason);
  });

  it('rejects an unparseable PostgreSQL URL', () => {
    const problems = problemsOf({ DATABASE_URL: 'postgres://host:notaport/db' });
    expect(problems).toEqual([expect.stringMatching(/^DATABASE_URL=.*is not a valid URL/)]);
  });

  it.each([
    'mysql://root:hunter2secret@localhost/videreforing',
    'postgres://app:hunter2secret@localhost',
    'postgresql://app:hunter2secret@localhost:5432/',
  ])('keeps the password of %s out of the error', (url) => {
    const problems = problemsOf({ DATABASE_URL: url });
    expect(problems).toEqual([expect.stringContaining('DATABASE_URL')]);
    expect(problems[0]).toContain(':***@localhost');
    let message = '';
    try {
      loadSettings({ DATABASE_URL: url }, cwd);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('DATABASE_URL');
    expect(message).not.toContain('hunter2secret');
  });

  it('rejects a pool size out of range', () => {
    const url = 'postgres://app@localhost/videreforing';
    expect(problemsOf({ DATABASE_URL: url, DATABASE_POOL_SIZE: '0' })).toEqual([
      expect.stringContaining('DATABASE_POOL_SIZE="0"'),
    ]);
    expect(problemsOf({ DATABASE_URL: url, DATABASE_POOL_SIZE: '201' })).toEqual([
      expect.stringContaining('DATABASE_POOL_SIZE="201"'),
    ]);
  });
});

describe('parseDatabaseUrl', () => {
  const options = { synchronous: 'FULL', poolSize: 4 };

  it('collects problems instead of throwing', () => {
    const problems: string[] = [];
    const database = parseDatabaseUrl('mysql://x', cwd, problems, options);
    expect(problems).toEqual([expect.stringContaining('DATABASE_URL="mysql://x"')]);
    expect(database.dialect).toBe('sqlite');
  });

  it('adds nothing for good URLs', () => {
    const problems: string[] = [];
    expect(parseDatabaseUrl('sqlite:a.sqlite', '/srv/app', problems, options)).toEqual({
      dialect: 'sqlite',
      file: '/srv/app/a.sqlite',
      synchronous: 'FULL',
    });
    expect(parseDatabaseUrl('postgresql://u@h/d', '/srv/app', problems, options)).toEqual({
      dialect: 'postgresql',
      url: 'postgresql://u@h/d',
      poolSize: 4,
    });
    expect(problems).toEqual([]);
  });
});

describe('redact', () => {
  it.each([
    ['postgres://app:secret@localhost:5432/db', 'postgres://app:***@localhost:5432/db'],
    ['smtps://mailer:p%40ss:w0rd@smtp.example', 'smtps://mailer:***@smtp.example'],
    ['postgres://app@localhost/db', 'postgres://app@localhost/db'],
    ['sqlite:./data/videreforing.sqlite', 'sqlite:./data/videreforing.sqlite'],
  ])('redact(%j) is %j', (url, expected) => {
    expect(redact(url)).toBe(expected);
  });
});

describe('the JSON configuration file', () => {
  it('is read from config/local.json by default', () => {
    writeConfig('config/local.json', { PORT: 4000, LOG_LEVEL: 'debug', INSPECT: true });
    const settings = loadSettings({}, cwd);
    expect(settings.port).toBe(4000);
    expect(settings.logLevel).toBe('debug');
    expect(settings.inspect).toBe(true);
  });

  it('names an unknown key', () => {
    const path = writeConfig('config/local.json', { PORT: 4000, DATABSE_URL: 'sqlite:x' });
    const problems = problemsOf({});
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('unknown setting "DATABSE_URL"');
    expect(problems[0]).toContain(path);
  });

  it('is read from CONFIG_FILE, relative to the working directory', () => {
    writeConfig('etc/videreforing.json', { PORT: '4100' });
    expect(loadSettings({ CONFIG_FILE: 'etc/videreforing.json' }, cwd).port).toBe(4100);
    writeConfig('etc/bad.json', { NOT_A_SETTING: 'x' });
    expect(problemsOf({ CONFIG_FILE: join(cwd, 'etc', 'bad.json') })).toEqual([
      expect.stringContaining('unknown setting "NOT_A_SETTING"'),
    ]);
  });

  it('is ignored with CONFIG_FILE=none', () => {
    writeConfig('config/local.json', { PORT: 4000, NOT_A_SETTING: 'x' });
    expect(loadSettings({ CONFIG_FILE: 'none' }, cwd).port).toBe(3000);
  });

  it('must exist when CONFIG_FILE names it, but need not by default', () => {
    expect(problemsOf({ CONFIG_FILE: 'missing.json' })).toEqual([
      expect.stringContaining('CONFIG_FILE="missing.json" does not exist'),
    ]);
    expect(loadSettings({}, cwd).port).toBe(3000);
  });

  it('is overridden by the environment', () => {
    writeConfig('config/local.json', { PORT: 4000, HOST: '10.0.0.1' });
    const settings = loadSettings({ PORT: '5000' }, cwd);
    expect(settings.port).toBe(5000);
    expect(settings.host).toBe('10.0.0.1');
  });

  it('is validated like the environment', () => {
    writeConfig('config/local.json', { PORT: 'eighty', DATABASE_URL: 'mysql://x' });
    const problems = problemsOf({});
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('PORT="eighty"'),
        expect.stringContaining('DATABASE_URL="mysql://x"'),
      ]),
    );
  });

  it.each([
    ['{ "PORT": 4000,', 'is not valid JSON'],
    ['[1, 2]', 'must hold a JSON object'],
    ['"PORT"', 'must hold a JSON object'],
    ['{ "PORT": { "value": 1 } }', 'setting "PORT" must be a string, number or boolean'],
  ])('rejects %s', (content, reason) => {
    writeConfig('config/local.json', content);
    expect(problemsOf({})).toEqual([expect.stringContaining(reason)]);
  });
});

describe('validation of single settings', () => {
  it.each([
    ['PORT', 'abc'],
    ['PORT', '65536'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PORT', ''],
    ['REMINDER_OFFSETS_DAYS', '7,x'],
    ['REMINDER_OFFSETS_DAYS', '400'],
    ['REMINDER_OFFSETS_DAYS', '-1,7'],
    ['REMINDER_OFFSETS_DAYS', '1.5'],
    ['SMTP_URL', 'http://mail.example'],
    ['SMTP_URL', 'mail.example:25'],
    ['ADMIN_TOKEN', 'short'],
    ['ADMIN_TOKEN', '123456789012345'],
    ['LOG_LEVEL', 'trace'],
    ['LOG_LEVEL', 'LOG'],
    ['LOG_FORMAT', 'xml'],
    ['PUBLIC_URL', 'videreforing.no'],
    ['REMINDER_CRON', '*/15 * *'],
    ['IDEMPOTENCY_RETENTION_HOURS', '1'],
    ['REPORT_DECISION_DAYS', '0'],
  ])('names %s when it is %j', (key, value) => {
    const problems = problemsOf({ [key]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(key);
  });

  it('accepts good values', () => {
    const settings = loadSettings(
      {
        PORT: '0',
        SMTP_URL: 'smtps://mailer:pw@smtp.example:465',
        ADMIN_TOKEN: '1234567890123456',
        LOG_LEVEL: 'verbose',
        REPORT_DECISION_DAYS: '21',
        REMINDER_OFFSETS_DAYS: '0',
        INSPECT: 'YES',
      },
      cwd,
    );
    expect(settings).toMatchObject({
      port: 0,
      smtpUrl: 'smtps://mailer:pw@smtp.example:465',
      adminToken: '1234567890123456',
      logLevel: 'verbose',
      definitionSettings: { reportDecisionDays: 21 },
      reminderOffsetsDays: [0],
      inspect: true,
    });
  });

  it('keeps the SMTP password out of the error', () => {
    const problems = problemsOf({ SMTP_URL: 'http://mailer:hunter2secret@smtp.example' });
    expect(problems).toEqual([expect.stringContaining('SMTP_URL')]);
    expect(problems[0]).not.toContain('hunter2secret');
  });

  it('does not echo the admin token', () => {
    const problems = problemsOf({ ADMIN_TOKEN: 'tooShortSecret' });
    expect(problems[0]).not.toContain('tooShortSecret');
  });
});

it('reports several problems together', () => {
  const problems = problemsOf({
    PORT: 'x',
    DATABASE_URL: 'mysql://root:hunter2secret@localhost/v',
    REMINDER_OFFSETS_DAYS: 'soon',
    SMTP_URL: 'mail',
    ADMIN_TOKEN: 'short',
    LOG_LEVEL: 'loud',
  });
  expect(problems).toHaveLength(6);
  for (const key of [
    'PORT',
    'DATABASE_URL',
    'REMINDER_OFFSETS_DAYS',
    'SMTP_URL',
    'ADMIN_TOKEN',
    'LOG_LEVEL',
  ]) {
    expect(problems.filter((problem) => problem.startsWith(key))).toHaveLength(1);
  }
  let message = '';
  try {
    loadSettings({ PORT: 'x', LOG_LEVEL: 'loud' }, cwd);
  } catch (error) {
    message = (error as Error).message;
  }
  expect(message).toMatch(/^Invalid configuration:\n {2}- PORT=.*\n {2}- LOG_LEVEL=/);
});
