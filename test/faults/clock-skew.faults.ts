import { MikroORM } from '@mikro-orm/core';
import { spawnSync } from 'node:child_process';
import { addDays, addYears, osloDay } from '../../workflows/kit';
import { Clock, ManualClock, SystemClock } from '../../src/common/clock';
import { instantOf } from '../../src/programmes/time';
import { ProgrammesService } from '../../src/programmes/programmes.service';
import { OutboxService } from '../../src/reminders/outbox.service';
import { RemindersService } from '../../src/reminders/reminders.service';
import { dialects, scratchDatabase, type ScratchDatabase } from '../support/databases';
import { startSmtp, type TestSmtp } from '../support/smtp';
import {
  admin,
  databaseNow,
  outbox,
  replicaSettings,
  startReplica,
  type Replica,
} from './support/apps';
import { programmeBody } from './support/service';

/**
 * Issue 7: a replica whose clock is 5 minutes ahead sends nothing early. What is due is judged by
 * the database's clock (DueTime), whatever the replica's own clock says, as long as that clock is
 * the system's: SkewedClock below IS a SystemClock (so DueTime reads the database), only 5 minutes
 * fast — like a host whose NTP has drifted. To show the test can fail, the same checks run on a
 * replica whose injected clock reads the same skewed time but is not a SystemClock (a ManualClock,
 * which DueTime trusts): that one does send early.
 *
 * 1. A retry the outbox scheduled for 96–144 s from now (a 451, MAIL_RETRY_BASE_SECONDS=120) is
 *    not sent by the skewed replica, though by its own clock it is already due (SQLite and
 *    PostgreSQL).
 * 2. A reminder that becomes due at the next midnight in Oslo is not queued by the skewed replica
 *    2½ minutes before midnight. Reminders are judged by the Oslo calendar day, so a 5-minute
 *    skew matters only in the last 5 minutes of a day: for this test the scratch database's clock
 *    is put 2½ minutes before the next Oslo midnight, whatever the time the test runs (PostgreSQL
 *    only: a `public.now()` that shadows `pg_catalog.now()` through that database's search_path).
 */

const SKEW_MS = 5 * 60_000;

/** The system's clock, 5 minutes fast (or `aheadMs`). DueTime still reads the database's clock. */
class SkewedClock extends SystemClock {
  constructor(private readonly aheadMs = SKEW_MS) {
    super();
  }

  override now(): Date {
    return new Date(Date.now() + this.aheadMs);
  }
}

describe.each(dialects())('a replica whose clock is 5 minutes ahead, on %s', (dialect) => {
  let database: ScratchDatabase;
  let smtp: TestSmtp;
  const replicas: Replica[] = [];
  const start = async (name: string, clock: SystemClock | ManualClock) => {
    const settings = replicaSettings(database.url, {
      SMTP_URL: smtp.url,
      MAIL_RETRY_BASE_SECONDS: '120',
    });
    const replica = await startReplica(name, settings, { clock });
    replicas.push(replica);
    return replica;
  };

  beforeAll(async () => {
    database = scratchDatabase(dialect);
    smtp = await startSmtp(0);
  }, 60_000);

  afterAll(async () => {
    for (const replica of replicas) await replica.app.close();
    await smtp?.close();
    database?.drop();
  }, 60_000);

  it('does not send a retry before the database says it is due', async () => {
    const normal = await start('normal', new SystemClock());
    const skewed = await start('skewed', new SkewedClock());

    // A reminder due now; its first attempt meets a 451, so a retry is scheduled 96–144 s on.
    await normal.app
      .get(ProgrammesService)
      .create(
        programmeBody({ programmeEnd: addYears(addDays(osloDay(new Date()), 20), 2) }),
        admin,
      );
    expect(await normal.app.get(RemindersService).sweep()).toMatchObject({ queued: 1 });
    smtp.failNext(451);
    expect(await normal.app.get(OutboxService).sendDue()).toEqual({
      sent: 0,
      failed: 0,
      retrying: 1,
    });
    const [scheduled] = await outbox(normal);
    const dbNow = await databaseNow(normal);
    const dueIn = new Date(scheduled!.next_attempt_at).getTime() - dbNow.getTime();
    expect(scheduled).toMatchObject({ status: 'pending', attempts: 1 });
    expect(dueIn).toBeGreaterThan(60_000);
    expect(dueIn).toBeLessThan(SKEW_MS);
    // By the skewed replica's own clock the retry is already due ...
    expect(skewed.app.get(Clock).now().getTime()).toBeGreaterThan(
      new Date(scheduled!.next_attempt_at).getTime(),
    );

    // ... yet it sends nothing, and sweeping queues nothing new.
    expect(await skewed.app.get(OutboxService).sendDue()).toEqual({
      sent: 0,
      failed: 0,
      retrying: 0,
    });
    expect(await skewed.app.get(RemindersService).sweep()).toMatchObject({ queued: 0 });
    expect(await outbox(skewed)).toEqual([scheduled]);
    expect(smtp.received.filter((m) => m.messageId === scheduled!.message_id)).toEqual([]);

    // The contrast: a replica that trusts its own clock (not a SystemClock) at the same reading
    // sends it at once, 5 minutes early. So the check above can fail.
    const trusting = await start(
      'manual',
      new ManualClock(new Date((await databaseNow(normal)).getTime() + SKEW_MS)),
    );
    expect(await trusting.app.get(OutboxService).sendDue()).toMatchObject({ sent: 1 });
    expect(smtp.received.filter((m) => m.messageId === scheduled!.message_id)).toHaveLength(1);
  }, 60_000);
});

const postgres = dialects().filter((d) => d === 'postgresql');

describe.each(postgres)(
  'a replica whose clock is 5 minutes ahead, 2½ minutes before midnight in Oslo, on %s',
  () => {
    let database: ScratchDatabase;
    const replicas: Replica[] = [];
    /** How far the scratch database's clock is moved: to 2½ minutes before the next Oslo midnight. */
    let shiftMs = 0;
    let tomorrow = '';

    beforeAll(() => {
      database = scratchDatabase('postgresql');
      const today = osloDay(new Date());
      tomorrow = addDays(today, 1);
      const midnight = instantOf('midnight', tomorrow, 'startOfDay');
      shiftMs = midnight.getTime() - 150_000 - Date.now();
      const name = new URL(database.url).pathname.slice(1);
      psql(
        database.url,
        `create function public.now() returns timestamptz language sql stable
           as $$ select pg_catalog.now() + interval '${Math.round(shiftMs)} milliseconds' $$;
         alter database ${name} set search_path = public, pg_catalog;`,
      );
    }, 60_000);

    afterAll(async () => {
      for (const replica of replicas) await replica.app.close();
      database?.drop();
    }, 60_000);

    it('queues no reminder that becomes due at midnight', async () => {
      // Reminders only on the day itself: due tomorrow means nothing is due today.
      const settings = replicaSettings(database.url, { REMINDER_OFFSETS_DAYS: '0' });
      const skewed = await startReplica('skewed', settings, {
        clock: new SkewedClock(shiftMs + SKEW_MS),
      });
      replicas.push(skewed);
      const dbNow = await databaseNow(skewed);
      expect(osloDay(dbNow)).toBe(addDays(tomorrow, -1));
      expect(osloDay(skewed.app.get(Clock).now())).toBe(tomorrow);

      // The latest start of its pre-study is tomorrow: its one deadline, due tomorrow.
      const programme = await skewed.app
        .get(ProgrammesService)
        .create(programmeBody({ programmeEnd: addYears(tomorrow, 2) }), admin);
      const deadlines = (await skewed.app
        .get(MikroORM)
        .em.fork()
        .getConnection()
        .execute('select key, due, met from deadline where instance_id = ?', [
          programme.instanceId,
        ])) as { key: string; due: string; met: boolean | number }[];
      expect(deadlines.map((d) => ({ key: d.key, due: d.due, met: Boolean(d.met) }))).toEqual([
        { key: 'latestStart', due: tomorrow, met: false },
      ]);

      // By the skewed replica's own clock it is tomorrow and the reminder is due; by the
      // database's it is not yet: nothing is queued.
      expect(await skewed.app.get(RemindersService).sweep()).toEqual({ considered: 0, queued: 0 });
      expect(await outbox(skewed)).toEqual([]);

      // The contrast: a replica trusting its own clock at the same reading queues it at once.
      const trusting = await startReplica('manual', settings, {
        clock: new ManualClock(new Date(dbNow.getTime() + SKEW_MS)),
      });
      replicas.push(trusting);
      expect(await trusting.app.get(RemindersService).sweep()).toEqual({
        considered: 1,
        queued: 1,
      });
      const [queued] = await outbox(trusting);
      expect(queued!.dedupe_key).toBe(
        `reminder:${programme.instanceId}:latestStart:${tomorrow}:on-day`,
      );
    }, 60_000);
  },
);

function psql(url: string, sql: string): void {
  const result = spawnSync('psql', [url, '-v', 'ON_ERROR_STOP=1', '-qc', sql], {
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
}
