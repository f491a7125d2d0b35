import { MikroORM } from '@mikro-orm/core';
import type { INestApplication } from '@nestjs/common';
import { addDays, addYears } from '../../workflows/kit';
import type { Principal } from '../../src/auth/principal';
import { createApp } from '../../src/bootstrap';
import { ManualClock } from '../../src/common/clock';
import { ProgrammesService } from '../../src/programmes/programmes.service';
import { OutboxService } from '../../src/reminders/outbox.service';
import { RemindersService } from '../../src/reminders/reminders.service';
import {
  dialects,
  scratchDatabase,
  testSettings,
  type ScratchDatabase,
} from '../support/databases';
import { programmeBody } from '../support/http-harness';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { messageIdFor, quiet } from './mail-helpers';

/**
 * Several replicas on one PostgreSQL database (SPEC §3): sweeping and sending at the same moment,
 * every reminder is queued once and arrives once.
 */
const postgres = dialects().filter((d) => d === 'postgresql');
const PROGRAMMES = 1000;
const admin: Principal = { tokenId: 'test', role: 'admin', label: 'test', programmeIds: null };

describe.each(postgres)('three replicas on one %s database', () => {
  let database: ScratchDatabase;
  let smtp: TestSmtp;
  const clock = new ManualClock('2026-03-02T08:00:00.000Z');
  const apps: INestApplication[] = [];

  beforeAll(async () => {
    database = scratchDatabase('postgresql');
    smtp = await startSmtp(0);
    // One after the other: each runs the migrations (under an advisory lock) on start.
    for (let i = 0; i < 3; i += 1) {
      const settings = testSettings(database.url, {
        ...quiet,
        SMTP_URL: smtp.url,
        MAIL_BATCH_SIZE: '25',
        DATABASE_POOL_SIZE: '8',
      });
      const app = await createApp({ settings, clock });
      await app.init();
      apps.push(app);
    }
  }, 60_000);

  afterAll(async () => {
    for (const app of apps) await app.close();
    await smtp?.close();
    database?.drop();
  }, 60_000);

  it(`${PROGRAMMES} due reminders, swept and sent by all three at once, each arrive exactly once`, async () => {
    const owners = apps.map((a) => a.get(OutboxService).owner);
    expect(new Set(owners).size).toBe(3);

    // Every programme's latest start is 20 days away: one 30-day reminder each.
    const programmeEnd = addYears(addDays('2026-03-02', 20), 2);
    let next = 0;
    await Promise.all(
      Array.from({ length: 24 }, async (_, worker) => {
        const programmes = apps[worker % 3]!.get(ProgrammesService);
        while (next < PROGRAMMES) {
          const n = next++;
          await programmes.create(
            programmeBody({
              municipality: `Kommune ${n}`,
              programmeEnd,
              board: [{ name: `Leder ${n}`, email: `leder${n}@example.no` }],
              administrators: [{ name: `Sekretær ${n}`, email: `sekretar${n}@example.no` }],
            }),
            admin,
          );
        }
      }),
    );

    const results = await Promise.all(
      apps.map(async (app) => {
        const swept = await app.get(RemindersService).sweep();
        const sent = await app.get(OutboxService).sendDue();
        return { swept, sent };
      }),
    );
    // Each replica saw all of them; between them they queued and sent each once.
    expect(results.map((r) => r.swept.considered)).toEqual([PROGRAMMES, PROGRAMMES, PROGRAMMES]);
    expect(results.reduce((n, r) => n + r.swept.queued, 0)).toBe(PROGRAMMES);
    expect(results.reduce((n, r) => n + r.sent.sent, 0)).toBe(PROGRAMMES);
    expect(results.every((r) => r.sent.failed === 0 && r.sent.retrying === 0)).toBe(true);

    const sql = apps[0]!.get(MikroORM).em.fork().getConnection();
    const rows = (await sql.execute(
      `select dedupe_key, message_id, status, attempts, lease_owner from mail_outbox`,
    )) as { dedupe_key: string; message_id: string; status: string; attempts: number }[];
    expect(rows).toHaveLength(PROGRAMMES);
    expect(rows.every((r) => r.status === 'sent' && Number(r.attempts) === 1)).toBe(true);
    expect(rows.every((r) => r.message_id === messageIdFor(r.dedupe_key))).toBe(true);

    const arrived = smtp.received.map((m) => m.messageId);
    expect(arrived).toHaveLength(PROGRAMMES);
    expect(new Set(arrived).size).toBe(PROGRAMMES);
    expect(new Set(arrived)).toEqual(new Set(rows.map((r) => r.message_id)));
    // Each went to its own programme's board and administrators.
    const recipients = new Set(smtp.received.map((m) => [...m.to].sort().join(',')));
    expect(recipients.size).toBe(PROGRAMMES);

    // Once more, all at once: nothing new.
    const again = await Promise.all(
      apps.map(async (app) => ({
        swept: await app.get(RemindersService).sweep(),
        sent: await app.get(OutboxService).sendDue(),
      })),
    );
    expect(again.every((r) => r.swept.queued === 0 && r.sent.sent === 0)).toBe(true);
    expect(smtp.received).toHaveLength(PROGRAMMES);
  }, 90_000);
});

if (postgres.length === 0) {
  // dialects() has already warned (or thrown, with REQUIRE_POSTGRES=1): there is nothing to run.
  it('needs PostgreSQL for replicas on one database', () => {
    expect(process.env.REQUIRE_POSTGRES).not.toBe('1');
  });
}
