import { OutboxService } from '../../src/reminders/outbox.service';
import { RemindersService } from '../../src/reminders/reminders.service';
import { dialects } from '../support/databases';
import { programmeBody, useHttpApp } from '../support/http-harness';
import { startSmtp, type TestSmtp } from '../support/smtp';
import { payloads } from '../support/videreforing-driver';

describe.each(dialects())('reminders smoke on %s', (dialect) => {
  let smtp: TestSmtp;
  beforeAll(async () => {
    smtp = await startSmtp(0);
  });
  afterAll(() => smtp.close());
  const h = useHttpApp(dialect, {
    REMINDER_CRON: 'off',
    MAIL_POLL_SECONDS: '0',
    SMTP_URL: 'smtp://127.0.0.1:1',
  });

  it('queues and sends a notice and a reminder', async () => {
    const created = await h.request('POST', '/api/programmes', { body: programmeBody() });
    expect(created.status).toBe(201);
    const id = created.body.id;
    await h.request('POST', `/api/programmes/${id}/workflow/events`, {
      body: { type: 'roles.assign', ...payloads.internalRoles },
    });
    const started = await h.request('POST', `/api/programmes/${id}/workflow/events`, {
      body: { type: 'forstudie.start' },
    });
    expect(started.status).toBe(200);
    h.clock.advanceDays(30);
    const swept = await h.app.get(RemindersService).sweep();
    expect(swept.queued).toBeGreaterThan(0);
    const list = await h.request('GET', '/api/reminders');
    expect(list.status).toBe(200);
    expect(list.body.items.length).toBeGreaterThan(0);
    const outbox = h.app.get(OutboxService);
    const first = await outbox.sendDue();
    expect(first.retrying).toBeGreaterThan(0);
    void smtp;
  });
});
