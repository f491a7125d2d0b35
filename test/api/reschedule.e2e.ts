import { dialects } from '../support/databases';
import { programmeBody, useHttpApp } from '../support/http-harness';

/**
 * The programme period lives in the workflow (SPEC: `programme.reschedule`); the programme row the
 * list and GET /api/programmes/:id show is kept equal to it in the same transaction, whether the
 * period changes by PATCH or by the event itself. Other events leave the row alone.
 */

jest.setTimeout(30_000);

describe.each(dialects())('programme.reschedule as an event on %s', (dialect) => {
  const h = useHttpApp(dialect);

  it('moves the programme row with the workflow, and only when the period changes', async () => {
    const created = await h.request('POST', '/api/programmes', { body: programmeBody() });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const events = `/api/programmes/${id}/workflow/events`;

    const moved = await h.request('POST', events, {
      body: { type: 'programme.reschedule', programmeEnd: '2029-06-30', reason: 'Forlenget' },
    });
    expect(moved.status).toBe(200);
    expect(moved.body.context.programme).toMatchObject({ end: '2029-06-30' });
    const afterMove = await h.request('GET', `/api/programmes/${id}`);
    expect(afterMove.body).toMatchObject({
      programmeEnd: '2029-06-30',
      updatedAt: '2026-03-02T08:00:00.000Z',
    });

    // A later event: had it rewritten the row, updatedAt would show this time.
    h.clock.set('2026-03-03T09:00:00.000Z');
    const other = await h.request('POST', events, {
      body: {
        type: 'cost.record',
        category: 'konsulenthonorar',
        amountNok: 10_000,
        date: '2026-03-01',
        description: 'Møte',
      },
    });
    expect(other.status).toBe(200);
    const afterOther = await h.request('GET', `/api/programmes/${id}`);
    expect(afterOther.body).toMatchObject({
      programmeEnd: '2029-06-30',
      updatedAt: afterMove.body.updatedAt,
    });
  });

  it('moves the row by PATCH too, with the contacts changed in the same request', async () => {
    const created = await h.request('POST', '/api/programmes', { body: programmeBody() });
    const id = created.body.id as string;
    const board = [{ name: 'Per Styreleder', email: 'per@example.no', role: 'styreleder' }];
    const patched = await h.request('PATCH', `/api/programmes/${id}`, {
      body: { programmeEnd: '2030-06-30', board, reason: 'Forlenget av departementet' },
    });
    expect(patched.status).toBe(200);
    const shown = await h.request('GET', `/api/programmes/${id}`);
    expect(shown.body).toMatchObject({ programmeEnd: '2030-06-30', board });
    const workflow = await h.request('GET', `/api/programmes/${id}/workflow`);
    expect(workflow.body.context.programme).toMatchObject({ end: '2030-06-30' });
  });
});
