import {
  Inject,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { SchedulerRegistry, ScheduleModule } from '@nestjs/schedule';
import { CronJob } from 'cron';
import type { Settings } from '../../config/settings';
import { describeCause, isUnavailable } from '../common/to-problem';
import { SETTINGS } from '../common/tokens';
import { DatabaseReadiness } from '../database/readiness';
import { ProgrammesModule } from '../programmes/programmes.module';
import { CalendarController } from './calendar.controller';
import { MailTransport } from './mail-transport';
import { OutboxService } from './outbox.service';
import { RemindersController } from './reminders.controller';
import { RemindersService } from './reminders.service';
import { DueTime } from './time-source';

/**
 * The cron job (REMINDER_CRON) sweeps for due reminders and sends; a short poll sends notices soon
 * after the event that caused them. Both are thin: the work is in the services, which the API's
 * POST /api/reminders/run and the tests call directly.
 */
@Module({
  imports: [ScheduleModule.forRoot(), ProgrammesModule],
  controllers: [RemindersController, CalendarController],
  providers: [RemindersService, OutboxService, MailTransport, DueTime],
  exports: [RemindersService, OutboxService, MailTransport],
})
export class RemindersModule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Reminders');
  private poll: NodeJS.Timeout | undefined;

  constructor(
    private readonly reminders: RemindersService,
    private readonly outbox: OutboxService,
    private readonly transport: MailTransport,
    private readonly scheduler: SchedulerRegistry,
    private readonly readiness: DatabaseReadiness,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { kind, target } = this.transport.describe();
    const reachable = await this.transport.verify();
    this.logger.log(
      `Mail transport: ${kind} (${target})${reachable ? '' : ' — not reachable now; mail waits in the outbox'}`,
    );
    if (this.settings.reminderCron !== 'off') {
      const job = CronJob.from({
        cronTime: this.settings.reminderCron,
        timeZone: 'Europe/Oslo',
        onTick: () => void this.sweepAndSend(),
      });
      this.scheduler.addCronJob('reminder-sweep', job);
      job.start();
    }
    if (this.settings.mail.pollSeconds > 0) {
      this.poll = setInterval(() => void this.send(), this.settings.mail.pollSeconds * 1000);
      this.poll.unref();
    }
  }

  onModuleDestroy(): void {
    if (this.poll) clearInterval(this.poll);
    if (this.scheduler.doesExist('cron', 'reminder-sweep'))
      this.scheduler.deleteCronJob('reminder-sweep');
  }

  // Until the database is ready (PostgreSQL down at start) a turn is skipped; the next one catches up.
  private async sweepAndSend(): Promise<void> {
    if (!this.readiness.ready) return;
    try {
      await this.reminders.sweep();
    } catch (error) {
      this.report('Reminder sweep failed', error);
    }
    await this.send();
  }

  private async send(): Promise<void> {
    if (!this.readiness.ready) return;
    try {
      await this.outbox.sendDue();
    } catch (error) {
      this.report('Sending from the outbox failed', error);
    }
  }

  /** A database that is away for now is a warning (the next turn retries); anything else an error. */
  private report(what: string, error: unknown): void {
    if (isUnavailable(error))
      this.logger.warn(`${what}: database unavailable: ${describeCause(error)}`);
    else this.logger.error(`${what}: ${(error as Error).message}`);
  }
}
