import { MikroORM } from '@mikro-orm/core';
import { addDays, addYears, osloDay } from '../../workflows/kit';
import { ProgrammesService } from '../../src/programmes/programmes.service';
import { OutboxService, type SendResult } from '../../src/reminders/outbox.service';
import { RemindersService } from '../../src/reminders/reminders.service';
import { dialects, scratchDatabase, type ScratchDatabase } from '../support/databases';
import { startSmtp, type TestSmtp } from '../support/smtp';
import {
  admin,
  databaseNow,
  outbox,
  repeated,
  replicaSettings,
  startReplica,
  type Replica,
} from './support/apps';
import { programmeBody, sleep } from './support/service';

/**
 * Issue 7: a slow SMTP server. In production a server may take 30 s per message while a claimed
 * mail is leased for MAIL_LEASE_SECONDS=300 and a batch holds MAIL_BATCH_SIZE=20: the last rows of
 * a batch wait up to 19 × 30 s = 570 s, longer than their lease, before their sender reaches them
 * (batch × delay ÷ lease = 2). Scaled down to keep the test short: 2.5 s per message, 5 s leases
 * (the smallest the settings allow) and a batch of 6 on replica a (6 × 2.5 ÷ 5 = 3), so the later
 * rows of its batch outlive their lease while replica b, with a batch of 2, is idle and claims
 * what has expired. Sends must not overlap within a replica, and no mail may be claimed by two at
 * once: each Message-ID arrives exactly once.
 *
 * Shutdown: a replica closed while it is sending hands back the rows it claimed (pending, no
 * owner), so another replica sends them at once instead of after their 300 s lease. The shutdown
 * waits at most 5 s (fixed in OutboxService.onApplicationShutdown) for the send in flight; that is
 * tested with a server faster than that (2.5 s) and with one slower (6 s, as a 30 s server is).
 */

const DELAY_MS = 2500;
const SLOW_DELAY_MS = 6000;
/** How long a sender is given to finish in the test (generous: the machine is shared). */
const DRAIN_LIMIT_MS = 60_000;

describe.each(dialects())('a slow SMTP server on %s', (dialect) => {
  let database: ScratchDatabase;
  let smtp: TestSmtp;
  const replicas: Replica[] = [];
  const closed = new Set<Replica>();

  const start = async (name: string, env: Record<string, string>) => {
    const replica = await startReplica(
      name,
      replicaSettings(database.url, { SMTP_URL: smtp.url, ...env }),
    );
    replicas.push(replica);
    return replica;
  };

  /** Programmes whose pre-study must start within 20 days: one reminder each, queued by a sweep. */
  const queueReminders = async (via: Replica, count: number, label: string) => {
    const programmes = via.app.get(ProgrammesService);
    for (let n = 0; n < count; n += 1) {
      await programmes.create(
        programmeBody({
          municipality: `${label} ${n}`,
          programmeEnd: addYears(addDays(osloDay(new Date()), 20), 2),
          board: [{ name: `Leder ${label} ${n}`, email: `leder-${label}-${n}@example.no` }],
        }),
        admin,
      );
    }
    const { queued } = await via.app.get(RemindersService).sweep();
    expect(queued).toBe(count);
  };

  beforeAll(async () => {
    database = scratchDatabase(dialect);
    smtp = await startSmtp(0);
  }, 60_000);

  afterAll(async () => {
    for (const replica of replicas) if (!closed.has(replica)) await replica.app.close();
    await smtp?.close();
    database?.drop();
  }, 60_000);

  it('two replicas with short leases: sends never overlap, no mail is claimed twice', async () => {
    const a = await start('a', { MAIL_LEASE_SECONDS: '5', MAIL_BATCH_SIZE: '6' });
    const b = await start('b', { MAIL_LEASE_SECONDS: '5', MAIL_BATCH_SIZE: '2' });
    await queueReminders(a, 8, 'lease');
    const before = smtp.received.length;
    smtp.delayMs = DELAY_MS;

    // Three sendDue() at once on one replica join one drain instead of running side by side.
    const senderA = a.app.get(OutboxService);
    const joined = [senderA.sendDue(), senderA.sendDue(), senderA.sendDue()];
    expect(joined[1]).toBe(joined[0]);
    expect(joined[2]).toBe(joined[0]);

    const results: Record<string, SendResult[]> = { a: [], b: [] };
    const started = Date.now();
    const drain = async (replica: Replica, first?: Promise<SendResult>) => {
      const sender = replica.app.get(OutboxService);
      if (first) results[replica.name]!.push(await first);
      while (Date.now() - started < DRAIN_LIMIT_MS) {
        const rows = await outbox(replica);
        if (rows.every((r) => r.status === 'sent' || r.status === 'failed')) return;
        results[replica.name]!.push(await sender.sendDue());
        await sleep(100);
      }
    };
    await Promise.all([drain(a, joined[0]), sleep(100).then(() => drain(b))]);
    const seconds = (Date.now() - started) / 1000;

    const rows = await outbox(a);
    const arrived = smtp.received.slice(before).map((m) => m.messageId);
    const sum = (name: string, field: keyof SendResult) =>
      results[name]!.reduce((n, r) => n + r[field], 0);
    // A row claimed again after its lease expired has one attempt more than sends started on it.
    const takenOver = rows.reduce((n, r) => n + r.attempts - 1, 0);
    console.log(
      `[faults] slow SMTP ${dialect}: ${arrived.length} mails in ${seconds.toFixed(1)} s at ` +
        `${DELAY_MS} ms each; replica a sent ${sum('a', 'sent')} (gave up ${sum('a', 'retrying')} ` +
        `whose lease it had lost), b sent ${sum('b', 'sent')}; ${takenOver} claims of a row whose ` +
        `lease had expired; at most ${a.sends.maxInFlight}/${b.sends.maxInFlight} sends at once`,
    );

    expect(rows.filter((r) => r.status !== 'sent')).toEqual([]);
    expect(repeated(arrived)).toEqual([]);
    expect(new Set(arrived)).toEqual(new Set(rows.map((r) => r.message_id)));
    // Each replica sent one message at a time, and no message was handed to both.
    expect([a.sends.maxInFlight, b.sends.maxInFlight]).toEqual([1, 1]);
    expect(repeated([...a.sends.started, ...b.sends.started])).toEqual([]);
    expect(sum('a', 'sent') + sum('b', 'sent')).toBe(rows.length);
    // The leases mattered: rows of a's batch expired before a reached them, b claimed them, and
    // a, finding its lease gone, left them alone.
    expect(takenOver).toBeGreaterThan(0);
    expect(sum('a', 'retrying') + sum('b', 'retrying')).toBe(takenOver);
  }, 90_000);

  /**
   * Replica c claims `count` mails and starts sending (the server takes `delayMs` per message);
   * while the first is in flight c is closed. Replica d then sends what c handed back.
   */
  const closeWhileSending = async (label: string, delayMs: number, count: number) => {
    const c = await start(`c-${label}`, { MAIL_LEASE_SECONDS: '300', MAIL_BATCH_SIZE: '10' });
    const d = await start(`d-${label}`, { MAIL_LEASE_SECONDS: '300', MAIL_BATCH_SIZE: '10' });
    const known = new Set((await outbox(d)).map((r) => r.message_id));
    await queueReminders(c, count, label);
    const mine = async () => (await outbox(d)).filter((r) => !known.has(r.message_id));
    const ids = new Set((await mine()).map((r) => r.message_id));
    const arrived = () => smtp.received.map((m) => m.messageId ?? '').filter((id) => ids.has(id));
    smtp.delayMs = delayMs;

    let drained = 'still running';
    const drain = c.app
      .get(OutboxService)
      .sendDue()
      .then(
        (result) => (drained = JSON.stringify(result)),
        (error: Error) => (drained = `failed: ${error.message}`),
      );
    await until('c to start its first send', () => c.sends.started.length > 0);
    const inFlight = c.sends.started[0]!;
    await sleep(300);
    const closing = Date.now();
    await c.app.close();
    closed.add(c);
    const closeMs = Date.now() - closing;
    const afterClose = await mine();
    const now = await databaseNow(d);

    // d sends what c handed back, at once: no waiting for c's 300 s leases (nor for a slow server).
    smtp.delayMs = 0;
    const dStarted = Date.now();
    const dResult = await d.app.get(OutboxService).sendDue();
    const dMs = Date.now() - dStarted;
    // The message c had in flight reaches the server when its delay is over; then nothing more.
    await until(
      'every mail to arrive',
      () => new Set(arrived()).size >= ids.size,
      delayMs + 3000,
    ).catch(() => undefined);
    // (An unref'd timer: it must not keep Jest waiting once the drain has ended.)
    await Promise.race([drain, new Promise((done) => setTimeout(done, delayMs + 2000).unref())]);
    await sleep(500);
    const final = await mine();
    // Whatever is left unsent must not be sent during the next test.
    await d.app
      .get(MikroORM)
      .em.fork()
      .getConnection()
      .execute(
        `update mail_outbox set status = 'failed', last_error = 'left by a test'
          where status <> 'sent' and message_id in (${[...ids].map(() => '?').join(', ')})`,
        [...ids],
      );
    console.log(
      `[faults] slow SMTP ${dialect}, ${delayMs} ms per message: c closed after ${closeMs} ms ` +
        `while sending; then ${JSON.stringify(
          afterClose.map((r) => ({
            status: r.status,
            owner: r.lease_owner === null ? null : 'c',
            inFlight: r.message_id === inFlight,
            attempts: r.attempts,
            dueInS: Math.round((new Date(r.next_attempt_at).getTime() - now.getTime()) / 1000),
            lastError: r.last_error,
          })),
        )}; d sent ${dResult.sent} in ${dMs} ms; c's drain: ${drained}; ` +
        `arrived ${arrived().length} of ${ids.size}; finally ${JSON.stringify(final.map((r) => r.status))}`,
    );
    return { c, d, ids, inFlight, afterClose, now, dResult, arrived: arrived(), final, closeMs };
  };

  it(`closing a replica while it sends (${DELAY_MS} ms per message) hands its mail to another at once`, async () => {
    const run = await closeWhileSending('close', DELAY_MS, 3);
    const handedBack = run.afterClose.filter((r) => r.message_id !== run.inFlight);
    // The message in flight finished within the shutdown's wait and is marked sent ...
    expect(run.afterClose.find((r) => r.message_id === run.inFlight)?.status).toBe('sent');
    // ... the others are back to pending, with no owner and no lease, due now ...
    expect(
      handedBack.map((r) => ({
        status: r.status,
        owner: r.lease_owner,
        lease: r.lease_until,
        dueNow: new Date(r.next_attempt_at) <= run.now,
      })),
    ).toEqual(
      handedBack.map(() => ({ status: 'pending', owner: null, lease: null, dueNow: true })),
    );
    // ... so d sent them at once, and every mail arrived exactly once.
    expect(run.dResult.sent).toBe(handedBack.length);
    expect(repeated(run.arrived)).toEqual([]);
    expect(new Set(run.arrived)).toEqual(run.ids);
    expect(run.final.map((r) => r.status)).toEqual(run.final.map(() => 'sent'));
  }, 90_000);

  it(`closing a replica while the server is slower than the shutdown's wait (${SLOW_DELAY_MS} ms): nothing is sent twice`, async () => {
    const run = await closeWhileSending('slow', SLOW_DELAY_MS, 2);
    const others = run.afterClose.filter((r) => r.message_id !== run.inFlight);
    // What c had not begun to send is handed back and sent by d at once ...
    expect(others.map((r) => ({ status: r.status, owner: r.lease_owner }))).toEqual(
      others.map(() => ({ status: 'pending', owner: null })),
    );
    expect(run.d.sends.started).toEqual(expect.arrayContaining(others.map((r) => r.message_id)));
    // ... but the message still in flight is not given to another sender while it is being sent:
    // it arrives once.
    expect(run.d.sends.started).not.toContain(run.inFlight);
    expect(repeated(run.arrived)).toEqual([]);
    expect(new Set(run.arrived)).toEqual(run.ids);
  }, 90_000);
});

async function until(what: string, probe: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await sleep(20);
  }
}
