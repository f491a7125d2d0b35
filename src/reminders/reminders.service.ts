import { MikroORM, type EntityManager } from '@mikro-orm/core';
import type { SqlEntityManager } from '@mikro-orm/knex';
import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { addDays, daysBetween, osloDay } from '../../workflows/kit';
import type { Settings } from '../../config/settings';
import { SETTINGS } from '../common/tokens';
import { allBuilt, queryFor, runBuilt } from '../database/sql';
import { DeadlineRow } from '../engine/deadline.entity';
import { DefinitionRegistry } from '../engine/definition-registry';
import { EngineService, type AcceptedEvent } from '../engine/engine.service';
import { WorkflowInstance } from '../engine/workflow-instance.entity';
import { Programme } from '../programmes/programme.entity';
import { noticeMail, reminderMail, type ComposedMail } from './compose';
import { OutboxMail } from './outbox.entity';
import { resolveRecipients } from './recipients';
import { DueTime } from './time-source';

export interface SweepResult {
  /** Deadlines looked at (open, within the largest offset or overdue). */
  considered: number;
  /** New e-mails put in the outbox. */
  queued: number;
}

/**
 * Mails per insert statement. Measured on PostgreSQL (bench part 4, 1 000 due reminders): 200 rows
 * a statement took a third longer per row than 100 or 50 (0.57–0.72 s against 0.40–0.48 s).
 */
const INSERT_BATCH = 100;

/**
 * Decides which reminders are due and queues them, and queues the notices accepted events call
 * for. Queuing is idempotent: every mail has a unique dedupe key, so two sweeps, or two replicas
 * sweeping at once, queue each (deadline, offset) exactly once.
 */
@Injectable()
export class RemindersService implements OnModuleInit {
  private readonly logger = new Logger('Reminders');

  constructor(
    private readonly orm: MikroORM,
    private readonly engine: EngineService,
    private readonly registry: DefinitionRegistry,
    private readonly dueTime: DueTime,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  onModuleInit(): void {
    this.engine.onAccepted((accepted) => this.queueNotices(accepted));
  }

  /** Which reminder of a deadline is due `daysLeft` days before it: only the latest one passed. */
  offsetFor(daysLeft: number): string | undefined {
    const offsets = this.settings.reminderOffsetsDays;
    if (daysLeft >= 0) {
      const passed = offsets.filter((o) => o >= daysLeft);
      if (passed.length === 0) return undefined;
      const latest = Math.min(...passed);
      return latest === 0 ? 'on-day' : `before-${latest}`;
    }
    const overdue = -daysLeft;
    if (overdue >= 7) return `after-${Math.floor(overdue / 7) * 7}`;
    const last = Math.min(...offsets);
    return last === 0 ? 'on-day' : `before-${last}`;
  }

  async sweep(): Promise<SweepResult> {
    const now = await this.dueTime.now();
    const nowIso = now.toISOString();
    const today = osloDay(now);
    const horizon = addDays(today, Math.max(...this.settings.reminderOffsetsDays));
    const em = this.orm.em.fork();
    // The (met, due) index keeps this proportional to what is due, not to every instance.
    const candidates = await em.find(
      DeadlineRow,
      { met: false, due: { $lte: horizon } },
      { orderBy: { due: 'asc' } },
    );
    const wanted = new Map<string, DeadlineRow>();
    for (const row of candidates) {
      const offset = this.offsetFor(daysBetween(today, row.due));
      if (offset) wanted.set(`reminder:${row.instanceId}:${row.key}:${row.due}:${offset}`, row);
    }
    if (wanted.size === 0) return { considered: candidates.length, queued: 0 };
    const existing = await this.existingKeys(em, [...wanted.keys()]);
    const fresh = [...wanted].filter(([key]) => !existing.has(key));
    if (fresh.length === 0) return { considered: candidates.length, queued: 0 };

    const instanceIds = [...new Set(fresh.map(([, row]) => row.instanceId))];
    const [instances, programmes] = await Promise.all([
      em.find(WorkflowInstance, { id: { $in: instanceIds } }),
      em.find(Programme, { instanceId: { $in: instanceIds } }),
    ]);
    const instanceById = new Map(instances.map((i) => [i.id, i]));
    const programmeByInstance = new Map(programmes.map((p) => [p.instanceId, p]));
    const rows: OutboxMail[] = [];
    for (const [key, row] of fresh) {
      const instance = instanceById.get(row.instanceId);
      const programme = programmeByInstance.get(row.instanceId);
      if (!instance || !programme) continue;
      let snapshot;
      try {
        const { persisted } = this.registry.upgrade(
          instance.definitionId,
          instance.definitionVersion,
          instance.snapshot,
        );
        snapshot = this.registry.restore(instance.definitionId, persisted);
      } catch (error) {
        this.logger.error(
          `Instance ${instance.id} cannot be loaded for reminders: ${(error as Error).message}`,
        );
        continue;
      }
      const { definition } = this.registry.get(instance.definitionId);
      // Judged now, so an overdue deadline escalates and changed people are reached at once.
      const deadline = definition
        .deadlines(snapshot, nowIso, this.settings.definitionSettings)
        .find((d) => d.key === row.key && d.due === row.due);
      if (!deadline || deadline.met) continue;
      const to = resolveRecipients(deadline.recipients, programme, definition, snapshot);
      if (to.length === 0) continue;
      const mail = reminderMail({
        municipality: programme.municipality,
        programmeId: programme.id,
        instanceId: instance.id,
        deadline,
        today,
        missing: definition.missingFor?.(snapshot, deadline, nowIso) ?? [],
        inspectUrl: this.inspectUrl(programme.id),
        now: nowIso,
      });
      rows.push(this.outboxRow('reminder', key, instance.id, programme.id, to, mail, nowIso));
    }
    const queued = await this.insertIgnoringDuplicates(em, rows);
    if (queued > 0) this.logger.log(`Queued ${queued} reminder(s)`);
    return { considered: candidates.length, queued };
  }

  /** In the event's own transaction: the notices it calls for go to the outbox with it. */
  private async queueNotices(accepted: AcceptedEvent): Promise<void> {
    const { definition } = this.registry.get(accepted.definitionId);
    const notices = definition.notices?.(accepted.before, accepted.after, accepted.event) ?? [];
    if (notices.length === 0) return;
    const em = this.orm.em.fork();
    const [found] = await allBuilt<Record<string, unknown>>(
      accepted.tx,
      queryFor(em, Programme).select('*').where({ instanceId: accepted.instanceId }),
    );
    if (!found) return;
    const programme = em.map(Programme, found);
    const rows: OutboxMail[] = [];
    for (const notice of notices) {
      const to = resolveRecipients(notice.recipients, programme, definition, accepted.after);
      if (to.length === 0) continue;
      const mail = noticeMail({
        subject: notice.subject,
        lines: notice.lines,
        inspectUrl: this.inspectUrl(programme.id),
      });
      const key = `notice:${accepted.instanceId}:${accepted.seq}:${notice.key}`;
      rows.push(
        this.outboxRow('notice', key, accepted.instanceId, programme.id, to, mail, accepted.at),
      );
    }
    if (rows.length > 0) await runBuilt(accepted.tx, queryFor(em, OutboxMail).insert(rows));
  }

  private inspectUrl(programmeId: string): string {
    return `${this.settings.publicUrl}/inspect/${programmeId}`;
  }

  private outboxRow(
    kind: OutboxMail['kind'],
    dedupeKey: string,
    instanceId: string,
    programmeId: string,
    to: { name: string; email: string }[],
    mail: ComposedMail,
    now: string,
  ): OutboxMail {
    return Object.assign(new OutboxMail(), {
      id: randomUUID(),
      dedupeKey,
      kind,
      instanceId,
      programmeId,
      recipients: to,
      subject: mail.subject,
      textBody: mail.text,
      htmlBody: mail.html,
      ics: mail.ics,
      // Derived from the dedupe key: the same mail always carries the same Message-ID, so a
      // receiver can drop the duplicate a crash between the server's 250 and our commit may cause.
      messageId: `<${createHash('sha256').update(dedupeKey).digest('hex').slice(0, 32)}@videreforing>`,
      status: 'pending' as const,
      attempts: 0,
      nextAttemptAt: now,
      leaseOwner: null,
      leaseUntil: null,
      lastError: null,
      createdAt: now,
      sentAt: null,
    });
  }

  private async existingKeys(em: EntityManager, keys: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < keys.length; i += 500) {
      const rows = await em.find(
        OutboxMail,
        { dedupeKey: { $in: keys.slice(i, i + 500) } },
        { fields: ['dedupeKey'] },
      );
      for (const row of rows) found.add(row.dedupeKey);
    }
    return found;
  }

  /** Inserts rows whose dedupe key is new; another replica may have queued the same a moment ago. */
  private async insertIgnoringDuplicates(em: EntityManager, rows: OutboxMail[]): Promise<number> {
    let inserted = 0;
    for (let i = 0; i < rows.length; i += INSERT_BATCH) {
      const batch = rows.slice(i, i + INSERT_BATCH);
      const result: unknown = await (em as SqlEntityManager)
        .createQueryBuilder(OutboxMail)
        .insert(batch)
        .onConflict('dedupeKey')
        .ignore()
        .execute('run');
      inserted += (result as { affectedRows?: number }).affectedRows ?? 0;
    }
    return inserted;
  }
}
