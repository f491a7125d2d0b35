import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/** Where the data lives: SQLite file (embedded default) or PostgreSQL. */
export type DatabaseSettings =
  | { dialect: 'sqlite'; file: string; synchronous: 'FULL' | 'NORMAL' }
  | { dialect: 'postgresql'; url: string; poolSize: number };

export interface Settings {
  port: number;
  host: string;
  database: DatabaseSettings;
  dataDir: string;
  smtpUrl: string | undefined;
  mailFrom: string;
  publicUrl: string;
  reminderCron: string;
  reminderOffsetsDays: number[];
  adminToken: string | undefined;
  /** Overrides of the definitions' numeric settings, e.g. `reportDecisionDays`. */
  definitionSettings: Record<string, number>;
  idempotencyRetentionHours: number;
  logLevel: 'error' | 'warn' | 'log' | 'debug' | 'verbose';
  /** Structured JSON log lines (default) or Nest's coloured text for a terminal. */
  logFormat: 'json' | 'text';
  inspect: boolean;
  /** Requests per minute per client before 429. */
  rateLimitPerMinute: number;
  /** Largest accepted request body in bytes; larger ones get 413. */
  bodyLimitBytes: number;
  /** Allowed CORS origins; empty keeps CORS off. */
  corsOrigins: string[];
  mail: {
    /** Seconds between outbox polls; 0 turns the background sender off (tests, CLI). */
    pollSeconds: number;
    batchSize: number;
    leaseSeconds: number;
    retryBaseSeconds: number;
    retryCapSeconds: number;
  };
}

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigurationError';
  }
}

/**
 * Every setting: its environment variable, its key in an optional JSON file (`CONFIG_FILE`,
 * default `config/local.json`, `none` for no file), and its default. Environment wins over the file.
 */
const keys = {
  PORT: '3000',
  HOST: '0.0.0.0',
  DATABASE_URL: 'sqlite:./data/videreforing.sqlite',
  SQLITE_SYNCHRONOUS: 'FULL',
  DATABASE_POOL_SIZE: '10',
  DATA_DIR: './data',
  SMTP_URL: '',
  MAIL_FROM: 'Videreføring <ikke-svar@videreforing.local>',
  PUBLIC_URL: '',
  REMINDER_CRON: '*/15 * * * *',
  REMINDER_OFFSETS_DAYS: '30,14,7,1,0',
  ADMIN_TOKEN: '',
  REPORT_DECISION_DAYS: '',
  IDEMPOTENCY_RETENTION_HOURS: '24',
  LOG_LEVEL: 'log',
  LOG_FORMAT: 'json',
  INSPECT: '',
  RATE_LIMIT_PER_MINUTE: '600',
  BODY_LIMIT_BYTES: '262144',
  CORS_ORIGINS: '',
  MAIL_POLL_SECONDS: '10',
  MAIL_BATCH_SIZE: '20',
  MAIL_LEASE_SECONDS: '300',
  MAIL_RETRY_BASE_SECONDS: '30',
  MAIL_RETRY_CAP_SECONDS: '3600',
} as const;

type Key = keyof typeof keys;

export function loadSettings(
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Settings {
  const problems: string[] = [];
  const file = readConfigFile(env, cwd, problems);
  const raw = (key: Key): string => env[key] ?? file[key] ?? keys[key];

  const integer = (key: Key, min: number, max: number): number => {
    const text = raw(key);
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      problems.push(`${key}="${text}" must be a whole number from ${min} to ${max}`);
      return min;
    }
    return value;
  };

  const port = integer('PORT', 0, 65535);
  const dataDir = resolvePath(raw('DATA_DIR'), cwd);
  const database = parseDatabaseUrl(raw('DATABASE_URL'), cwd, problems, {
    synchronous: raw('SQLITE_SYNCHRONOUS'),
    poolSize: integer('DATABASE_POOL_SIZE', 1, 200),
  });

  const smtpUrl = raw('SMTP_URL') || undefined;
  if (smtpUrl && !/^smtps?:\/\/[^\s]+$/.test(smtpUrl)) {
    problems.push(`SMTP_URL="${redact(smtpUrl)}" must start with smtp:// or smtps://`);
  }
  const port_ = port === 0 ? 3000 : port;
  const publicUrl = (raw('PUBLIC_URL') || `http://localhost:${port_}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s]+$/.test(publicUrl)) {
    problems.push(`PUBLIC_URL="${publicUrl}" must be an http(s) URL`);
  }
  const reminderCron = raw('REMINDER_CRON');
  if (reminderCron !== 'off' && reminderCron.trim().split(/\s+/).length < 5) {
    problems.push(`REMINDER_CRON="${reminderCron}" is not a cron expression (five or six fields)`);
  }
  const offsetsText = raw('REMINDER_OFFSETS_DAYS');
  const reminderOffsetsDays = offsetsText.split(',').map((s) => Number(s.trim()));
  if (reminderOffsetsDays.some((n) => !Number.isInteger(n) || n < 0 || n > 365)) {
    problems.push(
      `REMINDER_OFFSETS_DAYS="${offsetsText}" must be comma-separated whole days from 0 to 365`,
    );
  }
  const adminToken = raw('ADMIN_TOKEN') || undefined;
  if (adminToken !== undefined && adminToken.length < 16) {
    problems.push('ADMIN_TOKEN must be at least 16 characters');
  }
  const definitionSettings: Record<string, number> = {};
  if (raw('REPORT_DECISION_DAYS')) {
    definitionSettings.reportDecisionDays = integer('REPORT_DECISION_DAYS', 1, 365);
  }
  const logLevel = raw('LOG_LEVEL');
  if (!['error', 'warn', 'log', 'debug', 'verbose'].includes(logLevel)) {
    problems.push(`LOG_LEVEL="${logLevel}" must be one of error, warn, log, debug, verbose`);
  }

  const settings: Settings = {
    port,
    host: raw('HOST'),
    database,
    dataDir,
    smtpUrl,
    mailFrom: raw('MAIL_FROM'),
    publicUrl,
    reminderCron,
    reminderOffsetsDays: [...new Set(reminderOffsetsDays)].sort((a, b) => b - a),
    adminToken,
    definitionSettings,
    idempotencyRetentionHours: integer('IDEMPOTENCY_RETENTION_HOURS', 24, 24 * 365),
    logLevel: logLevel as Settings['logLevel'],
    logFormat: raw('LOG_FORMAT') === 'text' ? 'text' : 'json',
    inspect: ['1', 'true', 'yes'].includes(raw('INSPECT').toLowerCase()),
    rateLimitPerMinute: integer('RATE_LIMIT_PER_MINUTE', 1, 10_000_000),
    bodyLimitBytes: integer('BODY_LIMIT_BYTES', 1024, 50 * 1_048_576),
    mail: {
      pollSeconds: integer('MAIL_POLL_SECONDS', 0, 3600),
      batchSize: integer('MAIL_BATCH_SIZE', 1, 1000),
      leaseSeconds: integer('MAIL_LEASE_SECONDS', 5, 86_400),
      retryBaseSeconds: integer('MAIL_RETRY_BASE_SECONDS', 1, 86_400),
      retryCapSeconds: integer('MAIL_RETRY_CAP_SECONDS', 1, 7 * 86_400),
    },
    corsOrigins: raw('CORS_ORIGINS')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
  };
  if (!['json', 'text'].includes(raw('LOG_FORMAT'))) {
    problems.push(`LOG_FORMAT="${raw('LOG_FORMAT')}" must be json or text`);
  }
  if (problems.length > 0) throw new ConfigurationError(problems);
  return settings;
}

function readConfigFile(
  env: NodeJS.ProcessEnv,
  cwd: string,
  problems: string[],
): Partial<Record<Key, string>> {
  const explicit = env.CONFIG_FILE;
  if (explicit === 'none') return {};
  const path = resolvePath(explicit ?? 'config/local.json', cwd);
  if (!existsSync(path)) {
    if (explicit) problems.push(`CONFIG_FILE="${explicit}" does not exist`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    problems.push(`${path} is not valid JSON: ${(error as Error).message}`);
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`${path} must hold a JSON object of settings`);
    return {};
  }
  const result: Partial<Record<Key, string>> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!Object.hasOwn(keys, key)) {
      problems.push(`${path}: unknown setting "${key}" (known: ${Object.keys(keys).join(', ')})`);
      continue;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      problems.push(`${path}: setting "${key}" must be a string, number or boolean`);
      continue;
    }
    result[key as Key] = String(value);
  }
  return result;
}

/**
 * `sqlite:<path>` (relative to the working directory, or absolute), `sqlite::memory:`, or
 * `postgres://user@host:port/db` / `postgresql://…`.
 */
export function parseDatabaseUrl(
  url: string,
  cwd: string,
  problems: string[],
  options: { synchronous: string; poolSize: number },
): DatabaseSettings {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path.length === 0)
      problems.push(
        'DATABASE_URL="sqlite:" needs a file path, e.g. sqlite:./data/videreforing.sqlite',
      );
    const synchronous = options.synchronous.toUpperCase();
    if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
      problems.push(`SQLITE_SYNCHRONOUS="${options.synchronous}" must be FULL (durable) or NORMAL`);
    }
    return {
      dialect: 'sqlite',
      file: path === ':memory:' ? ':memory:' : resolvePath(path, cwd),
      synchronous: synchronous === 'NORMAL' ? 'NORMAL' : 'FULL',
    };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    try {
      const parsed = new URL(url);
      if (!parsed.hostname || parsed.pathname.length <= 1) {
        problems.push(
          `DATABASE_URL="${redact(url)}" must name a host and a database, e.g. postgres://user@localhost:5432/videreforing`,
        );
      }
    } catch {
      problems.push(`DATABASE_URL="${redact(url)}" is not a valid URL`);
    }
    return { dialect: 'postgresql', url, poolSize: options.poolSize };
  }
  problems.push(
    `DATABASE_URL="${redact(url)}" must start with sqlite: or postgres:// (e.g. sqlite:./data/videreforing.sqlite)`,
  );
  return { dialect: 'sqlite', file: ':memory:', synchronous: 'FULL' };
}

function resolvePath(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}

/** Hides a password in a URL before it reaches a log or an error. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@\s]+:)[^@\s]*@/, '$1***@');
}
