import { and, assign, initialTransition, not, or, setup, transition } from 'xstate';
import type { EventMeta, WorkflowDefinition } from './definition';
import { explainEvent, nextEvents, STRUCTURAL_GUARDS, type Explanation } from './explain';
import { toGuardPredicates, type GuardSpec } from './guards';
import type { Text } from './text';

/**
 * A toy workflow, unrelated to videreføring, to show that explainEvent and nextEvents only rely
 * on the machine's transitions and the definition's guard specs.
 */

interface LampContext {
  count: number;
  tags: string[];
}

type LampEvent =
  | { type: 'lamp.on'; meta: EventMeta; watts?: number }
  | { type: 'lamp.poke'; meta: EventMeta }
  | { type: 'lamp.jam'; meta: EventMeta }
  | { type: 'lamp.off'; meta: EventMeta };

type Spec<P = undefined> = GuardSpec<LampContext, LampEvent, P>;
const fail = (nb: string, en: string): Text[] => [{ nb, en }];

const hasAtLeast: Spec<{ min: number }> = {
  label: { nb: 'Telleren er høy nok', en: 'Counter high enough' },
  source: 'test',
  inspectsPayload: false,
  check: ({ count }, _event, { min }) =>
    count >= min
      ? []
      : fail(`Telleren er ${count}, men må være minst ${min}`, `Counter ${count} below ${min}`),
};
const hasTags: Spec = {
  label: { nb: 'Har merker', en: 'Has tags' },
  source: 'test',
  inspectsPayload: false,
  check: ({ tags }) => (tags.length > 0 ? [] : fail('Ingen merker', 'No tags')),
};
const isEven: Spec = {
  label: { nb: 'Partall', en: 'Even' },
  source: 'test',
  inspectsPayload: false,
  check: ({ count }) => (count % 2 === 0 ? [] : fail(`${count} er oddetall`, `${count} is odd`)),
};
const hasPositiveWatts: Spec = {
  label: { nb: 'Positiv effekt', en: 'Positive watts' },
  source: 'test',
  inspectsPayload: true,
  check: (_context, event) =>
    event.type === 'lamp.on' && (event.watts ?? 0) > 0
      ? []
      : fail('Effekten må være over 0 W', 'Watts must be above 0'),
};
const isOpen: Spec = {
  label: { nb: 'Åpen', en: 'Open' },
  source: 'test',
  inspectsPayload: false,
  check: () => fail('Lampen sitter fast', 'The lamp is stuck'),
};

const specs = { hasAtLeast, hasTags, isEven, hasPositiveWatts, isOpen };

const lamp = setup({
  types: {
    context: {} as LampContext,
    events: {} as LampEvent,
    input: {} as LampContext,
  },
  guards: toGuardPredicates(specs),
}).createMachine({
  id: 'lamp',
  initial: 'av',
  context: ({ input }) => input,
  states: {
    av: {
      on: {
        'lamp.on': {
          guard: and([{ type: 'hasAtLeast', params: { min: 2 } }, 'hasTags', 'hasPositiveWatts']),
          target: 'pa',
        },
        'lamp.poke': {
          guard: or(['isEven', 'hasTags']),
          actions: assign({ count: ({ context }) => context.count + 1 }),
        },
        // Two candidates that fail on the same rule, and a composite that repeats it.
        'lamp.jam': [
          { guard: 'isOpen', target: 'pa' },
          { guard: and(['isOpen', 'hasTags', 'isOpen']), target: 'ferdig' },
        ],
      },
    },
    pa: {
      on: {
        'lamp.off': {
          // Params computed from the context: as many as there are tags.
          guard: { type: 'hasAtLeast', params: ({ context }) => ({ min: context.tags.length }) },
          target: 'ferdig',
        },
      },
    },
    ferdig: { type: 'final' },
  },
});

const label = (nb: string, en: string) => ({ label: { nb, en }, roles: ['operator'] });

const lampDefinition: WorkflowDefinition<typeof lamp> = {
  id: 'lamp',
  title: { nb: 'Lampe', en: 'Lamp' },
  machine: lamp,
  roles: ['operator'],
  events: {
    'lamp.on': label('Slå på', 'Switch on'),
    'lamp.poke': label('Dytte', 'Poke'),
    'lamp.jam': label('Kile fast', 'Jam'),
    'lamp.off': { label: { nb: 'Slå av', en: 'Switch off' }, roles: ['operator', 'admin'] },
  },
  payloads: {},
  guards: specs,
  stateLabels: {
    av: { nb: 'Av', en: 'Off' },
    pa: { nb: 'På', en: 'On' },
    ferdig: { nb: 'Ferdig', en: 'Done' },
  },
  deadlines: () => [],
  settings: {},
  data: {},
};

const meta: EventMeta = {
  at: '2026-03-02T09:00:00+01:00',
  actor: { id: 'token-1', role: 'operator' },
};

function snapshotIn(state: 'av' | 'pa', context: LampContext) {
  const [initial] = initialTransition(lamp, context);
  return state === 'av' ? initial : lamp.resolveState({ value: state, context });
}

function explain(
  state: 'av' | 'pa',
  context: LampContext,
  event: { type: string; watts?: number },
  payloadKnown = true,
): Explanation {
  return explainEvent(
    lampDefinition,
    snapshotIn(state, context),
    { ...event, meta },
    {
      payloadKnown,
    },
  );
}

const guardsOf = (explanation: Explanation) => explanation.blockedBy.map((b) => b.guard);

describe('explainEvent on a definition it was not written for', () => {
  it('refuses an unknown event type with isKnownEvent, naming the type and the workflow', () => {
    const explanation = explain('av', { count: 2, tags: ['a'] }, { type: 'lamp.explode' });
    expect(explanation).toEqual({
      type: 'lamp.explode',
      allowed: false,
      blockedBy: [
        {
          guard: STRUCTURAL_GUARDS.isKnownEvent,
          message: expect.stringMatching(/«lamp\.explode».*«Lampe»/),
          messageEn: expect.stringMatching(/"lamp\.explode".*"Lamp"/),
        },
      ],
    });
  });

  it('refuses a known event the state does not accept with isAcceptedInState and the state label', () => {
    const explanation = explain('av', { count: 2, tags: ['a'] }, { type: 'lamp.off' });
    expect(explanation.allowed).toBe(false);
    expect(explanation.blockedBy).toEqual([
      {
        guard: STRUCTURAL_GUARDS.isAcceptedInState,
        message: '«Slå av» er ikke mulig i tilstanden «Av»',
        messageEn: '"Switch off" is not possible in the state "Off"',
      },
    ]);
  });

  it('refuses everything in a final state with isWorkflowActive', () => {
    const [done] = transition(lamp, snapshotIn('pa', { count: 0, tags: [] }), {
      type: 'lamp.off',
      meta,
    });
    expect(done.status).toBe('done');
    for (const type of Object.keys(lampDefinition.events)) {
      const explanation = explainEvent(
        lampDefinition,
        done,
        { type, meta },
        { payloadKnown: true },
      );
      expect(explanation.allowed).toBe(false);
      expect(explanation.blockedBy).toEqual([
        expect.objectContaining({
          guard: STRUCTURAL_GUARDS.isWorkflowActive,
          message: expect.stringContaining('«Ferdig»'),
        }),
      ]);
    }
    // An unknown type is still reported as unknown, not as a finished workflow.
    expect(
      guardsOf(explainEvent(lampDefinition, done, { type: 'x.y', meta }, { payloadKnown: true })),
    ).toEqual([STRUCTURAL_GUARDS.isKnownEvent]);
    expect(nextEvents(lampDefinition, done, meta.at).every((e) => !e.allowed)).toBe(true);
  });

  it('reports every failing child of an and-composite, with the params the machine gives', () => {
    const explanation = explain('av', { count: 1, tags: [] }, { type: 'lamp.on', watts: 0 });
    expect(explanation.allowed).toBe(false);
    expect(explanation.blockedBy).toEqual([
      {
        guard: 'hasAtLeast',
        message: 'Telleren er 1, men må være minst 2',
        messageEn: 'Counter 1 below 2',
      },
      { guard: 'hasTags', message: 'Ingen merker', messageEn: 'No tags' },
      {
        guard: 'hasPositiveWatts',
        message: 'Effekten må være over 0 W',
        messageEn: 'Watts must be above 0',
      },
    ]);
    // Only the failing children are named.
    expect(guardsOf(explain('av', { count: 3, tags: [] }, { type: 'lamp.on', watts: 5 }))).toEqual([
      'hasTags',
    ]);
    expect(explain('av', { count: 2, tags: ['a'] }, { type: 'lamp.on', watts: 5 }).allowed).toBe(
      true,
    );
  });

  it('resolves params given as a function of the context', () => {
    const context = { count: 2, tags: ['a', 'b', 'c'] };
    expect(explain('pa', context, { type: 'lamp.off' }).blockedBy).toEqual([
      expect.objectContaining({
        guard: 'hasAtLeast',
        message: 'Telleren er 2, men må være minst 3',
      }),
    ]);
    expect(explain('pa', { count: 3, tags: ['a', 'b', 'c'] }, { type: 'lamp.off' }).allowed).toBe(
      true,
    );
  });

  it('lets an or-composite pass when one child passes, and names every child when none does', () => {
    expect(explain('av', { count: 1, tags: ['a'] }, { type: 'lamp.poke' }).allowed).toBe(true);
    expect(explain('av', { count: 2, tags: [] }, { type: 'lamp.poke' }).allowed).toBe(true);
    const blocked = explain('av', { count: 1, tags: [] }, { type: 'lamp.poke' });
    expect(blocked.allowed).toBe(false);
    expect(blocked.blockedBy).toEqual([
      { guard: 'isEven', message: '1 er oddetall', messageEn: '1 is odd' },
      { guard: 'hasTags', message: 'Ingen merker', messageEn: 'No tags' },
    ]);
  });

  it('leaves payload guards open when only the type is known, and judges them when it is', () => {
    const ready = { count: 2, tags: ['a'] };
    expect(explain('av', ready, { type: 'lamp.on' }, false)).toEqual({
      type: 'lamp.on',
      allowed: true,
      blockedBy: [],
    });
    expect(guardsOf(explain('av', ready, { type: 'lamp.on' }, true))).toEqual(['hasPositiveWatts']);
    // Guards that do not read the payload still block without one.
    expect(guardsOf(explain('av', { count: 0, tags: ['a'] }, { type: 'lamp.on' }, false))).toEqual([
      'hasAtLeast',
    ]);
  });

  it('names a rule once however many candidates and composites it blocks', () => {
    const explanation = explain('av', { count: 0, tags: [] }, { type: 'lamp.jam' });
    expect(explanation.allowed).toBe(false);
    expect(explanation.blockedBy).toEqual([
      { guard: 'isOpen', message: 'Lampen sitter fast', messageEn: 'The lamp is stuck' },
      { guard: 'hasTags', message: 'Ingen merker', messageEn: 'No tags' },
    ]);
  });

  it('agrees with snapshot.can for every state, context and event of the toy', () => {
    const events: ({ type: string } & Partial<{ watts: number }>)[] = [
      { type: 'lamp.on' },
      { type: 'lamp.on', watts: 0 },
      { type: 'lamp.on', watts: 60 },
      { type: 'lamp.poke' },
      { type: 'lamp.jam' },
      { type: 'lamp.off' },
    ];
    let allowed = 0;
    let checked = 0;
    for (const state of ['av', 'pa'] as const)
      for (const count of [0, 1, 2, 3, 4])
        for (const tags of [[], ['a'], ['a', 'b', 'c']])
          for (const event of events) {
            const snapshot = snapshotIn(state, { count, tags });
            const full = { ...event, meta } as LampEvent;
            const explanation = explainEvent(lampDefinition, snapshot, full, {
              payloadKnown: true,
            });
            expect([state, count, tags, event, explanation.allowed]).toEqual([
              state,
              count,
              tags,
              event,
              snapshot.can(full),
            ]);
            checked++;
            if (explanation.allowed) allowed++;
          }
    // Both outcomes occur, so the agreement is not trivial.
    expect(allowed).toBeGreaterThan(10);
    expect(checked - allowed).toBeGreaterThan(10);
  });

  it('lists every event of the definition in nextEvents, with roles and payload guards open', () => {
    const snapshot = snapshotIn('av', { count: 2, tags: [] });
    const next = nextEvents(lampDefinition, snapshot, meta.at);
    expect(next.map((e) => e.type)).toEqual(['lamp.on', 'lamp.poke', 'lamp.jam', 'lamp.off']);
    const byType = Object.fromEntries(next.map((e) => [e.type, e]));
    expect(byType['lamp.on']).toEqual({
      type: 'lamp.on',
      allowed: false,
      roles: ['operator'],
      blockedBy: [expect.objectContaining({ guard: 'hasTags' })],
    });
    expect(byType['lamp.poke']?.allowed).toBe(true);
    expect(guardsOf(byType['lamp.jam']!)).toEqual(['isOpen', 'hasTags']);
    expect(byType['lamp.off']).toMatchObject({
      allowed: false,
      roles: ['operator', 'admin'],
      blockedBy: [{ guard: STRUCTURAL_GUARDS.isAcceptedInState }],
    });
  });
});

describe('explainEvent refuses what it cannot explain', () => {
  type Ev = { type: 't.go'; meta: EventMeta };
  const specsOnly = {
    hasTags: hasTags as unknown as GuardSpec<LampContext, Ev>,
    isEven: isEven as unknown as GuardSpec<LampContext, Ev>,
  };
  const definitionFor = (machine: WorkflowDefinition['machine'], guards = specsOnly) => ({
    ...lampDefinition,
    machine,
    events: { 't.go': label('Gå', 'Go') },
    guards,
  });
  const build = (guard: unknown) =>
    setup({
      types: { context: {} as LampContext, events: {} as Ev },
      guards: toGuardPredicates(specsOnly),
    }).createMachine({
      context: { count: 1, tags: [] },
      initial: 'a',
      states: { a: { on: { 't.go': { guard: guard as never, target: 'b' } } }, b: {} },
    });
  const explainGo =
    (machine: WorkflowDefinition['machine'], guards = specsOnly) =>
    () =>
      explainEvent(
        definitionFor(machine, guards),
        initialTransition(machine)[0],
        { type: 't.go', meta },
        { payloadKnown: true },
      );

  it('throws a clear error for an inline (anonymous) guard', () => {
    expect(explainGo(build(() => true))).toThrow(
      'Inline guards cannot be explained; give every guard a name in the definition',
    );
    expect(explainGo(build(and(['isEven', () => false])))).toThrow(
      /Inline guards cannot be explained/,
    );
  });

  it('throws for a combinator it does not know how to explain', () => {
    expect(explainGo(build(not('isEven')))).toThrow(/Guard combinator «not» cannot be explained/);
  });

  it('throws when a named guard has no spec in the definition', () => {
    expect(explainGo(build('isEven'), { hasTags: specsOnly.hasTags } as never)).toThrow(
      /Guard «isEven» has no spec in the definition «lamp»/,
    );
  });
});
