import { createMachine, fromCallback, initialTransition, transition } from 'xstate';
import { nextSnapshot } from './transition';

describe('nextSnapshot', () => {
  it('gives what XState’s transition() gives, also for a machine that invokes a named actor', () => {
    const worker = fromCallback(() => () => undefined);
    const machine = createMachine({
      initial: 'idle',
      context: { runs: 0 },
      states: {
        idle: { on: { GO: 'busy' } },
        busy: {
          invoke: { src: worker, systemId: 'worker' },
          on: { STOP: 'idle' },
        },
      },
    });
    let snapshot = initialTransition(machine)[0];
    // A shared actor system would hold the first 'worker' and refuse the second.
    for (const type of ['GO', 'STOP', 'GO', 'STOP', 'GO']) {
      const expected = transition(machine, snapshot, { type })[0];
      const next = nextSnapshot(machine, snapshot, { type });
      expect(next.value).toEqual(expected.value);
      expect(Object.keys(next.children)).toEqual(Object.keys(expected.children));
      snapshot = next;
    }
  });
});
