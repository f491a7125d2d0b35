import {
  EventNotPermitted,
  IdempotencyKeyReused,
  NotYetCreated,
  TransitionBlocked,
  UnknownEventType,
  UnknownInstance,
  VersionConflict,
} from '../../src/common/errors';
import { DefinitionRegistry } from '../../src/engine/definition-registry';
import { CHECKPOINT_EVERY, EngineService } from '../../src/engine/engine.service';
import { dialects } from '../support/databases';
import { useApp } from '../support/engine-harness';
import { nordkyn, payloads } from '../support/videreforing-driver';

const admin = { id: 'token-admin', role: 'admin' };
const leader = { id: 'token-leader', role: 'projectLeader' };

describe.each(dialects())('EngineService on %s', (dialect) => {
  const h = useApp(dialect);

  async function createInForstudie() {
    const created = await h.engine.create('videreforing', nordkyn, admin);
    await h.engine.send(
      created.instanceId,
      { type: 'roles.assign', ...payloads.internalRoles },
      admin,
    );
    return h.engine.send(created.instanceId, { type: 'forstudie.start' }, admin);
  }

  async function counts(instanceId: string) {
    const [history] = await h.sql<{ n: number | string }>(
      'select count(*) as n from history_entry where instance_id = ?',
      [instanceId],
    );
    const deadlines = await h.sql<{ key: string; due: string; met: unknown }>(
      'select key, due, met from deadline where instance_id = ? order by key',
      [instanceId],
    );
    const [instance] = await h.sql<{ version: number; state: string }>(
      'select version, state from workflow_instance where id = ?',
      [instanceId],
    );
    return { history: Number(history!.n), deadlines, instance };
  }

  it('creates an instance with its first history entry and deadlines', async () => {
    const view = await h.engine.create('videreforing', nordkyn, admin);
    expect(view).toMatchObject({
      definition: 'videreforing',
      phase: 'initiering',
      state: 'initiering.forberedelse',
      status: 'active',
      version: 1,
    });
    expect(view.definitionVersion).toMatch(/^[0-9a-f]{16}$/);
    const history = await h.engine.history(view.instanceId);
    expect(history.items).toEqual([
      expect.objectContaining({
        seq: 1,
        kind: 'created',
        from: null,
        to: 'initiering.forberedelse',
        actor: admin,
      }),
    ]);
    const { deadlines } = await counts(view.instanceId);
    expect(deadlines).toEqual([expect.objectContaining({ key: 'latestStart', due: '2026-12-31' })]);
    expect(await h.engine.verify(view.instanceId)).toEqual({ valid: true, entries: 1 });
  });

  it('applies an accepted event in one step: snapshot, history entry and deadlines', async () => {
    const view = await createInForstudie();
    expect(view).toMatchObject({ state: 'forstudie.arbeid', version: 3 });
    const { history, deadlines, instance } = await counts(view.instanceId);
    expect(history).toBe(3);
    expect(instance).toMatchObject({ version: 3, state: 'forstudie.arbeid' });
    expect(deadlines.map((d) => d.key)).toEqual(['forstudieEnd', 'latestStart']);
    expect(deadlines.find((d) => d.key === 'forstudieEnd')?.due).toBe('2026-04-13');
    const entries = (await h.engine.history(view.instanceId)).items;
    expect(entries[2]).toMatchObject({
      seq: 3,
      kind: 'event',
      event: { type: 'forstudie.start', payload: {} },
      from: 'initiering.forberedelse',
      to: 'forstudie.arbeid',
      actor: admin,
    });
    expect(entries[2]!.prevHash).toBe(entries[1]!.hash);
  });

  it('refuses a blocked event with every reason and changes nothing', async () => {
    const view = await createInForstudie();
    const before = await counts(view.instanceId);
    const error = await h.engine
      .send(view.instanceId, { type: 'report.submit', ...payloads.forstudieReport }, leader)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransitionBlocked);
    expect((error as TransitionBlocked).blockedBy).toEqual([
      expect.objectContaining({
        guard: 'hasCompletedAllActivities',
        message: 'Aktivitetene F1, F2, F3, F4, F5 og F6 i forstudien er ikke fullført',
      }),
    ]);
    expect(await counts(view.instanceId)).toEqual(before);
  });

  it('refuses unknown events, roles that may not send, and unknown instances', async () => {
    const view = await createInForstudie();
    await expect(
      h.engine.send(view.instanceId, { type: 'report.burn' }, admin),
    ).rejects.toBeInstanceOf(UnknownEventType);
    await expect(
      h.engine.send(view.instanceId, { type: 'report.approve' }, leader),
    ).rejects.toBeInstanceOf(EventNotPermitted);
    await expect(
      h.engine.send(
        view.instanceId,
        { type: 'activity.complete', activityId: 'F1' },
        { id: 'a', role: 'auditor' },
      ),
    ).rejects.toBeInstanceOf(EventNotPermitted);
    await expect(
      h.engine.send('00000000-0000-4000-8000-000000000000', { type: 'forstudie.start' }, admin),
    ).rejects.toBeInstanceOf(UnknownInstance);
    expect((await counts(view.instanceId)).history).toBe(3);
  });

  it('refuses a send whose expected version is stale, changing nothing', async () => {
    const view = await createInForstudie();
    await h.engine.send(view.instanceId, { type: 'activity.complete', activityId: 'F1' }, leader, {
      expectedVersion: 3,
    });
    const before = await counts(view.instanceId);
    await expect(
      h.engine.send(view.instanceId, { type: 'activity.complete', activityId: 'F2' }, leader, {
        expectedVersion: 3,
      }),
    ).rejects.toEqual(expect.any(VersionConflict));
    expect(await counts(view.instanceId)).toEqual(before);
  });

  it('never builds on a snapshot it kept once another writer has moved the instance on', async () => {
    const view = await createInForstudie();
    const id = view.instanceId;
    // A second engine on the same database, as another replica would be: each keeps its own.
    const other = new EngineService(h.orm, h.app.get(DefinitionRegistry), h.clock, h.settings);
    const complete = (engine: EngineService, activityId: string) =>
      engine.send(id, { type: 'activity.complete', activityId }, leader);
    await complete(h.engine, 'F1');
    await complete(other, 'F2');
    await complete(h.engine, 'F3');
    const last = await complete(other, 'F4');
    expect(last.version).toBe(7);
    const activities = (last.context as { activities: Record<string, unknown> }).activities;
    expect(Object.keys(activities).sort()).toEqual(['F1', 'F2', 'F3', 'F4']);
    const [stored] = await h.sql<{ snapshot: unknown }>(
      'select snapshot from workflow_instance where id = ?',
      [id],
    );
    const replayed = await h.engine.replay(id);
    const persisted = h.app
      .get(DefinitionRegistry)
      .get('videreforing')
      .definition.machine.getPersistedSnapshot(replayed) as unknown as { context: unknown };
    const snapshot = (
      typeof stored!.snapshot === 'string' ? JSON.parse(stored!.snapshot) : stored!.snapshot
    ) as { context: unknown };
    expect(snapshot.context).toEqual(JSON.parse(JSON.stringify(persisted.context)));
  });

  describe('idempotency', () => {
    it('applies a retried send once and returns the first result', async () => {
      const view = await createInForstudie();
      const send = () =>
        h.engine.send(view.instanceId, { type: 'activity.complete', activityId: 'F1' }, leader, {
          idempotencyKey: 'k-1',
        });
      const first = await send();
      h.clock.advance(60_000);
      const second = await send();
      expect(second).toEqual(first);
      expect((await counts(view.instanceId)).history).toBe(4);
    });

    it('answers a retry that waited for the first (same key, same If-Match) with its result', async () => {
      const view = await createInForstudie();
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let hold = true;
      // Keeps the first send inside its transaction (holding the row lock / the connection).
      h.engine.onAccepted(async () => {
        if (!hold) return;
        hold = false;
        entered();
        await gate;
      });
      const send = () =>
        h.engine.send(view.instanceId, { type: 'activity.complete', activityId: 'F1' }, leader, {
          idempotencyKey: 'waiting',
          expectedVersion: 3,
        });
      const first = send();
      await inside;
      const retry = send();
      await new Promise((resolve) => setTimeout(resolve, 150));
      release();
      expect(await retry).toEqual(await first);
      expect((await counts(view.instanceId)).history).toBe(4);
    });

    it('gives 20 parallel retries with one key one history entry and identical results', async () => {
      const view = await createInForstudie();
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          h.engine.send(
            view.instanceId,
            {
              type: 'cost.record',
              category: 'konsulenthonorar',
              amountNok: 1000,
              date: '2026-03-02',
              description: 'Møte',
            },
            leader,
            { idempotencyKey: 'parallel' },
          ),
        ),
      );
      expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
      expect((await counts(view.instanceId)).history).toBe(4);
    });

    it('refuses the same key with another payload', async () => {
      const view = await createInForstudie();
      await h.engine.send(
        view.instanceId,
        { type: 'activity.complete', activityId: 'F1' },
        leader,
        { idempotencyKey: 'k-2' },
      );
      await expect(
        h.engine.send(view.instanceId, { type: 'activity.complete', activityId: 'F2' }, leader, {
          idempotencyKey: 'k-2',
        }),
      ).rejects.toBeInstanceOf(IdempotencyKeyReused);
      expect((await counts(view.instanceId)).history).toBe(4);
    });

    it('scopes keys to the actor', async () => {
      const view = await createInForstudie();
      await h.engine.send(
        view.instanceId,
        { type: 'activity.complete', activityId: 'F1' },
        leader,
        { idempotencyKey: 'shared' },
      );
      await h.engine.send(view.instanceId, { type: 'activity.complete', activityId: 'F2' }, admin, {
        idempotencyKey: 'shared',
      });
      expect((await counts(view.instanceId)).history).toBe(5);
    });

    it('replays a blocked outcome to its retry', async () => {
      const view = await createInForstudie();
      const send = () =>
        h.engine.send(
          view.instanceId,
          { type: 'report.submit', ...payloads.forstudieReport },
          leader,
          { idempotencyKey: 'blocked' },
        );
      const first = (await send().catch((e: unknown) => e)) as TransitionBlocked;
      const second = (await send().catch((e: unknown) => e)) as TransitionBlocked;
      expect(first).toBeInstanceOf(TransitionBlocked);
      expect(second).toBeInstanceOf(TransitionBlocked);
      expect(second.blockedBy).toEqual(first.blockedBy);
    });
  });

  describe('concurrency', () => {
    it('serialises 50 concurrent sends to one instance: none lost, no gaps, chain intact, state = replay', async () => {
      const view = await createInForstudie();
      const results = await Promise.allSettled(
        Array.from({ length: 50 }, (_, i) =>
          h.engine.send(
            view.instanceId,
            {
              type: 'cost.record',
              category: 'andreKostnader',
              amountNok: i + 1,
              date: '2026-03-02',
              description: `Utlegg ${i + 1}`,
            },
            leader,
          ),
        ),
      );
      expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
      const rows = await h.sql<{ seq: number; payload: unknown }>(
        'select seq, payload from history_entry where instance_id = ? order by seq',
        [view.instanceId],
      );
      expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 53 }, (_, i) => i + 1));
      const amounts = rows
        .slice(3)
        .map(
          (r) =>
            (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as {
              amountNok: number;
            },
        )
        .map((p) => p.amountNok)
        .sort((a, b) => a - b);
      expect(amounts).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(await h.engine.verify(view.instanceId)).toEqual({ valid: true, entries: 53 });
      const current = await h.engine.view(view.instanceId);
      const replayed = await h.engine.replay(view.instanceId);
      expect(replayed.context).toEqual(current.context);
      expect(current.version).toBe(53);
    });

    it('applies each of 30 racing sends to its predecessor state or refuses it', async () => {
      const view = await createInForstudie();
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, () =>
          h.engine.send(view.instanceId, { type: 'activity.complete', activityId: 'F4' }, leader),
        ),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refused).toHaveLength(29);
      for (const r of refused) {
        expect(r.reason).toBeInstanceOf(TransitionBlocked);
        expect((r.reason as TransitionBlocked).blockedBy[0]?.message).toBe(
          'Aktivitet F4 i forstudien er allerede fullført',
        );
      }
      expect((await counts(view.instanceId)).history).toBe(4);
    });
  });

  describe('at(time)', () => {
    it('rebuilds the view as it was at a past time', async () => {
      h.clock.set('2026-03-02T08:00:00.000Z');
      const created = await h.engine.create('videreforing', nordkyn, admin);
      h.clock.set('2026-03-03T08:00:00.000Z');
      await h.engine.send(
        created.instanceId,
        { type: 'roles.assign', ...payloads.internalRoles },
        admin,
      );
      h.clock.set('2026-03-05T08:00:00.000Z');
      await h.engine.send(created.instanceId, { type: 'forstudie.start' }, admin);
      h.clock.set('2026-03-10T08:00:00.000Z');

      const before = await h.engine.at(created.instanceId, new Date('2026-03-04T12:00:00Z'));
      expect(before).toMatchObject({ state: 'initiering.forberedelse', version: 2 });
      expect((before.context as { roles: { prosjekteier?: string } }).roles.prosjekteier).toBe(
        'Nordkyn kommune',
      );
      const after = await h.engine.at(created.instanceId, new Date('2026-03-05T08:00:00Z'));
      expect(after).toMatchObject({ state: 'forstudie.arbeid', version: 3 });
      await expect(
        h.engine.at(created.instanceId, new Date('2026-03-01T00:00:00Z')),
      ).rejects.toBeInstanceOf(NotYetCreated);
    });
  });

  it('rebuilds any past moment from the nearest checkpoint and the events after it', async () => {
    h.clock.set('2026-03-02T08:00:00.000Z');
    const view = await createInForstudie();
    const seen: { at: Date; context: unknown; version: number }[] = [];
    for (let i = 1; i <= 2 * CHECKPOINT_EVERY + 3; i += 1) {
      h.clock.advance(60_000);
      const after = await h.engine.send(
        view.instanceId,
        {
          type: 'cost.record',
          category: 'andreKostnader',
          amountNok: i,
          date: '2026-03-02',
          description: `Utlegg ${i}`,
        },
        leader,
      );
      seen.push({ at: h.clock.now(), context: after.context, version: after.version });
    }
    const stored = await h.sql<{ seq: number }>(
      'select seq from history_entry where instance_id = ? and snapshot is not null order by seq',
      [view.instanceId],
    );
    expect(stored.map((r) => Number(r.seq))).toEqual([1, CHECKPOINT_EVERY, 2 * CHECKPOINT_EVERY]);
    for (const moment of seen) {
      const then = await h.engine.at(view.instanceId, new Date(moment.at.getTime() + 30_000));
      expect({ version: then.version, context: then.context }).toEqual({
        version: moment.version,
        context: moment.context,
      });
    }
  });

  describe('verify', () => {
    async function instanceWithHistory() {
      const view = await createInForstudie();
      for (const id of ['F1', 'F2', 'F3']) {
        await h.engine.send(view.instanceId, { type: 'activity.complete', activityId: id }, leader);
      }
      return view.instanceId; // 6 entries
    }

    it('names an entry whose payload was edited', async () => {
      const id = await instanceWithHistory();
      const payload = JSON.stringify({ activityId: 'F6' });
      await h.sql(
        dialect === 'postgresql'
          ? 'update history_entry set payload = ?::jsonb where instance_id = ? and seq = 5'
          : 'update history_entry set payload = ? where instance_id = ? and seq = 5',
        [payload, id],
      );
      expect(await h.engine.verify(id)).toEqual({
        valid: false,
        entries: 6,
        brokenAt: expect.objectContaining({ seq: 5, reason: 'altered' }),
      });
    });

    it('names a deleted entry', async () => {
      const id = await instanceWithHistory();
      await h.sql('delete from history_entry where instance_id = ? and seq = 4', [id]);
      expect(await h.engine.verify(id)).toEqual({
        valid: false,
        entries: 5,
        brokenAt: expect.objectContaining({ seq: 4, reason: 'missing' }),
      });
    });

    it('names the last entry when it was removed', async () => {
      const id = await instanceWithHistory();
      await h.sql('delete from history_entry where instance_id = ? and seq = 6', [id]);
      expect(await h.engine.verify(id)).toEqual({
        valid: false,
        entries: 5,
        brokenAt: expect.objectContaining({ seq: 6, reason: 'truncated' }),
      });
    });

    it('names the first of two swapped entries', async () => {
      const id = await instanceWithHistory();
      await h.sql('update history_entry set seq = -1 where instance_id = ? and seq = 4', [id]);
      await h.sql('update history_entry set seq = 4 where instance_id = ? and seq = 5', [id]);
      await h.sql('update history_entry set seq = 5 where instance_id = ? and seq = -1', [id]);
      const result = await h.engine.verify(id);
      expect(result.valid).toBe(false);
      expect(result.brokenAt?.seq).toBe(4);
    });

    it('detects a swap of the content of two entries', async () => {
      const id = await instanceWithHistory();
      const rows = await h.sql<{ seq: number; payload: unknown }>(
        'select seq, payload from history_entry where instance_id = ? and seq in (4, 5) order by seq',
        [id],
      );
      const asText = (p: unknown) => (typeof p === 'string' ? p : JSON.stringify(p));
      const cast = dialect === 'postgresql' ? '?::jsonb' : '?';
      await h.sql(`update history_entry set payload = ${cast} where instance_id = ? and seq = 4`, [
        asText(rows[1]!.payload),
        id,
      ]);
      await h.sql(`update history_entry set payload = ${cast} where instance_id = ? and seq = 5`, [
        asText(rows[0]!.payload),
        id,
      ]);
      expect((await h.engine.verify(id)).brokenAt).toEqual(
        expect.objectContaining({ seq: 4, reason: 'altered' }),
      );
    });
  });
});
