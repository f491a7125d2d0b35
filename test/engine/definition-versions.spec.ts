import { MikroORM } from '@mikro-orm/core';
import { assign, setup } from 'xstate';
import type { Settings } from '../../config/settings';
import { createApp } from '../../src/bootstrap';
import { ManualClock } from '../../src/common/clock';
import { UnknownDefinitionVersion } from '../../src/common/errors';
import { definitionVersion } from '../../src/engine/definition-registry';
import { EngineService } from '../../src/engine/engine.service';
import type { AnyWorkflowDefinition, DefinitionMigration } from '../../workflows/kit';
import { dialects, scratchDatabase, type ScratchDatabase } from '../support/databases';

/** A small definition in two versions: v2 renames the state `open` to `aapen` and a context field. */
function ticket(version: 1 | 2, migrations?: DefinitionMigration[]): AnyWorkflowDefinition {
  const open = version === 1 ? 'open' : 'aapen';
  const machine = setup({
    types: {
      context: {} as { count: number; owner?: string; eier?: string },
      events: {} as { type: 'bump' } | { type: 'close' },
    },
  }).createMachine({
    id: 'ticket',
    initial: open,
    context: { count: 0 },
    states: {
      [open]: {
        on: {
          bump: { actions: assign({ count: ({ context }) => context.count + 1 }) },
          close: 'closed',
        },
      },
      closed: { type: 'final' },
    },
  });
  return {
    id: 'ticket',
    title: { nb: 'Sak', en: 'Ticket' },
    machine,
    roles: ['admin'],
    events: {
      bump: { roles: ['admin'], label: { nb: 'Øk', en: 'Bump' } },
      close: { roles: ['admin'], label: { nb: 'Lukk', en: 'Close' } },
    },
    payloads: {},
    guards: {},
    stateLabels: {},
    deadlines: () => [],
    settings: {},
    data: {},
    ...(migrations ? { migrations } : {}),
  };
}

const admin = { id: 'token-admin', role: 'admin' };

describe.each(dialects())('definition versions on %s', (dialect) => {
  let database: ScratchDatabase;
  let settings: Settings;
  const clock = new ManualClock();
  const opened: { close(): Promise<void> }[] = [];

  async function engineWith(definition: AnyWorkflowDefinition): Promise<EngineService> {
    const app = await createApp({ settings, clock, definitions: { [definition.id]: definition } });
    await app.init();
    opened.push(app);
    return app.get(EngineService);
  }

  beforeAll(() => {
    database = scratchDatabase(dialect);
    settings = database.settings();
  });
  afterAll(async () => {
    for (const app of opened) await app.close();
    database.drop();
  });

  it('derives a new version from changed content, and the same version from the same content', () => {
    expect(definitionVersion(ticket(1))).toBe(definitionVersion(ticket(1)));
    expect(definitionVersion(ticket(2))).not.toBe(definitionVersion(ticket(1)));
    expect(definitionVersion({ ...ticket(1), revision: 1 })).not.toBe(definitionVersion(ticket(1)));
  });

  it('refuses to load an instance whose version is unknown and has no migration', async () => {
    const v1 = await engineWith(ticket(1));
    const created = await v1.create('ticket', undefined, admin);
    await v1.send(created.instanceId, { type: 'bump' }, admin);

    const v2 = await engineWith(ticket(2));
    await expect(v2.view(created.instanceId)).rejects.toBeInstanceOf(UnknownDefinitionVersion);
    await expect(v2.send(created.instanceId, { type: 'bump' }, admin)).rejects.toThrow(
      /ikke lenger finnes/,
    );
    const history = await v1.history(created.instanceId);
    expect(history.items).toHaveLength(2);
  });

  it('applies a declared migration on the next send and records it in the history', async () => {
    const v1 = await engineWith(ticket(1));
    const created = await v1.create('ticket', undefined, admin);
    await v1.send(created.instanceId, { type: 'bump' }, admin);
    const fromVersion = definitionVersion(ticket(1));

    const migration: DefinitionMigration = {
      from: fromVersion,
      description: { nb: 'Tilstanden open heter nå aapen', en: 'State open renamed to aapen' },
      migrate: (persisted) => {
        const snapshot = persisted as { value: unknown };
        return { ...snapshot, value: snapshot.value === 'open' ? 'aapen' : snapshot.value };
      },
    };
    const v2 = await engineWith(ticket(2, [migration]));
    const viewed = await v2.view(created.instanceId);
    expect(viewed.state).toBe('aapen');

    const after = await v2.send(created.instanceId, { type: 'bump' }, admin);
    expect(after).toMatchObject({
      state: 'aapen',
      version: 4,
      definitionVersion: definitionVersion(ticket(2)),
    });
    expect(after.context).toEqual({ count: 2 });
    const entries = (await v2.history(created.instanceId)).items;
    expect(entries.map((e) => [e.seq, e.kind, e.event.type, e.definitionVersion])).toEqual([
      [1, 'created', 'workflow.created', fromVersion],
      [2, 'event', 'bump', fromVersion],
      [3, 'migrated', 'workflow.migrated', definitionVersion(ticket(2))],
      [4, 'event', 'bump', definitionVersion(ticket(2))],
    ]);
    expect(entries[2]).toMatchObject({ from: 'open', to: 'aapen' });
    expect(await v2.verify(created.instanceId)).toEqual({ valid: true, entries: 4 });

    const orm = (v2 as unknown as { orm: MikroORM }).orm;
    const [row] = await orm.em
      .getConnection()
      .execute<{ definition_version: string }[]>(
        'select definition_version from workflow_instance where id = ?',
        [created.instanceId],
      );
    expect(row?.definition_version).toBe(definitionVersion(ticket(2)));
  });
});
