import { dialects } from '../support/databases';
import { payloads } from '../support/videreforing-driver';
import {
  PUBLIC_URL,
  accept,
  createProgramme,
  icsDay,
  parseCalendar,
  unescapeText,
  useMailApp,
} from './mail-helpers';

/** GET /api/programmes/:id/calendar.ics: every deadline as an all-day event with a stable UID. */
describe.each(dialects())('deadline calendar and health on %s', (dialect) => {
  const mail = useMailApp(dialect);
  const h = mail.h;

  const uid = (instanceId: string, key: string) =>
    `${instanceId}-${key.replace(/[^A-Za-z0-9-]/g, '-')}@videreforing`;

  async function calendarOf(id: string) {
    const response = await h.request('GET', `/api/programmes/${id}/calendar.ics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/calendar/);
    return { text: response.text, calendar: parseCalendar(response.text) };
  }

  async function deadlinesOf(id: string): Promise<any[]> {
    return (await h.request('GET', `/api/programmes/${id}/workflow`)).body.deadlines;
  }

  it('has one VEVENT per deadline, met ones marked, with UIDs that stay the same', async () => {
    const { id, instanceId } = await createProgramme(h);
    await accept(h, id, 'roles.assign', payloads.internalRoles);
    await accept(h, id, 'forstudie.start');
    for (const activityId of ['F1', 'F2', 'F3', 'F4', 'F5', 'F6']) {
      await accept(h, id, 'activity.complete', { activityId });
    }
    await accept(h, id, 'report.submit', payloads.forstudieReport);
    const deadlines = await deadlinesOf(id);
    expect(deadlines.map((d) => d.kind).sort()).toEqual(
      ['forstudieEnd', 'latestStart', 'reportDecision'].sort(),
    );

    const first = await calendarOf(id);
    expect(first.calendar.properties.get('X-WR-CALNAME')).toBe('Frister – Nordkyn');
    const events = first.calendar.events;
    expect(events).toHaveLength(deadlines.length);
    expect(new Set(events.map((e) => e.get('UID'))).size).toBe(events.length);
    for (const deadline of deadlines) {
      const event = events.find((e) => e.get('UID') === uid(instanceId, deadline.key));
      expect(event).toBeDefined();
      expect(event!.get('DTSTART;VALUE=DATE')).toBe(icsDay(deadline.due));
      expect(unescapeText(event!.get('SUMMARY')!)).toBe(
        `${deadline.met ? '✓ ' : ''}Nordkyn: ${deadline.label.nb}`,
      );
      expect(event!.get('URL')).toBe(`${PUBLIC_URL}/inspect/${id}`);
    }

    const second = await calendarOf(id);
    expect(second.text).toBe(first.text);
  });

  it('follows a changed programme end: latestStart moves, its UID does not', async () => {
    const { id, instanceId } = await createProgramme(h, { programmeEnd: '2028-12-31' });
    await accept(h, id, 'roles.assign', payloads.externalRoles);
    await accept(h, id, 'tender.publish', payloads.tender);
    const before = await calendarOf(id);
    const byUid = (c: typeof before) =>
      new Map(c.calendar.events.map((e) => [e.get('UID')!, e.get('DTSTART;VALUE=DATE')]));
    expect(byUid(before)).toEqual(
      new Map([
        [uid(instanceId, 'latestStart'), '20261231'],
        [uid(instanceId, 'tenderAnswer'), icsDay(payloads.tender.answerDeadline)],
      ]),
    );

    h.clock.advance(60_000);
    const patched = await h.request('PATCH', `/api/programmes/${id}`, {
      body: { programmeEnd: '2029-06-30', reason: 'Forlenget av departementet' },
    });
    expect(patched.status).toBe(200);
    expect((await deadlinesOf(id)).find((d) => d.kind === 'latestStart').due).toBe('2027-06-30');

    const after = await calendarOf(id);
    expect(byUid(after)).toEqual(
      new Map([
        [uid(instanceId, 'latestStart'), '20270630'],
        [uid(instanceId, 'tenderAnswer'), icsDay(payloads.tender.answerDeadline)],
      ]),
    );
    // A new DTSTAMP tells subscribers the event changed.
    const stamp = (c: typeof before) =>
      c.calendar.events
        .find((e) => e.get('UID') === uid(instanceId, 'latestStart'))!
        .get('DTSTAMP');
    expect(stamp(after)).not.toBe(stamp(before));
  });

  it('is behind the same access rules as the programme', async () => {
    const { id } = await createProgramme(h);
    const other = await createProgramme(h);
    expect(
      (await h.request('GET', `/api/programmes/${id}/calendar.ics`, { token: null })).status,
    ).toBe(401);
    const boundElsewhere = await h.token('auditor', [other.id]);
    expect(
      (await h.request('GET', `/api/programmes/${id}/calendar.ics`, { token: boundElsewhere }))
        .status,
    ).toBe(404);
    const auditor = await h.token('auditor', [id]);
    expect(
      (await h.request('GET', `/api/programmes/${id}/calendar.ics`, { token: auditor })).status,
    ).toBe(200);
  });

  it('GET /health reports the mail transport', async () => {
    const health = await h.request('GET', '/health', { token: null });
    expect(health.status).toBe(200);
    expect(health.body).toEqual({
      status: 'ok',
      database: { dialect, up: true },
      mail: { transport: 'smtp', target: mail.smtp.url },
    });
  });
});
