import { dialects } from '../support/databases';
import { payloads } from '../support/videreforing-driver';
import {
  PUBLIC_URL,
  accept,
  addressesOf,
  createProgramme,
  endForLatestStartIn,
  messageIdFor,
  outboxRows,
  parseCalendar,
  sendDue,
  setDay,
  sorted,
  sweep,
  theMail,
  today,
  unescapeText,
  useMailApp,
  type OutboxRowView,
} from './mail-helpers';

/** What a reminder e-mail says and to whom (SPEC §2.7, §3 «Reminders»). */
describe.each(dialects())('reminder mail content on %s', (dialect) => {
  const mail = useMailApp(dialect);
  const h = mail.h;

  const board = [
    { name: 'Kari Nordmann', email: 'kari@example.no', role: 'styreleder' },
    { name: 'Nils Nestleder', email: 'nils@example.no' },
  ];
  const administrators = [{ name: 'Siri Sekretær', email: 'siri@nordkyn.kommune.no' }];
  const mayor = { name: 'Ola Ordfører', email: 'ordforer@nordkyn.kommune.no' };

  async function sweepAndSend(): Promise<void> {
    await sweep(h);
    await sendDue(h);
  }

  async function reminderRows(programmeId: string): Promise<OutboxRowView[]> {
    return (await outboxRows(h, programmeId)).filter((r) => r.kind === 'reminder');
  }

  it('latestStart goes to the board and the administrators, in Norwegian, with link and .ics', async () => {
    expect(today(h)).toBe('2026-03-02');
    const { id, instanceId } = await createProgramme(h, {
      programmeEnd: endForLatestStartIn(h, 18),
      board,
      administrators,
      mayor,
    });
    await sweepAndSend();

    const rows = await reminderRows(id);
    expect(rows.map((r) => r.dedupeKey)).toEqual([
      `reminder:${instanceId}:latestStart:2026-03-20:before-30`,
    ]);
    const row = rows[0]!;
    expect(row.status).toBe('sent');
    expect(row.messageId).toBe(messageIdFor(row.dedupeKey));
    const message = theMail(mail.smtp, row.messageId);

    // The board and the administrators; not the mayor, as the deadline is not overdue.
    expect(addressesOf(message)).toEqual(
      sorted(['kari@example.no', 'nils@example.no', 'siri@nordkyn.kommune.no']),
    );
    expect(sorted(message.to)).toEqual(addressesOf(message));
    const to = message.parsed.to;
    const names = (Array.isArray(to) ? to : [to!]).flatMap((a) => a.value.map((v) => v.name));
    expect(names).toEqual(expect.arrayContaining(['Kari Nordmann', 'Siri Sekretær']));
    expect(message.parsed.from?.value[0]?.address).toBe('ikke-svar@videreforing.local');

    expect(message.parsed.subject).toBe(
      'Nordkyn: Seneste oppstart av forstudien – frist 20. mars 2026 (om 18 dager)',
    );
    const text = message.parsed.text ?? '';
    const link = `${PUBLIC_URL}/inspect/${id}`;
    expect(text).toContain(
      'Fristen «Seneste oppstart av forstudien» for Nordkyn er 20. mars 2026 (om 18 dager).',
    );
    expect(text).toContain('Dette mangler:');
    // Before the roles are assigned the pre-study cannot start: the reminder says so.
    expect(text).toMatch(/ {2}- Forstudien kan ikke starte før .*prosjektleder er på plass/);
    expect(text).toContain(
      'Regelen fristen bygger på: «Senest to år før omstillingsperioden er over, bør kommunen starte prosessen …»',
    );
    expect(text).toContain(`Se status og historikk: ${link}`);

    // Plain text and HTML as alternatives, the calendar beside them.
    expect(message.raw).toMatch(/Content-Type: multipart\/mixed/i);
    expect(message.raw).toMatch(/Content-Type: multipart\/alternative/i);
    expect(message.raw).toMatch(/Content-Type: text\/plain; charset=utf-8/i);
    expect(message.raw).toMatch(/Content-Type: text\/html; charset=utf-8/i);
    const html = message.parsed.html;
    expect(typeof html).toBe('string');
    expect(html).toContain('<html lang="nb">');
    expect(html).toContain(`<a href="${link}">`);
    expect(html).toContain('20. mars 2026 (om 18 dager)');
    expect(html).toMatch(/<li>Forstudien kan ikke starte før .*prosjektleder er på plass<\/li>/);

    expect(message.parsed.attachments).toHaveLength(1);
    const attachment = message.parsed.attachments[0]!;
    expect(attachment.filename).toBe('frist.ics');
    expect(attachment.contentType).toBe('text/calendar');
    const ics = attachment.content.toString('utf8');
    expect(ics).toBe(row.ics);
    const calendar = parseCalendar(ics);
    expect(calendar.properties.get('METHOD')).toBe('PUBLISH');
    expect(calendar.events).toHaveLength(1);
    const event = calendar.events[0]!;
    expect(event.get('UID')).toBe(`${instanceId}-latestStart@videreforing`);
    expect(event.get('DTSTART;VALUE=DATE')).toBe('20260320');
    expect(event.get('DTEND;VALUE=DATE')).toBe('20260321');
    expect(unescapeText(event.get('SUMMARY')!)).toBe('Nordkyn: Seneste oppstart av forstudien');
    expect(event.get('URL')).toBe(link);
  });

  it('an overdue latestStart also goes to the prosjektansvarlig (or the mayor standing in)', async () => {
    expect(today(h)).toBe('2026-03-02');
    const withRoles = await createProgramme(h, {
      programmeEnd: endForLatestStartIn(h, -10),
      board,
      administrators,
      mayor,
    });
    await accept(h, withRoles.id, 'roles.assign', {
      ...payloads.internalRoles,
      prosjektansvarlig: { name: 'Per Ansvarlig', email: 'per.ansvarlig@nordkyn.kommune.no' },
    });
    const withoutRoles = await createProgramme(h, {
      programmeEnd: endForLatestStartIn(h, -10),
      board,
      administrators,
      mayor,
    });
    await sweepAndSend();

    const [row] = await reminderRows(withRoles.id);
    expect((await reminderRows(withRoles.id)).map((r) => r.dedupeKey)).toEqual([
      `reminder:${withRoles.instanceId}:latestStart:2026-02-20:after-7`,
    ]);
    const message = theMail(mail.smtp, row!.messageId);
    expect(addressesOf(message)).toEqual(
      sorted([
        'kari@example.no',
        'nils@example.no',
        'siri@nordkyn.kommune.no',
        'per.ansvarlig@nordkyn.kommune.no',
      ]),
    );
    expect(message.parsed.subject).toBe(
      'Nordkyn: Seneste oppstart av forstudien – frist 20. februar 2026 (10 dager på overtid)',
    );
    const text = message.parsed.text ?? '';
    expect(text).toContain(
      'Fristen «Seneste oppstart av forstudien» for Nordkyn gikk ut 20. februar 2026 og er ikke nådd (10 dager på overtid).',
    );
    expect(text).toContain(
      '  - Forstudien skulle vært startet senest 20. februar 2026 (to år før programslutt 20. februar 2028); en skriftlig begrunnelse (lateStartJustification) kreves for å starte senere',
    );
    expect(message.parsed.html).toContain('10 dager på overtid');
    expect(parseCalendar(row!.ics!).events[0]!.get('DTSTART;VALUE=DATE')).toBe('20260220');

    // No prosjektansvarlig appointed yet: the mayor is told instead.
    const [other] = await reminderRows(withoutRoles.id);
    expect(addressesOf(theMail(mail.smtp, other!.messageId))).toEqual(
      sorted([
        'kari@example.no',
        'nils@example.no',
        'siri@nordkyn.kommune.no',
        'ordforer@nordkyn.kommune.no',
      ]),
    );
  });

  it('escapes user-supplied text in HTML and iCalendar, and keeps it intact elsewhere', async () => {
    const municipality = 'Sør & Nord, <script>alert("x");</script>';
    const member = { name: 'Ås & <Co> "Styret"', email: 'as@example.no' };
    const { id } = await createProgramme(h, {
      municipality,
      programmeEnd: endForLatestStartIn(h, 18),
      board: [member],
      administrators: [],
    });
    await sweepAndSend();
    const [row] = await reminderRows(id);
    const message = theMail(mail.smtp, row!.messageId);

    expect(message.parsed.subject).toBe(
      `${municipality}: Seneste oppstart av forstudien – frist 20. mars 2026 (om 18 dager)`,
    );
    const to = message.parsed.to;
    expect((Array.isArray(to) ? to[0] : to)?.value).toEqual([
      { name: member.name, address: member.email },
    ]);
    expect(message.parsed.text).toContain(`for ${municipality} er 20. mars 2026`);

    const html = String(message.parsed.html);
    expect(html).not.toContain('<script>');
    expect(html).not.toContain(municipality);
    expect(html).toContain('Sør &amp; Nord, &lt;script&gt;alert(&quot;x&quot;);&lt;/script&gt;');
    expect(html).toContain('<title>Sør &amp; Nord, &lt;script&gt;');

    const calendar = parseCalendar(row!.ics!);
    const summary = calendar.events[0]!.get('SUMMARY')!;
    expect(summary).toContain('Sør & Nord\\, <script>alert("x")\\;</script>');
    expect(unescapeText(summary)).toBe(`${municipality}: Seneste oppstart av forstudien`);
  });

  it('refuses names and addresses with line breaks at the API, so no header can be injected', async () => {
    const evil = 'Bcc: evil@example.com';
    const { id } = await createProgramme(h, { board, administrators, mayor });
    const before = (await h.request('GET', '/api/programmes?limit=200')).body.items.length;
    const attempts: [string, string, unknown][] = [
      ['POST', '/api/programmes', { ...bodyWith({ municipality: `Nordkyn\r\n${evil}` }) }],
      [
        'POST',
        '/api/programmes',
        bodyWith({ board: [{ name: `Kari\n${evil}`, email: 'k@x.no' }] }),
      ],
      [
        'POST',
        '/api/programmes',
        bodyWith({ administrators: [{ name: 'Siri', email: `siri@x.no\r\n${evil}` }] }),
      ],
      ['POST', '/api/programmes', bodyWith({ mayor: { name: `Ola\r${evil}`, email: 'o@x.no' } })],
      ['PATCH', `/api/programmes/${id}`, { municipality: `Nordkyn\n${evil}` }],
      ['PATCH', `/api/programmes/${id}`, { board: [{ name: `Kari\r\n${evil}`, email: 'k@x.no' }] }],
      [
        'POST',
        `/api/programmes/${id}/workflow/events`,
        {
          type: 'roles.assign',
          ...payloads.internalRoles,
          prosjektleder: { name: `Ingrid\r\n${evil}`, email: 'i@x.no', external: false },
        },
      ],
      [
        'POST',
        `/api/programmes/${id}/workflow/events`,
        {
          type: 'roles.assign',
          ...payloads.internalRoles,
          prosjektansvarlig: { name: 'Per', email: `per@x.no\n${evil}` },
        },
      ],
    ];
    for (const [method, path, body] of attempts) {
      const response = await h.request(method, path, { body });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 400 });
    }
    expect((await h.request('GET', '/api/programmes?limit=200')).body.items.length).toBe(before);
    const view = await h.request('GET', `/api/programmes/${id}`);
    expect(view.body.municipality).toBe('Nordkyn');
    expect(view.body.board).toEqual(board);
    await sweepAndSend();
    expect(mail.smtp.received.some((m) => m.raw.includes('evil@example.com'))).toBe(false);
    expect((await outboxRows(h)).some((r) => JSON.stringify(r).includes('evil@'))).toBe(false);

    function bodyWith(overrides: Record<string, unknown>) {
      return {
        municipality: 'Nordkyn',
        municipalityNumber: '5636',
        programmeStart: '2023-01-01',
        programmeEnd: '2028-12-31',
        board,
        administrators,
        mayor,
        ...overrides,
      };
    }
  });

  it('forstudieEnd goes to the board and the prosjektleder and lists what is missing', async () => {
    setDay(h, '2026-03-02');
    const { id, instanceId } = await createProgramme(h, { board, administrators, mayor });
    await accept(h, id, 'roles.assign', payloads.internalRoles);
    await accept(h, id, 'forstudie.start');
    for (const activityId of ['F1', 'F2', 'F4']) {
      await accept(h, id, 'activity.complete', { activityId });
    }
    await accept(h, id, 'cost.record', {
      category: 'konsulenthonorar',
      amountNok: 120_000,
      date: '2026-03-02',
      description: 'Konsulent',
    });
    // Six weeks after the start: 13 April. A week before:
    setDay(h, '2026-04-06');
    await sweepAndSend();

    const rows = await reminderRows(id);
    expect(rows.map((r) => r.dedupeKey)).toEqual([
      `reminder:${instanceId}:forstudieEnd:2026-04-13:before-7`,
    ]);
    const message = theMail(mail.smtp, rows[0]!.messageId);
    expect(addressesOf(message)).toEqual(
      sorted(['kari@example.no', 'nils@example.no', payloads.internalRoles.prosjektleder.email]),
    );
    expect(message.parsed.subject).toBe(
      'Nordkyn: Forstudien ferdig – frist 13. april 2026 (om 7 dager)',
    );
    const text = message.parsed.text ?? '';
    expect(text).toContain(
      'Fristen «Forstudien ferdig» for Nordkyn er 13. april 2026 (om 7 dager).',
    );
    expect(text).toContain('  - Aktivitetene F3, F5 og F6 i forstudien er ikke fullført');
    expect(text).toContain('  - Forstudierapporten er ikke levert');
    expect(text).toContain(
      '  - Kostnadene (120 000 kr) overstiger rammen på 100 000 kr; styret må godkjenne overskridelsen',
    );
    expect(text).toContain('Regelen fristen bygger på: Mer om forstudien: «Tidsramme: 4–6 uker»');
    expect(text).toContain(`${PUBLIC_URL}/inspect/${id}`);
    expect(message.parsed.html).toContain(
      '<li>Aktivitetene F3, F5 og F6 i forstudien er ikke fullført</li>',
    );
    const event = parseCalendar(message.parsed.attachments[0]!.content.toString('utf8')).events[0]!;
    expect(event.get('UID')).toBe(`${instanceId}-forstudieEnd@videreforing`);
    expect(event.get('DTSTART;VALUE=DATE')).toBe('20260413');
    // The description names what is missing; it is long, so it was folded and still valid.
    expect(unescapeText(event.get('DESCRIPTION')!)).toContain(
      'Aktivitetene F3, F5 og F6 i forstudien er ikke fullført',
    );
  });
});
