import { addDays } from '../../workflows/kit';
import { dialects } from '../support/databases';
import type { HttpHarness } from '../support/http-harness';
import type { TestSmtp } from '../support/smtp';
import { payloads } from '../support/videreforing-driver';
import {
  accept,
  createProgramme,
  endForLatestStartIn,
  messageIdFor,
  outboxRows,
  receivedWith,
  sendDue,
  setDay,
  sweep,
  today,
  useMailApp,
} from './mail-helpers';

/** When reminders go out (SPEC §2.7): each (deadline, offset) once, only the latest offset passed. */

interface DayLog {
  day: string;
  keys: string[];
  messageIds: string[];
}

/**
 * Sweeps and sends once a day from `from` to `to` (the same calls the cron job makes) and records,
 * per instance and day, the new reminder keys and the mails that arrived for them.
 */
async function walk(
  h: HttpHarness,
  smtp: TestSmtp,
  instanceIds: string[],
  from: string,
  to: string,
): Promise<Map<string, DayLog[]>> {
  const logs = new Map(instanceIds.map((id) => [id, [] as DayLog[]]));
  // What was queued or arrived before the walk is not part of it.
  const seenKeys = new Set((await outboxRows(h)).map((r) => r.dedupeKey));
  const owner = new Map<string, string>();
  let arrived = smtp.received.length;
  for (let day = from; day <= to; day = addDays(day, 1)) {
    setDay(h, day);
    await sweep(h);
    expect(await sendDue(h)).toEqual(expect.objectContaining({ failed: 0, retrying: 0 }));
    const fresh = (await outboxRows(h)).filter(
      (r) => r.kind === 'reminder' && !seenKeys.has(r.dedupeKey) && logs.has(r.instanceId),
    );
    for (const r of fresh) {
      seenKeys.add(r.dedupeKey);
      owner.set(messageIdFor(r.dedupeKey), r.instanceId);
    }
    // Every arrival since yesterday, duplicates included.
    const arrivals = smtp.received.slice(arrived).map((m) => m.messageId ?? '');
    arrived = smtp.received.length;
    for (const [instanceId, log] of logs) {
      const keys = fresh.filter((r) => r.instanceId === instanceId).map((r) => r.dedupeKey);
      const messageIds = arrivals.filter((id) => owner.get(id) === instanceId);
      if (keys.length > 0 || messageIds.length > 0) log.push({ day, keys, messageIds });
    }
  }
  return logs;
}

/** The days and keys a walk should produce for a latestStart deadline due on `due`. */
function expected(instanceId: string, due: string, plan: [number, string][]): DayLog[] {
  return plan.map(([offset, name]) => {
    const key = `reminder:${instanceId}:latestStart:${due}:${name}`;
    return { day: addDays(due, offset), keys: [key], messageIds: [messageIdFor(key)] };
  });
}

describe.each(dialects())('reminder schedule on %s', (dialect) => {
  describe('default offsets (30, 14, 7, 1, 0, weekly after)', () => {
    const mail = useMailApp(dialect);
    const h = mail.h;

    it('queues every due reminder of a sweep once, more than one insert statement holds', async () => {
      // 150: two insert statements of at most 100 mails (the sweep's batch).
      const end = endForLatestStartIn(h, 18);
      const made: string[] = [];
      for (let n = 0; n < 150; n += 1)
        made.push((await createProgramme(h, { programmeEnd: end })).id);
      await sweep(h);
      const mine = (await outboxRows(h)).filter((r) => made.includes(r.programmeId ?? ''));
      expect(mine.filter((r) => r.kind === 'reminder')).toHaveLength(150);
      expect(new Set(mine.map((r) => r.programmeId)).size).toBe(150);
      expect((await sweep(h)).queued).toBe(0);
      // Sent, so that the next test starts with an empty queue.
      expect(await sendDue(h)).toEqual({ sent: 150, failed: 0, retrying: 0 });
    }, 60_000);

    it('a second sweep queues and sends nothing new', async () => {
      const { id } = await createProgramme(h, { programmeEnd: endForLatestStartIn(h, 18) });
      const first = await sweep(h);
      expect(first.queued).toBe(1);
      expect((await sendDue(h)).sent).toBe(1);
      const received = mail.smtp.received.length;

      expect(await sweep(h)).toEqual({ considered: first.considered, queued: 0 });
      expect(await sendDue(h)).toEqual({ sent: 0, failed: 0, retrying: 0 });
      const run = await h.request('POST', '/api/reminders/run');
      expect(run.status).toBe(200);
      expect(run.body).toEqual({
        considered: first.considered,
        queued: 0,
        sent: 0,
        failed: 0,
        retrying: 0,
      });
      expect(mail.smtp.received).toHaveLength(received);
      expect(await outboxRows(h, id)).toHaveLength(1);
    });

    it('a deadline first seen 10 days out gets the 14-day reminder only, then the 7-day one', async () => {
      const { id, instanceId } = await createProgramme(h, {
        programmeEnd: endForLatestStartIn(h, 10),
      });
      const due = addDays(today(h), 10);
      await sweep(h);
      await sendDue(h);
      const keys = async () => (await outboxRows(h, id)).map((r) => r.dedupeKey);
      expect(await keys()).toEqual([`reminder:${instanceId}:latestStart:${due}:before-14`]);
      expect(
        receivedWith(mail.smtp, [
          messageIdFor(`reminder:${instanceId}:latestStart:${due}:before-30`),
        ]),
      ).toEqual([]);

      for (const day of [addDays(due, -9), addDays(due, -8)]) {
        setDay(h, day);
        await sweep(h);
      }
      expect(await keys()).toHaveLength(1);
      setDay(h, addDays(due, -7));
      await sweep(h);
      await sendDue(h);
      expect(await keys()).toEqual([
        `reminder:${instanceId}:latestStart:${due}:before-14`,
        `reminder:${instanceId}:latestStart:${due}:before-7`,
      ]);
      expect(
        receivedWith(
          mail.smtp,
          (await keys()).map((k) => messageIdFor(k)),
        ).map((m) => m.messageId),
      ).toEqual((await keys()).map((k) => messageIdFor(k)));
    });

    it('day by day around one deadline: 30, 14, 7, 1 days before, on the day, then weekly; a met one stops', async () => {
      const start = today(h);
      // One deadline 32 days out, walked past by two weeks.
      const walked = await createProgramme(h, { programmeEnd: endForLatestStartIn(h, 32) });
      const due = addDays(start, 32);
      // Another 18 days out, reminded of once, then met when the pre-study starts.
      const met = await createProgramme(h, { programmeEnd: endForLatestStartIn(h, 18) });
      const metDue = addDays(start, 18);
      await sweep(h);
      await sendDue(h);
      await accept(h, met.id, 'roles.assign', payloads.internalRoles);
      await accept(h, met.id, 'forstudie.start');
      const workflow = await h.request('GET', `/api/programmes/${met.id}/workflow`);
      expect(workflow.body.deadlines).toEqual(
        expect.arrayContaining([expect.objectContaining({ kind: 'latestStart', met: true })]),
      );

      const logs = await walk(
        h,
        mail.smtp,
        [walked.instanceId, met.instanceId],
        start,
        addDays(due, 14),
      );
      expect(logs.get(walked.instanceId)).toEqual(
        expected(walked.instanceId, due, [
          [-30, 'before-30'],
          [-14, 'before-14'],
          [-7, 'before-7'],
          [-1, 'before-1'],
          [0, 'on-day'],
          [7, 'after-7'],
          [14, 'after-14'],
        ]),
      );
      // Each arrived exactly once, with the Message-ID derived from its key.
      const all = logs.get(walked.instanceId)!.flatMap((d) => d.messageIds);
      expect(receivedWith(mail.smtp, all).map((m) => m.messageId)).toEqual(all);
      const rows = (await outboxRows(h, walked.id)).filter((r) => r.kind === 'reminder');
      expect(rows).toHaveLength(7);
      expect(rows.every((r) => r.status === 'sent' && r.attempts === 1)).toBe(true);

      // The met deadline got its first reminder and nothing after, though walked well past it.
      const metKeys = (await outboxRows(h, met.id)).map((r) => r.dedupeKey);
      expect(metKeys.filter((k) => k.includes(':latestStart:'))).toEqual([
        `reminder:${met.instanceId}:latestStart:${metDue}:before-30`,
      ]);
      // The sweep still looks at that instance: the pre-study's own deadline is reminded of.
      const metLog = logs.get(met.instanceId)!;
      expect(metLog.flatMap((d) => d.keys).every((k) => k.includes(':forstudieEnd:'))).toBe(true);
      expect(metLog.length).toBeGreaterThan(0);
    }, 30_000);
  });

  describe('configured offsets (REMINDER_OFFSETS_DAYS=21,3,0)', () => {
    const mail = useMailApp(dialect, { REMINDER_OFFSETS_DAYS: '21,3,0' });
    const h = mail.h;

    it('sends exactly the configured offsets in order', async () => {
      const start = today(h);
      const { instanceId } = await createProgramme(h, {
        programmeEnd: endForLatestStartIn(h, 22),
      });
      const due = addDays(start, 22);
      const logs = await walk(h, mail.smtp, [instanceId], start, addDays(due, 8));
      expect(logs.get(instanceId)).toEqual(
        expected(instanceId, due, [
          [-21, 'before-21'],
          [-3, 'before-3'],
          [0, 'on-day'],
          [7, 'after-7'],
        ]),
      );
    }, 30_000);
  });
});
