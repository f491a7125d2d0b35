import { dialects } from '../support/databases';
import type { HttpHarness } from '../support/http-harness';
import { payloads } from '../support/videreforing-driver';
import {
  PUBLIC_URL,
  accept,
  addressesOf,
  createProgramme,
  endForLatestStartIn,
  messageIdFor,
  outboxRows,
  sendDue,
  sorted,
  theMail,
  useMailApp,
} from './mail-helpers';

/** Notices an accepted event calls for, queued in the event's own transaction (SPEC §3). */
describe.each(dialects())('immediate notices on %s', (dialect) => {
  const mail = useMailApp(dialect);
  const h = mail.h;

  const board = [{ name: 'Kari Nordmann', email: 'kari@example.no', role: 'styreleder' }];
  const administrators = [{ name: 'Siri Sekretær', email: 'siri@nordkyn.kommune.no' }];
  const mayor = { name: 'Ola Ordfører', email: 'ordforer@nordkyn.kommune.no' };
  const roles = {
    ...payloads.internalRoles,
    prosjektansvarlig: { name: 'Per Ansvarlig', email: 'per.ansvarlig@nordkyn.kommune.no' },
  };
  const leader = roles.prosjektleder.email;

  async function programme(overrides: Record<string, unknown> = {}) {
    const created = await createProgramme(h, { board, administrators, mayor, ...overrides });
    await accept(h, created.id, 'roles.assign', roles);
    return created;
  }

  async function history(id: string): Promise<any[]> {
    return (await h.request('GET', `/api/programmes/${id}/workflow/history?limit=200`)).body.items;
  }

  async function deliver(programmeId: string) {
    await sendDue(h);
    const rows = await outboxRows(h, programmeId);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    return rows;
  }

  it('forstudie.start: the phase notice is in the outbox as soon as the event is accepted', async () => {
    const { id, instanceId } = await programme();
    expect(await outboxRows(h, id)).toEqual([]);

    await accept(h, id, 'forstudie.start');
    // No sweep, no send: the event itself queued it.
    const rows = await outboxRows(h, id);
    const last = (await history(id)).at(-1);
    expect(rows.map((r) => r.dedupeKey)).toEqual([
      `notice:${instanceId}:${last.seq}:phaseStarted:forstudie`,
    ]);
    expect(rows[0]).toEqual(
      expect.objectContaining({
        kind: 'notice',
        status: 'pending',
        attempts: 0,
        createdAt: last.at,
        ics: null,
      }),
    );
    expect(sorted(rows[0]!.recipients.map((r) => r.email))).toEqual(
      sorted(['kari@example.no', 'siri@nordkyn.kommune.no', leader]),
    );
    const listed = await h.request('GET', '/api/reminders?status=pending');
    expect(listed.body.items.map((i: any) => i.dedupeKey)).toContain(rows[0]!.dedupeKey);

    await deliver(id);
    const message = theMail(mail.smtp, messageIdFor(rows[0]!.dedupeKey));
    expect(addressesOf(message)).toEqual(
      sorted(['kari@example.no', 'siri@nordkyn.kommune.no', leader]),
    );
    expect(message.parsed.subject).toBe('Nordkyn: forstudie er startet');
    expect(message.parsed.text).toContain('Forstudie i Nordkyn ble startet 2. mars 2026.');
    expect(message.parsed.text).toContain('Tidsramme: 4–6 uker.');
    expect(message.parsed.text).toContain(`Se status og historikk: ${PUBLIC_URL}/inspect/${id}`);
    expect(message.parsed.html).toContain('<p>Forstudie i Nordkyn ble startet 2. mars 2026.</p>');
    expect(message.parsed.attachments).toEqual([]);
  });

  it('the notice and the event commit together: a notice that cannot be stored undoes the event', async () => {
    const { id } = await programme({ municipality: 'Sabotasjeby' });
    const before = await history(id);
    await installTrigger(h);
    try {
      // The failure is logged as an error: expected here, so kept off the test output.
      const refused = await silently(() =>
        h.request('POST', `/api/programmes/${id}/workflow/events`, {
          body: { type: 'forstudie.start' },
        }),
      );
      expect(refused.status).not.toBe(200);
    } finally {
      await dropTrigger(h);
    }
    const workflow = await h.request('GET', `/api/programmes/${id}/workflow`);
    expect(workflow.body.state).toBe('initiering.forberedelse');
    expect(await history(id)).toEqual(before);
    expect(await outboxRows(h, id)).toEqual([]);

    await accept(h, id, 'forstudie.start');
    expect((await outboxRows(h, id)).map((r) => r.subject)).toEqual([
      'Sabotasjeby: forstudie er startet',
    ]);
  });

  it('a late start with a justification tells the board, the administrators and the prosjektansvarlig', async () => {
    const { id, instanceId } = await programme({ programmeEnd: endForLatestStartIn(h, -5) });
    const blocked = await h.request('POST', `/api/programmes/${id}/workflow/events`, {
      body: { type: 'forstudie.start' },
    });
    expect(blocked.status).toBe(409);
    expect(await outboxRows(h, id)).toEqual([]);

    const justification = 'Kommunestyret vedtok <oppstart> & budsjett i sak 12/26';
    await accept(h, id, 'forstudie.start', { lateStartJustification: justification });
    const seq = (await history(id)).at(-1).seq;
    const rows = await deliver(id);
    expect(rows.map((r) => r.dedupeKey).sort()).toEqual(
      [
        `notice:${instanceId}:${seq}:lateStart`,
        `notice:${instanceId}:${seq}:phaseStarted:forstudie`,
      ].sort(),
    );
    const late = theMail(mail.smtp, messageIdFor(`notice:${instanceId}:${seq}:lateStart`));
    expect(addressesOf(late)).toEqual(
      sorted(['kari@example.no', 'siri@nordkyn.kommune.no', 'per.ansvarlig@nordkyn.kommune.no']),
    );
    expect(late.parsed.subject).toBe('Nordkyn: forstudien startet etter seneste frist');
    expect(late.parsed.text).toContain(
      'Forstudien ble startet 2. mars 2026, etter seneste oppstart to år før programslutt.',
    );
    expect(late.parsed.text).toContain(`Begrunnelse (dispensasjon): ${justification}`);
    expect(late.parsed.html).toContain(
      'Begrunnelse (dispensasjon): Kommunestyret vedtok &lt;oppstart&gt; &amp; budsjett i sak 12/26',
    );
    expect(late.parsed.html).not.toContain('<oppstart>');
  });

  it('report.reject tells the board, the administrators and the prosjektleder why', async () => {
    const { id, instanceId } = await programme();
    await accept(h, id, 'forstudie.start');
    for (const activityId of ['F1', 'F2', 'F3', 'F4', 'F5', 'F6']) {
      await accept(h, id, 'activity.complete', { activityId });
    }
    await accept(h, id, 'report.submit', payloads.forstudieReport);
    await deliver(id);
    const queuedBefore = (await outboxRows(h, id)).length;

    const reason = 'Alternativ 2 mangler finansiering.\nSe <vedlegg> & referat.';
    const boardToken = await h.token('board', [id]);
    await accept(h, id, 'report.reject', { reason }, boardToken);
    const seq = (await history(id)).at(-1).seq;
    const rows = await deliver(id);
    expect(rows).toHaveLength(queuedBefore + 1);
    const key = `notice:${instanceId}:${seq}:reportRejected:forstudie`;
    expect(rows.map((r) => r.dedupeKey)).toContain(key);
    const message = theMail(mail.smtp, messageIdFor(key));
    expect(addressesOf(message)).toEqual(
      sorted(['kari@example.no', 'siri@nordkyn.kommune.no', leader]),
    );
    expect(message.parsed.subject).toBe('Nordkyn: forstudierapporten er avvist');
    expect(message.parsed.text).toContain(
      'Omstillingsstyret avviste forstudierapporten 2. mars 2026.',
    );
    expect(message.parsed.text).toContain(`Begrunnelse: ${reason}`);
    expect(message.parsed.html).toContain(
      'Begrunnelse: Alternativ 2 mangler finansiering.\nSe &lt;vedlegg&gt; &amp; referat.',
    );
  });

  it('a cost that takes the forstudie over NOK 100 000 tells the board and the administrators, once', async () => {
    const { id, instanceId } = await programme();
    await accept(h, id, 'forstudie.start');
    await deliver(id);
    const leaderToken = await h.token('projectLeader', [id]);
    const cost = (amountNok: number) =>
      accept(
        h,
        id,
        'cost.record',
        { category: 'konsulenthonorar', amountNok, date: '2026-03-02', description: 'Timer' },
        leaderToken,
      );
    const count = async () => (await outboxRows(h, id)).length;
    const start = await count();
    await cost(60_000);
    await cost(40_000);
    // Exactly at the frame: not over it.
    expect(await count()).toBe(start);
    await cost(1);
    const seq = (await history(id)).at(-1).seq;
    expect(await count()).toBe(start + 1);
    await cost(5_000);
    expect(await count()).toBe(start + 1);

    await deliver(id);
    const message = theMail(mail.smtp, messageIdFor(`notice:${instanceId}:${seq}:budgetOverrun`));
    expect(addressesOf(message)).toEqual(sorted(['kari@example.no', 'siri@nordkyn.kommune.no']));
    expect(message.parsed.subject).toBe('Nordkyn: kostnadene i forstudien overstiger rammen');
    expect(message.parsed.text).toContain(
      'Registrerte kostnader i forstudien er nå 100 001 kr, over rammen på 100 000 kr.',
    );
    expect(message.parsed.text).toContain(
      'Styret må godkjenne overskridelsen før forstudierapporten kan godkjennes.',
    );
  });

  it('a refused event queues nothing', async () => {
    const { id } = await programme();
    await accept(h, id, 'forstudie.start');
    await accept(h, id, 'cost.record', {
      category: 'konsulenthonorar',
      amountNok: 100_000,
      date: '2026-03-02',
      description: 'Timer',
    });
    const rowsBefore = await outboxRows(h, id);
    const historyBefore = await history(id);
    const leaderToken = await h.token('projectLeader', [id]);
    const auditorToken = await h.token('auditor', [id]);
    const overrun = {
      type: 'cost.record',
      category: 'konsulenthonorar',
      amountNok: 50_000,
      date: '2026-03-02',
      description: 'Timer',
    };
    const refusals: [number, unknown, string | undefined][] = [
      [409, { type: 'report.submit', ...payloads.forstudieReport }, undefined],
      [400, { ...overrun, amountNok: -5 }, undefined],
      [400, { ...overrun, category: 'middag' }, undefined],
      [403, overrun, auditorToken],
      [403, { type: 'report.approve' }, leaderToken],
      [400, { type: 'no.such.event' }, undefined],
      [409, { type: 'forprosjekt.start', ...payloads.owners }, undefined],
    ];
    for (const [status, body, token] of refusals) {
      const response = await h.request('POST', `/api/programmes/${id}/workflow/events`, {
        body,
        ...(token ? { token } : {}),
      });
      expect({ body, status: response.status }).toEqual({ body, status });
    }
    expect(await outboxRows(h, id)).toEqual(rowsBefore);
    expect(await history(id)).toEqual(historyBefore);
  });
});

async function installTrigger(h: HttpHarness): Promise<void> {
  if (h.dialect === 'sqlite') {
    await h.sql(
      `create trigger refuse_sabotage before insert on mail_outbox
       when new.subject like 'Sabotasjeby%'
       begin select raise(abort, 'sabotage'); end`,
    );
    return;
  }
  await h.sql(
    `create function refuse_sabotage() returns trigger language plpgsql as $$
     begin
       if new.subject like 'Sabotasjeby%' then raise exception 'sabotage'; end if;
       return new;
     end $$`,
  );
  await h.sql(
    `create trigger refuse_sabotage before insert on mail_outbox
     for each row execute function refuse_sabotage()`,
  );
}

async function dropTrigger(h: HttpHarness): Promise<void> {
  await h.sql(
    'drop trigger if exists refuse_sabotage' + (h.dialect === 'sqlite' ? '' : ' on mail_outbox'),
  );
  if (h.dialect === 'postgresql') await h.sql('drop function if exists refuse_sabotage()');
}

async function silently<T>(work: () => Promise<T>): Promise<T> {
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return await work();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}
