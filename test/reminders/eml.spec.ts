import { simpleParser } from 'mailparser';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dialects } from '../support/databases';
import { useHttpApp } from '../support/http-harness';
import { payloads } from '../support/videreforing-driver';
import {
  PUBLIC_URL,
  accept,
  createProgramme,
  endForLatestStartIn,
  outboxRows,
  parseCalendar,
  quiet,
  sendDue,
  sweep,
} from './mail-helpers';

/** Without SMTP_URL, mail is written as .eml files under DATA_DIR/mail (SPEC §3). */
describe.each(dialects())('mail as .eml files on %s', (dialect) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'videreforing-eml-'));
  const mailDir = join(dataDir, 'mail');
  const h = useHttpApp(dialect, { ...quiet, DATA_DIR: dataDir });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('writes each mail once as a readable .eml file', async () => {
    const health = await h.request('GET', '/health', { token: null });
    expect(health.body.mail).toEqual({ transport: 'eml', target: mailDir });

    const reminded = await createProgramme(h, { programmeEnd: endForLatestStartIn(h, 18) });
    const started = await createProgramme(h);
    await accept(h, started.id, 'roles.assign', payloads.internalRoles);
    await accept(h, started.id, 'forstudie.start');
    expect((await sweep(h)).queued).toBe(1);
    expect(await sendDue(h)).toEqual({ sent: 2, failed: 0, retrying: 0 });
    expect(await sendDue(h)).toEqual({ sent: 0, failed: 0, retrying: 0 });

    const files = readdirSync(mailDir).sort();
    expect(files).toHaveLength(2);
    expect(files.every((f) => f.endsWith('.eml'))).toBe(true);

    const rows = await outboxRows(h);
    const parsed = await Promise.all(
      files.map((f) => simpleParser(readFileSync(join(mailDir, f)))),
    );
    expect(parsed.map((p) => p.messageId).sort()).toEqual(rows.map((r) => r.messageId).sort());

    const [reminderRow] = await outboxRows(h, reminded.id);
    const reminder = parsed.find((p) => p.messageId === reminderRow!.messageId)!;
    expect(reminder.subject).toBe(
      'Nordkyn: Seneste oppstart av forstudien – frist 20. mars 2026 (om 18 dager)',
    );
    const to = reminder.to;
    expect((Array.isArray(to) ? to : [to!]).flatMap((a) => a.value.map((v) => v.address))).toEqual([
      'kari@example.no',
      'siri@nordkyn.kommune.no',
    ]);
    expect(reminder.from?.value[0]?.address).toBe('ikke-svar@videreforing.local');
    expect(reminder.text).toContain(`Se status og historikk: ${PUBLIC_URL}/inspect/${reminded.id}`);
    expect(reminder.html).toContain('20. mars 2026 (om 18 dager)');
    expect(reminder.attachments).toHaveLength(1);
    expect(reminder.attachments[0]!.filename).toBe('frist.ics');
    expect(reminder.attachments[0]!.contentType).toBe('text/calendar');
    const calendar = parseCalendar(reminder.attachments[0]!.content.toString('utf8'));
    expect(calendar.events[0]!.get('DTSTART;VALUE=DATE')).toBe('20260320');

    const [noticeRow] = await outboxRows(h, started.id);
    const notice = parsed.find((p) => p.messageId === noticeRow!.messageId)!;
    expect(notice.subject).toBe('Nordkyn: forstudie er startet');
    expect(notice.text).toContain('Forstudie i Nordkyn ble startet 2. mars 2026.');
  });
});
