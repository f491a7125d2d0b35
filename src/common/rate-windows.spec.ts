import { ThrottlerStorageService } from '@nestjs/throttler';
import { RateWindows } from './rate-windows';

/**
 * The rate limit's counters must answer exactly as @nestjs/throttler's own in-memory storage does
 * (the guard turns these answers into 429 and Retry-After), only without its per-request cost.
 */
describe('RateWindows', () => {
  let now: number;
  let library: ThrottlerStorageService;
  let ours: RateWindows;

  beforeEach(() => {
    now = Date.parse('2026-12-01T12:00:00Z');
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    library = new ThrottlerStorageService();
    ours = new RateWindows();
  });

  afterEach(() => {
    library.onApplicationShutdown();
    ours.stop();
    jest.restoreAllMocks();
  });

  async function both(key: string, ttl: number, limit: number, block: number) {
    const expected = await library.increment(key, ttl, limit, block, 'default');
    const actual = await ours.increment(key, ttl, limit, block, 'default');
    expect(actual).toEqual(expected);
    return actual;
  }

  it.each([
    ['blocking for the window once over the limit', 60_000],
    ['without a block (refused only while the window is full)', 0],
  ])('answers as the library does, %s', async (_, block) => {
    const ttl = 60_000;
    const limit = 5;
    const steps = [
      0, 1_000, 1_000, 10_000, 5_000, 1, 1, 20_000, 30_000, 15_000, 100, 60_000, 1, 61_000,
    ];
    const answers = [];
    for (const step of steps) {
      now += step;
      answers.push(await both('10.0.0.1', ttl, limit, block));
      if (step === 1) await both('10.0.0.2', ttl, limit, block);
    }
    // The sequence did get refused, and let through again.
    expect(answers.some((a) => a.isBlocked)).toBe(true);
    expect(answers.at(-1)!.isBlocked).toBe(false);
  });

  it('counts a long window right as its oldest hits expire (dropped from the front, compacted)', async () => {
    for (let i = 0; i < 5_000; i += 1) {
      now += 20;
      const answer = await ours.increment('busy', 60_000, 10_000_000, 60_000, 'default');
      expect(answer.totalHits).toBe(Math.min(i + 1, 3_000));
    }
  });

  it('forgets clients with nothing left counting', async () => {
    await ours.increment('a', 1_000, 5, 1_000, 'default');
    await ours.increment('b', 60_000, 5, 60_000, 'default');
    now += 2_000;
    ours.sweep();
    expect(ours.size).toBe(1);
    now += 60_000;
    ours.sweep();
    expect(ours.size).toBe(0);
  });
});
