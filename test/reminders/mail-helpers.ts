import { createHash } from 'node:crypto';
import { createServer } from 'node:net';
import { addDays, addYears, osloDay } from '../../workflows/kit';
import { OutboxService, type SendResult } from '../../src/reminders/outbox.service';
import { RemindersService, type SweepResult } from '../../src/reminders/reminders.service';
import type { Dialect } from '../support/databases';
import { programmeBody, useHttpApp, type HttpHarness } from '../support/http-harness';
import { startSmtp, type ReceivedMail, type TestSmtp } from '../support/smtp';

/** Shared set-up and readers for the reminder and outbox tests. */

export const PUBLIC_URL = 'https://frister.example.no';

/** Settings every reminder test wants: no background work, quiet logs, known links. */
export const quiet = {
  REMINDER_CRON: 'off',
  MAIL_POLL_SECONDS: '0',
  LOG_LEVEL: 'error',
  PUBLIC_URL,
};

export interface MailApp {
  h: HttpHarness;
  /** The SMTP server the app sends to (started before the app). */
  smtp: TestSmtp;
}

/**
 * A real SMTP server (started first) and the whole app pointed at it. The harness reads its
 * overrides in its own beforeAll, so SMTP_URL is a getter evaluated after the server is up.
 */
export function useMailApp(dialect: Dialect, env: Record<string, string> = {}): MailApp {
  const mail = {} as MailApp;
  beforeAll(async () => {
    mail.smtp = await startSmtp(0);
  });
  const overrides = {
    ...quiet,
    ...env,
    get SMTP_URL() {
      return mail.smtp.url;
    },
  };
  mail.h = useHttpApp(dialect, overrides);
  // Declared after the app, so the app (and its SMTP pool) closes before the server.
  afterAll(async () => {
    await mail.smtp?.close();
  });
  return mail;
}

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The Oslo calendar day the harness clock shows. */
export function today(h: HttpHarness): string {
  return osloDay(h.clock.now());
}

/** Moves the clock to 08:00 UTC (09:00/10:00 in Oslo) on the given day. */
export function setDay(h: HttpHarness, day: string): void {
  h.clock.set(`${day}T08:00:00.000Z`);
}

/** A programme end that puts the latest start of the pre-study `days` from today (negative: past). */
export function endForLatestStartIn(h: HttpHarness, days: number): string {
  return addYears(addDays(today(h), days), 2);
}

export async function createProgramme(
  h: HttpHarness,
  overrides: Record<string, unknown> = {},
): Promise<{ id: string; instanceId: string; body: any }> {
  const response = await h.request('POST', '/api/programmes', {
    body: programmeBody(overrides),
  });
  if (response.status !== 201) {
    throw new Error(`Creating a programme gave ${response.status}: ${response.text}`);
  }
  return { id: response.body.id, instanceId: response.body.instanceId, body: response.body };
}

/** Sends an event that must be accepted. */
export async function accept(
  h: HttpHarness,
  programmeId: string,
  type: string,
  payload: Record<string, unknown> = {},
  token?: string,
): Promise<any> {
  const response = await h.request('POST', `/api/programmes/${programmeId}/workflow/events`, {
    body: { type, ...payload },
    ...(token ? { token } : {}),
  });
  if (response.status !== 200) {
    throw new Error(`${type} gave ${response.status}: ${response.text}`);
  }
  return response.body;
}

export const sweep = (h: HttpHarness): Promise<SweepResult> => h.app.get(RemindersService).sweep();
export const sendDue = (h: HttpHarness): Promise<SendResult> => h.app.get(OutboxService).sendDue();

export interface OutboxRowView {
  id: string;
  dedupeKey: string;
  kind: string;
  instanceId: string;
  programmeId: string | null;
  recipients: { name: string; email: string }[];
  subject: string;
  textBody: string;
  htmlBody: string;
  ics: string | null;
  messageId: string;
  status: string;
  attempts: number;
  nextAttemptAt: string;
  leaseOwner: string | null;
  leaseUntil: string | null;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
}

/** Outbox rows straight from the table (oldest first), optionally of one programme. */
export async function outboxRows(h: HttpHarness, programmeId?: string): Promise<OutboxRowView[]> {
  const rows = await h.sql<Record<string, any>>(
    `select * from mail_outbox ${programmeId ? 'where programme_id = ?' : ''} order by created_at, dedupe_key`,
    programmeId ? [programmeId] : [],
  );
  return rows.map((r) => ({
    id: r.id,
    dedupeKey: r.dedupe_key,
    kind: r.kind,
    instanceId: r.instance_id,
    programmeId: r.programme_id,
    recipients: typeof r.recipients === 'string' ? JSON.parse(r.recipients) : r.recipients,
    subject: r.subject,
    textBody: r.text_body,
    htmlBody: r.html_body,
    ics: r.ics,
    messageId: r.message_id,
    status: r.status,
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at,
    leaseOwner: r.lease_owner,
    leaseUntil: r.lease_until,
    lastError: r.last_error,
    createdAt: r.created_at,
    sentAt: r.sent_at,
  }));
}

/** The Message-ID the outbox derives from a dedupe key (stable across retries and replicas). */
export function messageIdFor(dedupeKey: string): string {
  return `<${createHash('sha256').update(dedupeKey).digest('hex').slice(0, 32)}@videreforing>`;
}

/** Mails that arrived with one of these Message-IDs, in arrival order. */
export function receivedWith(smtp: TestSmtp, messageIds: Iterable<string>): ReceivedMail[] {
  const wanted = new Set(messageIds);
  return smtp.received.filter((m) => m.messageId !== undefined && wanted.has(m.messageId));
}

/** The one mail that arrived with this Message-ID; fails if none or several did. */
export function theMail(smtp: TestSmtp, messageId: string): ReceivedMail {
  const found = receivedWith(smtp, [messageId]);
  if (found.length !== 1) {
    throw new Error(`Expected exactly one mail with ${messageId}, got ${found.length}`);
  }
  return found[0]!;
}

/** Addresses of a parsed header (To), lower-cased and sorted. */
export function addressesOf(mail: ReceivedMail): string[] {
  const to = mail.parsed.to;
  const list = Array.isArray(to) ? to : to ? [to] : [];
  return list
    .flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase()))
    .sort((a, b) => a.localeCompare(b));
}

export function sorted(list: string[]): string[] {
  return [...list].map((s) => s.toLowerCase()).sort((a, b) => a.localeCompare(b));
}

export interface ParsedCalendar {
  /** Unfolded content lines of the calendar outside events. */
  properties: Map<string, string>;
  /** Each VEVENT's properties, keyed by name with parameters (e.g. `DTSTART;VALUE=DATE`). */
  events: Map<string, string>[];
}

/**
 * Parses and checks an iCalendar text the way a strict client would (RFC 5545 §3.1): CRLF line
 * endings only, no physical line longer than 75 octets, folds that never split a character,
 * BEGIN/END balanced, VERSION and PRODID present, every VEVENT with UID, DTSTAMP and DTSTART.
 */
export function parseCalendar(ics: string): ParsedCalendar {
  const problems: string[] = [];
  if (!ics.endsWith('\r\n')) problems.push('does not end with CRLF');
  if (/\r(?!\n)|(?<!\r)\n/.test(ics)) problems.push('has a bare CR or LF');
  const physical = ics.split('\r\n').slice(0, -1);
  physical.forEach((line, i) => {
    const bytes = Buffer.byteLength(line, 'utf8');
    if (bytes > 75) problems.push(`line ${i + 1} is ${bytes} octets: ${line}`);
    if (line.includes('\uFFFD')) problems.push(`line ${i + 1} has a broken character`);
  });
  const lines = ics
    .replace(/\r\n[ \t]/g, '')
    .split('\r\n')
    .filter((l) => l.length > 0);
  if (lines[0] !== 'BEGIN:VCALENDAR') problems.push('does not begin with BEGIN:VCALENDAR');
  if (lines[lines.length - 1] !== 'END:VCALENDAR') problems.push('does not end with END:VCALENDAR');
  const properties = new Map<string, string>();
  const events: Map<string, string>[] = [];
  let event: Map<string, string> | undefined;
  for (const line of lines.slice(1, -1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) {
      problems.push(`not a content line: ${line}`);
      continue;
    }
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1);
    if (line === 'BEGIN:VEVENT') {
      if (event) problems.push('nested VEVENT');
      event = new Map();
    } else if (line === 'END:VEVENT') {
      if (!event) problems.push('END:VEVENT without BEGIN');
      else events.push(event);
      event = undefined;
    } else if (event) {
      event.set(name, value);
    } else {
      properties.set(name, value);
    }
  }
  if (event) problems.push('VEVENT not ended');
  if (properties.get('VERSION') !== '2.0') problems.push('VERSION is not 2.0');
  if (!properties.get('PRODID')) problems.push('no PRODID');
  for (const e of events) {
    for (const required of ['UID', 'DTSTAMP', 'DTSTART;VALUE=DATE', 'DTEND;VALUE=DATE']) {
      if (!e.get(required)) problems.push(`a VEVENT lacks ${required}`);
    }
    if (!/^\d{8}T\d{6}Z$/.test(e.get('DTSTAMP') ?? '')) problems.push('DTSTAMP is not UTC');
  }
  if (problems.length > 0) throw new Error(`Invalid iCalendar:\n  ${problems.join('\n  ')}`);
  return { properties, events };
}

/** RFC 5545 TEXT value back to plain text. */
export function unescapeText(value: string): string {
  return value.replace(/\\([\\;,nN])/g, (_m, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** `2026-03-20` → `20260320`. */
export const icsDay = (day: string): string => day.replaceAll('-', '');
