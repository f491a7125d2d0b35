import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Settings } from '../../config/settings';
import { SETTINGS } from '../common/tokens';
import { MailFailure, MailTransport } from './mail-transport';
import type { OutboxMail, OutboxStatus } from './outbox.entity';
import { DueTime } from './time-source';

export interface SendResult {
  sent: number;
  failed: number;
  retrying: number;
}

interface OutboxRow {
  id: string;
  dedupe_key: string;
  recipients: string | OutboxMail['recipients'];
  subject: string;
  text_body: string;
  html_body: string;
  ics: string | null;
  message_id: string;
  attempts: number;
}

/**
 * Sends what the outbox holds: claims rows under a lease (FOR UPDATE SKIP LOCKED on PostgreSQL, so
 * replicas never claim the same row), sends, then marks them sent. Transient failures retry with
 * exponential backoff and jitter; permanent ones (5xx) are marked failed with the reply. A sender
 * that dies leaves its lease to expire, and another takes the row over.
 */
@Injectable()
export class OutboxService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Outbox');
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private running: Promise<SendResult> | undefined;
  /** Set at shutdown: no more claims or sends start. */
  private closing = false;
  /** Rows being handed to the SMTP server right now; never released while in flight. */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly orm: MikroORM,
    private readonly transport: MailTransport,
    private readonly dueTime: DueTime,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  /** Sends everything due now. A call while a previous one runs joins it instead of overlapping. */
  sendDue(): Promise<SendResult> {
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async drain(): Promise<SendResult> {
    const result: SendResult = { sent: 0, failed: 0, retrying: 0 };
    while (!this.closing) {
      const rows = await this.claim();
      if (rows.length === 0) break;
      for (const row of rows) {
        if (this.closing) break;
        this.inFlight.add(row.id);
        try {
          result[await this.deliver(row)] += 1;
        } finally {
          this.inFlight.delete(row.id);
        }
      }
    }
    return result;
  }

  private async claim(): Promise<OutboxRow[]> {
    const now = await this.dueTime.now();
    const nowIso = now.toISOString();
    const leaseUntil = new Date(
      now.getTime() + this.settings.mail.leaseSeconds * 1000,
    ).toISOString();
    const lock = this.settings.database.dialect === 'postgresql' ? 'for update skip locked' : '';
    const sql = `update mail_outbox
      set status = 'sending', lease_owner = ?, lease_until = ?, attempts = attempts + 1
      where id in (
        select id from mail_outbox
        where (status = 'pending' and next_attempt_at <= ?) or (status = 'sending' and lease_until < ?)
        order by next_attempt_at, id
        limit ? ${lock})
      returning id, dedupe_key, recipients, subject, text_body, html_body, ics, message_id, attempts`;
    return (await this.orm.em
      .fork()
      .getConnection()
      .execute(
        sql,
        [this.owner, leaseUntil, nowIso, nowIso, this.settings.mail.batchSize],
        'all',
      )) as OutboxRow[];
  }

  private async deliver(row: OutboxRow): Promise<keyof SendResult> {
    // Renew the lease right before sending: a row whose lease we lost belongs to someone else now.
    if (!(await this.renew(row.id))) return 'retrying';
    const recipients =
      typeof row.recipients === 'string'
        ? (JSON.parse(row.recipients) as OutboxMail['recipients'])
        : row.recipients;
    try {
      await this.transport.send({
        messageId: row.message_id,
        to: recipients,
        subject: row.subject,
        text: row.text_body,
        html: row.html_body,
        ics: row.ics,
      });
    } catch (error) {
      const failure = error instanceof MailFailure ? error : new MailFailure(String(error), false);
      if (failure.permanent) {
        await this.finish(row.id, 'failed', { last_error: failure.message });
        this.logger.warn(`Mail ${row.id} failed permanently: ${failure.message}`);
        return 'failed';
      }
      const delay = this.backoffMs(row.attempts);
      const next = new Date((await this.dueTime.now()).getTime() + delay).toISOString();
      await this.finish(row.id, 'pending', { last_error: failure.message, next_attempt_at: next });
      this.logger.warn(
        `Mail ${row.id} attempt ${row.attempts} failed (${failure.message}); retrying at ${next}`,
      );
      return 'retrying';
    }
    await this.finish(row.id, 'sent', {
      sent_at: (await this.dueTime.now()).toISOString(),
      last_error: null,
    });
    return 'sent';
  }

  /** Exponential from the base, capped, with ±20 % jitter so replicas do not retry in step. */
  backoffMs(attempts: number): number {
    const { retryBaseSeconds, retryCapSeconds } = this.settings.mail;
    const seconds = Math.min(retryCapSeconds, retryBaseSeconds * 2 ** Math.max(0, attempts - 1));
    return Math.round(seconds * 1000 * (0.8 + Math.random() * 0.4));
  }

  private async renew(id: string): Promise<boolean> {
    const now = await this.dueTime.now();
    const leaseUntil = new Date(
      now.getTime() + this.settings.mail.leaseSeconds * 1000,
    ).toISOString();
    const updated: unknown = await this.orm.em
      .fork()
      .getConnection()
      .execute(
        `update mail_outbox set lease_until = ? where id = ? and lease_owner = ? and status = 'sending'`,
        [leaseUntil, id, this.owner],
        'run',
      );
    return ((updated as { affectedRows?: number }).affectedRows ?? 0) === 1;
  }

  private async finish(
    id: string,
    status: OutboxStatus,
    fields: Record<string, string | null>,
  ): Promise<void> {
    const sets = Object.keys(fields).map((k) => `${k} = ?`);
    await this.orm.em
      .fork()
      .getConnection()
      .execute(
        `update mail_outbox set status = ?, lease_owner = null, lease_until = null${sets.length ? ', ' + sets.join(', ') : ''} where id = ? and lease_owner = ?`,
        [status, ...Object.values(fields), id, this.owner],
        'run',
      );
  }

  /**
   * Before the transport and the database close: stop claiming, give a send in flight a moment, and
   * hand back the rows claimed but not sent, so another sender need not wait for their lease. A row
   * still in flight keeps its lease: releasing it could send it twice.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    try {
      await Promise.race([
        this.running?.catch(() => undefined),
        new Promise((r) => setTimeout(r, 5000).unref()),
      ]);
      const keep = [...this.inFlight];
      await this.orm.em
        .fork()
        .getConnection()
        .execute(
          `update mail_outbox set status = 'pending', lease_owner = null, lease_until = null, attempts = attempts - 1
           where lease_owner = ? and status = 'sending'${keep.length ? ` and id not in (${keep.map(() => '?').join(', ')})` : ''}`,
          [this.owner, ...keep],
          'run',
        );
    } catch (error) {
      this.logger.warn(`Could not release leases at shutdown: ${(error as Error).message}`);
    }
  }
}
