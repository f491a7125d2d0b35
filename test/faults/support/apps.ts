import { MikroORM } from '@mikro-orm/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Settings } from '../../../config/settings';
import type { Principal } from '../../../src/auth/principal';
import { createApp } from '../../../src/bootstrap';
import type { Clock } from '../../../src/common/clock';
import { MailTransport, type OutgoingMail } from '../../../src/reminders/mail-transport';
import { testSettings } from '../../support/databases';
import { ADMIN_TOKEN } from './service';

/** Replicas of the whole service in this process (the compiled build is not needed here). */

export const admin: Principal = {
  tokenId: 'faults',
  role: 'admin',
  label: 'faults',
  programmeIds: null,
};

/** Settings of a replica: no background work (the tests drive sweeps and sends), real SMTP. */
export function replicaSettings(databaseUrl: string, extra: Record<string, string> = {}): Settings {
  return testSettings(databaseUrl, {
    ADMIN_TOKEN,
    RATE_LIMIT_PER_MINUTE: '10000000',
    REMINDER_CRON: 'off',
    MAIL_POLL_SECONDS: '0',
    LOG_LEVEL: 'error',
    PUBLIC_URL: 'https://frister.example.no',
    ...extra,
  });
}

export interface Replica {
  name: string;
  app: NestFastifyApplication;
  settings: Settings;
  /** Set when the replica listens on a port. */
  url: string;
  sends: SendLog;
}

/** Every call of a replica's MailTransport.send, and how many ran at once. */
export interface SendLog {
  started: string[];
  finished: string[];
  inFlight: number;
  maxInFlight: number;
}

/** Starts a replica (migrations run on start); with `listen`, on a free port of 127.0.0.1. */
export async function startReplica(
  name: string,
  settings: Settings,
  options: { clock?: Clock; listen?: boolean } = {},
): Promise<Replica> {
  const app = await createApp({ settings, ...(options.clock ? { clock: options.clock } : {}) });
  let url = '';
  if (options.listen) {
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  } else {
    await app.init();
  }
  return { name, app, settings, url, sends: instrument(app) };
}

/** Wraps the replica's one mail adapter to record what it sends; it still sends for real. */
function instrument(app: NestFastifyApplication): SendLog {
  const log: SendLog = { started: [], finished: [], inFlight: 0, maxInFlight: 0 };
  const transport = app.get(MailTransport);
  const send = transport.send.bind(transport);
  transport.send = async (mail: OutgoingMail) => {
    log.started.push(mail.messageId);
    log.inFlight += 1;
    log.maxInFlight = Math.max(log.maxInFlight, log.inFlight);
    try {
      await send(mail);
      log.finished.push(mail.messageId);
    } finally {
      log.inFlight -= 1;
    }
  };
  return log;
}

export interface OutboxRow {
  dedupe_key: string;
  message_id: string;
  status: string;
  attempts: number;
  lease_owner: string | null;
  lease_until: string | null;
  next_attempt_at: string;
  last_error: string | null;
}

export async function outbox(replica: Replica): Promise<OutboxRow[]> {
  const rows = (await replica.app
    .get(MikroORM)
    .em.fork()
    .getConnection()
    .execute(
      `select dedupe_key, message_id, status, attempts, lease_owner, lease_until, next_attempt_at,
              last_error
         from mail_outbox order by dedupe_key`,
    )) as OutboxRow[];
  return rows.map((r) => ({ ...r, attempts: Number(r.attempts) }));
}

/** The database's "now" as the replica reads it (SQLite: the OS clock; PostgreSQL: now()). */
export async function databaseNow(replica: Replica): Promise<Date> {
  const sql =
    replica.settings.database.dialect === 'sqlite'
      ? "select strftime('%Y-%m-%dT%H:%M:%fZ', 'now') as now"
      : 'select now() as now';
  const [row] = (await replica.app.get(MikroORM).em.fork().getConnection().execute(sql)) as {
    now: string | Date;
  }[];
  return new Date(row!.now);
}

export function count<T>(values: Iterable<T>): Map<T, number> {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}

/** Values that occur more than once, with how often. */
export function repeated<T>(values: Iterable<T>): [T, number][] {
  return [...count(values)].filter(([, n]) => n > 1);
}
