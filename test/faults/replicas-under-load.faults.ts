import { addDays, addYears, osloDay } from '../../workflows/kit';
import { OutboxService } from '../../src/reminders/outbox.service';
import { RemindersService } from '../../src/reminders/reminders.service';
import { dialects, scratchDatabase, type ScratchDatabase } from '../support/databases';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { outbox, repeated, replicaSettings, startReplica, type Replica } from './support/apps';
import {
  call,
  checkHistories,
  createProgrammes,
  EventLoad,
  programmeBody,
  sleep,
  type CreatedProgramme,
} from './support/service';

/**
 * Issue 7: three replicas on one PostgreSQL under load, plus reminder sweeps. Three whole services
 * (in this process, each on its own port and connection pool, with the system clock, so what is
 * due is judged by the database's clock as in production) share one scratch database and a real
 * SMTP server. For LOAD_MS:
 *   - nine senders post `cost.record` events with unique Idempotency-Keys to six programmes in the
 *     pre-study, each request to a random replica (so the same programme is written by all three);
 *     costs soon pass the pre-study's frame, which queues one budget-overrun notice per programme;
 *   - new programmes are created on random replicas, each with a reminder due at once;
 *   - every replica sweeps for reminders and sends from the outbox in a loop.
 * Then: every mail arrived exactly once (distinct Message-IDs == received == outbox rows, each
 * sent in one attempt), one overrun notice per programme, and every acknowledged event is in the
 * history exactly once with contiguous versions and a valid chain.
 */

const postgres = dialects().filter((d) => d === 'postgresql');
const LOAD_MS = 10_000;
const SENDERS = 9;
const EVENT_PROGRAMMES = 6;
/** Days from today to the latest start of the pre-study: one reminder due now for each. */
const REMINDER_LEADS = [20, 10, 5, 1, 0];

const ROLES = {
  type: 'roles.assign',
  prosjekteier: 'Nordkyn kommune',
  prosjektansvarlig: { name: 'Ola Ordfører', email: 'ordforer@nordkyn.kommune.no' },
  prosjektleder: { name: 'Ingrid Intern', email: 'ingrid@nordkyn.kommune.no', external: false },
};

describe.each(postgres)('three replicas under load on one %s database', () => {
  let database: ScratchDatabase;
  let smtp: TestSmtp;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    database = scratchDatabase('postgresql');
    smtp = await startSmtp(0);
    smtp.delayMs = 20;
    // One after the other: each runs the migrations (under an advisory lock) on start.
    for (const name of ['a', 'b', 'c']) {
      const settings = replicaSettings(database.url, {
        SMTP_URL: smtp.url,
        MAIL_BATCH_SIZE: '5',
        DATABASE_POOL_SIZE: '6',
      });
      replicas.push(await startReplica(name, settings, { listen: true }));
    }
  }, 60_000);

  afterAll(async () => {
    for (const replica of replicas) await replica.app.close();
    await smtp?.close();
    database?.drop();
  }, 60_000);

  it('sends no mail twice and loses no update', async () => {
    const urls = replicas.map((r) => r.url);
    const anyUrl = () => urls[Math.floor(Math.random() * urls.length)]!;
    const dayAtStart = osloDay(new Date());

    // Programmes in the pre-study (its start queues a notice each), written to by all replicas.
    const programmes = await createProgrammes(urls[0]!, EVENT_PROGRAMMES, (n) => ({
      board: [{ name: `Leder ${n}`, email: `leder${n}@example.no` }],
    }));
    for (const programme of programmes) {
      for (const event of [ROLES, { type: 'forstudie.start' }]) {
        const answer = await call(
          anyUrl(),
          'POST',
          `/api/programmes/${programme.id}/workflow/events`,
          {
            body: event,
          },
        );
        expect({ type: event.type, status: answer.status }).toEqual({
          type: event.type,
          status: 200,
        });
      }
    }

    let stopping = false;
    const loopErrors: string[] = [];
    const sweeps = replicas.map(async (replica) => {
      const reminders = replica.app.get(RemindersService);
      const sender = replica.app.get(OutboxService);
      let rounds = 0;
      while (!stopping) {
        try {
          await reminders.sweep();
          await sender.sendDue();
          rounds += 1;
        } catch (error) {
          loopErrors.push(`${replica.name}: ${(error as Error).message}`);
        }
        await sleep(20 + Math.random() * 80);
      }
      return rounds;
    });

    const reminderProgrammes: CreatedProgramme[] = [];
    const creations = (async () => {
      for (let n = 0; !stopping; n += 1) {
        const lead = REMINDER_LEADS[n % REMINDER_LEADS.length]!;
        const answer = await call(anyUrl(), 'POST', '/api/programmes', {
          body: programmeBody({
            municipality: `Påminnelse ${n}`,
            programmeEnd: addYears(addDays(osloDay(new Date()), lead), 2),
            board: [{ name: `Styre ${n}`, email: `styre${n}@example.no` }],
            administrators: [{ name: `Sekretær ${n}`, email: `sekretar${n}@example.no` }],
          }),
        });
        if (answer.status !== 201) loopErrors.push(`create: ${answer.status} ${answer.text}`);
        else reminderProgrammes.push({ id: answer.body.id, instanceId: answer.body.instanceId });
        await sleep(150 + Math.random() * 150);
      }
    })();

    const load = new EventLoad(() => urls, programmes, SENDERS, 'replicas');
    load.start();
    await sleep(LOAD_MS);
    stopping = true;
    const rounds = await Promise.all(sweeps);
    await creations;
    await load.stop();
    // A last sweep and send by all three at once: whatever is still due goes now.
    const last = await Promise.all(
      replicas.map(async (r) => ({
        swept: await r.app.get(RemindersService).sweep(),
        sent: await r.app.get(OutboxService).sendDue(),
      })),
    );
    const again = await Promise.all(replicas.map((r) => r.app.get(RemindersService).sweep()));

    const rows = await outbox(replicas[0]!);
    const received = smtp.received.map((m) => m.messageId);
    const checks = await checkHistories(urls[0]!, programmes, load.acks, { exact: true });
    const overruns = rows.filter((r) => r.dedupe_key.endsWith(':budgetOverrun'));
    const started = rows.filter((r) => r.dedupe_key.endsWith(':phaseStarted:forstudie'));
    const reminders = rows.filter((r) => r.dedupe_key.startsWith('reminder:'));
    console.log(
      `[faults] replicas: ${load.acks.length} events acknowledged (${JSON.stringify(
        Object.fromEntries(load.interrupted),
      )} without an answer), ${reminderProgrammes.length} programmes created under load; ` +
        `sweep rounds ${rounds.join('/')}; ${rows.length} mails queued (${reminders.length} reminders, ` +
        `${started.length} phase notices, ${overruns.length} overrun notices), ${received.length} received, ` +
        `sent by replica ${replicas.map((r) => r.sends.finished.length).join('/')}, ` +
        `at most ${Math.max(...replicas.map((r) => r.sends.maxInFlight))} at once per replica; ` +
        `last round sent ${last.map((l) => l.sent.sent).join('/')}`,
    );

    expect(loopErrors).toEqual([]);
    expect(load.failures).toEqual([]);
    // No lost update: every acknowledged event once, at its version; versions contiguous; chain valid.
    expect(checks.flatMap((c) => c.problems)).toEqual([]);
    expect(load.acks.length).toBeGreaterThan(50);
    // No duplicate mail: each Message-ID arrived once, and everything queued arrived.
    expect(repeated(received)).toEqual([]);
    expect(received).toHaveLength(rows.length);
    expect(new Set(received)).toEqual(new Set(rows.map((r) => r.message_id)));
    expect(rows.filter((r) => r.status !== 'sent' || r.attempts !== 1)).toEqual([]);
    // Within a replica sends never overlapped; between them each mail was sent by one replica.
    expect(replicas.map((r) => r.sends.maxInFlight).every((n) => n <= 1)).toBe(true);
    expect(repeated(replicas.flatMap((r) => r.sends.started))).toEqual([]);
    // Queued once each: one overrun and one start notice per programme in the pre-study, and one
    // reminder per programme created under load (two if Oslo's day changed during the test).
    expect(overruns).toHaveLength(EVENT_PROGRAMMES);
    expect(started).toHaveLength(EVENT_PROGRAMMES);
    const remindedInstances = new Set(reminders.map((r) => r.dedupe_key.split(':')[1]));
    expect(reminderProgrammes.filter((p) => !remindedInstances.has(p.instanceId))).toEqual([]);
    if (osloDay(new Date()) === dayAtStart) {
      expect(reminders).toHaveLength(reminderProgrammes.length);
    }
    expect(again.every((s) => s.queued === 0)).toBe(true);
    // The replicas shared the work.
    expect(replicas.every((r) => r.sends.finished.length > 0)).toBe(true);
  }, 110_000);
});

if (postgres.length === 0) {
  // dialects() has already warned (or thrown, with REQUIRE_POSTGRES=1): there is nothing to run.
  it('needs PostgreSQL for replicas on one database', () => {
    expect(process.env.REQUIRE_POSTGRES).not.toBe('1');
  });
}
