import { Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/core';
import { IsIn, IsOptional } from 'class-validator';
import { Roles } from '../auth/decorators';
import { InvalidRequest } from '../common/errors';
import { PageQuery } from '../programmes/query.dto';
import { OutboxMail, type OutboxStatus } from './outbox.entity';
import { OutboxService, type SendResult } from './outbox.service';
import { RemindersService, type SweepResult } from './reminders.service';

export class OutboxQuery extends PageQuery {
  @IsOptional() @IsIn(['pending', 'sending', 'sent', 'failed']) status?: OutboxStatus;
}

export interface OutboxItem {
  id: string;
  kind: string;
  programmeId: string | null;
  subject: string;
  recipients: { name: string; email: string }[];
  status: OutboxStatus;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string;
  sentAt: string | null;
  createdAt: string;
  messageId: string;
  dedupeKey: string;
}

@Controller('api/reminders')
export class RemindersController {
  constructor(
    private readonly reminders: RemindersService,
    private readonly outbox: OutboxService,
    private readonly orm: MikroORM,
  ) {}

  /** Runs the same sweep as the cron job, then sends what is due; returns the counts. */
  @Post('run')
  @HttpCode(200)
  @Roles('admin')
  async run(): Promise<SweepResult & SendResult> {
    const sweep = await this.reminders.sweep();
    const sent = await this.outbox.sendDue();
    return { ...sweep, ...sent };
  }

  /** The outbox, newest first: pending, sent and failed mail with attempts and the last error. */
  @Get()
  @Roles('admin', 'auditor')
  async list(
    @Query() query: OutboxQuery,
  ): Promise<{ items: OutboxItem[]; nextCursor: string | null }> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
    const offset = query.cursor === undefined ? 0 : Number(query.cursor);
    if (!Number.isInteger(offset) || offset < 0) {
      throw new InvalidRequest([
        { field: 'cursor', message: 'er ugyldig', messageEn: 'is invalid' },
      ]);
    }
    const rows = await this.orm.em
      .fork()
      .find(OutboxMail, query.status ? { status: query.status } : {}, {
        orderBy: { createdAt: 'desc', id: 'asc' },
        limit: limit + 1,
        offset,
        exclude: ['textBody', 'htmlBody', 'ics'] as never,
      });
    const items = rows.slice(0, limit).map((r) => ({
      id: r.id,
      kind: r.kind,
      programmeId: r.programmeId,
      subject: r.subject,
      recipients: r.recipients,
      status: r.status,
      attempts: r.attempts,
      lastError: r.lastError,
      nextAttemptAt: r.nextAttemptAt,
      sentAt: r.sentAt,
      createdAt: r.createdAt,
      messageId: r.messageId,
      dedupeKey: r.dedupeKey,
    }));
    return { items, nextCursor: rows.length > limit ? String(offset + limit) : null };
  }
}
