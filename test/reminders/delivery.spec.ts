import { SMTPServer } from 'smtp-server';
import { dialects } from '../support/databases';
import { useHttpApp, type HttpHarness } from '../support/http-harness';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { payloads } from '../support/videreforing-driver';
import {
  accept,
  createProgramme,
  endForLatestStartIn,
  freePort,
  outboxRows,
  quiet,
  receivedWith,
  sendDue,
  sweep,
  useMailApp,
  type OutboxRowView,
} from './mail-helpers';

/** The outbox never loses a mail and never sends one twice (SPEC §3 «Reminders»). */
describe.each(dialects())('outbox delivery on %s', (dialect) => {
  describe('SMTP down, then up', () => {
    const smtpPort = { value: 0 };
    let smtp: TestSmtp | undefined;
    beforeAll(async () => {
      smtpPort.value = await freePort();
    });
    const h = useHttpApp(dialect, {
      ...quiet,
      get SMTP_URL() {
        return `smtp://127.0.0.1:${smtpPort.value}`;
      },
    });
    afterAll(async () => {
      await smtp?.close();
    });

    it('keeps everything while nothing listens, then delivers each mail exactly once', async () => {
      const health = await h.request('GET', '/health', { token: null });
      expect(health.body.mail).toEqual({
        transport: 'smtp',
        target: `smtp://127.0.0.1:${smtpPort.value}`,
      });

      // Two reminders and two notices.
      await createProgramme(h, { programmeEnd: endForLatestStartIn(h, 18) });
      await createProgramme(h, { programmeEnd: endForLatestStartIn(h, -10) });
      const started = await createProgramme(h);
      await accept(h, started.id, 'roles.assign', payloads.internalRoles);
      await accept(h, started.id, 'forstudie.start');
      await accept(h, started.id, 'cost.record', {
        category: 'konsulenthonorar',
        amountNok: 150_000,
        date: '2026-03-02',
        description: 'Timer',
      });
      expect((await sweep(h)).queued).toBe(2);
      const queued = await outboxRows(h);
      expect(queued).toHaveLength(4);

      expect(await sendDue(h)).toEqual({ sent: 0, failed: 0, retrying: 4 });
      const waiting = await outboxRows(h);
      const now = h.clock.now().toISOString();
      for (const row of waiting) {
        expect(row).toEqual(
          expect.objectContaining({ status: 'pending', attempts: 1, leaseOwner: null }),
        );
        expect(row.lastError).toMatch(/ECONNREFUSED/);
        expect(row.nextAttemptAt > now).toBe(true);
      }
      // Not due again yet: nothing is tried.
      expect(await sendDue(h)).toEqual({ sent: 0, failed: 0, retrying: 0 });

      smtp = await startSmtp(smtpPort.value);
      h.clock.set(new Date(Date.parse(latest(waiting)) + 1000));
      expect(await sendDue(h)).toEqual({ sent: 4, failed: 0, retrying: 0 });
      const ids = queued.map((r) => r.messageId);
      expect(new Set(ids).size).toBe(4);
      expect(smtp.received.map((m) => m.messageId).sort()).toEqual([...ids].sort());
      for (const row of await outboxRows(h)) {
        expect(row).toEqual(
          expect.objectContaining({ status: 'sent', attempts: 2, lastError: null }),
        );
      }

      h.clock.advance(3_600_000);
      expect(await sweep(h)).toEqual(expect.objectContaining({ queued: 0 }));
      expect(await sendDue(h)).toEqual({ sent: 0, failed: 0, retrying: 0 });
      expect(smtp.received).toHaveLength(4);
    });
  });

  describe('connections to the SMTP server', () => {
    const server = {
      connections: 0,
      messages: 0,
      port: 0,
      instance: undefined as SMTPServer | undefined,
    };
    beforeAll(async () => {
      server.instance = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        disableReverseLookup: true,
        logger: false,
        onConnect(_session, callback) {
          server.connections += 1;
          callback();
        },
        onData(stream, _session, callback) {
          stream.resume();
          stream.on('end', () => {
            server.messages += 1;
            callback();
          });
        },
      });
      await new Promise<void>((resolve) => server.instance!.listen(0, '127.0.0.1', resolve));
      const address = server.instance.server.address();
      server.port = typeof address === 'object' && address ? address.port : 0;
    });
    const h = useHttpApp(dialect, {
      ...quiet,
      get SMTP_URL() {
        return `smtp://127.0.0.1:${server.port}`;
      },
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.instance?.close(() => resolve()));
    });

    it('are pooled: a batch goes over a few connections, not one per mail', async () => {
      for (let i = 0; i < 8; i += 1) {
        await createProgramme(h, { programmeEnd: endForLatestStartIn(h, 18) });
      }
      expect((await sweep(h)).queued).toBe(8);
      const before = server.connections;
      expect(await sendDue(h)).toEqual({ sent: 8, failed: 0, retrying: 0 });
      expect(server.messages).toBe(8);
      // MailTransport pools at most three connections.
      expect(server.connections - before).toBeLessThanOrEqual(3);
    });
  });

  describe('SMTP answering errors, and a sender that died', () => {
    const mail = useMailApp(dialect);
    const h = mail.h;

    /** One new reminder in the outbox, and nothing else waiting. */
    async function oneReminder(): Promise<OutboxRowView> {
      const { id } = await createProgramme(h, { programmeEnd: endForLatestStartIn(h, 18) });
      expect((await sweep(h)).queued).toBe(1);
      const rows = await outboxRows(h);
      expect(rows.filter((r) => r.status === 'pending' || r.status === 'sending')).toHaveLength(1);
      return (await outboxRows(h, id))[0]!;
    }

    async function row(id: string): Promise<OutboxRowView> {
      return (await outboxRows(h)).find((r) => r.id === id)!;
    }

    it('451 then 250: retried after the backoff and delivered once, on the second attempt', async () => {
      const queued = await oneReminder();
      mail.smtp.failNext(451);
      const before = h.clock.now().getTime();
      expect(await sendDue(h)).toEqual({ sent: 0, failed: 0, retrying: 1 });
      const waiting = await row(queued.id);
      expect(waiting).toEqual(
        expect.objectContaining({ status: 'pending', attempts: 1, leaseOwner: null }),
      );
      expect(waiting.lastError).toMatch(/^451/);
      // MAIL_RETRY_BASE_SECONDS (30) with ±20 % jitter.
      const delay = Date.parse(waiting.nextAttemptAt) - before;
      expect(delay).toBeGreaterThanOrEqual(24_000);
      expect(delay).toBeLessThanOrEqual(36_000);

      expect(await sendDue(h)).toEqual({ sent: 0, failed: 0, retrying: 0 });
      h.clock.set(new Date(Date.parse(waiting.nextAttemptAt) - 1000));
      expect(await sendDue(h)).toEqual({ sent: 0, failed: 0, retrying: 0 });
      expect(receivedWith(mail.smtp, [queued.messageId])).toHaveLength(0);

      h.clock.set(new Date(Date.parse(waiting.nextAttemptAt) + 1000));
      expect(await sendDue(h)).toEqual({ sent: 1, failed: 0, retrying: 0 });
      expect(await row(queued.id)).toEqual(
        expect.objectContaining({ status: 'sent', attempts: 2, lastError: null }),
      );
      h.clock.advance(3_600_000);
      expect(await sendDue(h)).toEqual({ sent: 0, failed: 0, retrying: 0 });
      expect(receivedWith(mail.smtp, [queued.messageId])).toHaveLength(1);
    });

    it('550: failed at once, never retried, and shown as failed with the reply', async () => {
      const queued = await oneReminder();
      mail.smtp.failAlways(550);
      try {
        expect(await sendDue(h)).toEqual({ sent: 0, failed: 1, retrying: 0 });
      } finally {
        mail.smtp.failAlways(undefined);
      }
      const listed = await h.request('GET', '/api/reminders?status=failed');
      expect(listed.status).toBe(200);
      const item = listed.body.items.find((i: any) => i.id === queued.id);
      expect(item).toEqual(
        expect.objectContaining({ status: 'failed', attempts: 1, dedupeKey: queued.dedupeKey }),
      );
      expect(item.lastError).toContain('550');
      const auditor = await h.token('auditor');
      const asAuditor = await h.request('GET', '/api/reminders', { token: auditor });
      expect(asAuditor.body.items.find((i: any) => i.id === queued.id).status).toBe('failed');

      // The server works again and days pass: a permanent failure stays failed.
      h.clock.advance(2 * 86_400_000);
      expect(await sendDue(h)).toEqual({ sent: 0, failed: 0, retrying: 0 });
      await sweep(h);
      expect(await row(queued.id)).toEqual(
        expect.objectContaining({ status: 'failed', attempts: 1 }),
      );
      expect(receivedWith(mail.smtp, [queued.messageId])).toHaveLength(0);
    });

    it('a row claimed by a sender that died is sent once its lease has expired, exactly once', async () => {
      const queued = await oneReminder();
      const leaseMs = h.settings.mail.leaseSeconds * 1000;
      const claimedAt = h.clock.now().getTime();
      await claimAsDeadSender(h, queued.id, new Date(claimedAt + leaseMs));

      expect(await sendDue(h)).toEqual({ sent: 0, failed: 0, retrying: 0 });
      h.clock.set(new Date(claimedAt + leaseMs - 1000));
      expect(await sendDue(h)).toEqual({ sent: 0, failed: 0, retrying: 0 });
      expect(await row(queued.id)).toEqual(
        expect.objectContaining({ status: 'sending', leaseOwner: 'dead' }),
      );
      expect(receivedWith(mail.smtp, [queued.messageId])).toHaveLength(0);

      h.clock.set(new Date(claimedAt + leaseMs + 1000));
      expect(await sendDue(h)).toEqual({ sent: 1, failed: 0, retrying: 0 });
      expect(await row(queued.id)).toEqual(
        expect.objectContaining({
          status: 'sent',
          attempts: 2,
          leaseOwner: null,
          leaseUntil: null,
        }),
      );
      h.clock.advance(leaseMs * 3);
      expect(await sendDue(h)).toEqual({ sent: 0, failed: 0, retrying: 0 });
      expect(receivedWith(mail.smtp, [queued.messageId])).toHaveLength(1);
    });
  });
});

function latest(rows: OutboxRowView[]): string {
  return rows.map((r) => r.nextAttemptAt).sort((a, b) => a.localeCompare(b))[rows.length - 1]!;
}

/** What a sender does when it claims a row (outbox.service claim()), done by one that then died. */
async function claimAsDeadSender(h: HttpHarness, id: string, leaseUntil: Date): Promise<void> {
  await h.sql(
    `update mail_outbox set status = 'sending', lease_owner = 'dead', lease_until = ?,
       attempts = attempts + 1 where id = ? and status = 'pending'`,
    [leaseUntil.toISOString(), id],
  );
}
