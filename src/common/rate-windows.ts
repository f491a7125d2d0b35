import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Window {
  /** When each counted hit stops counting, oldest first; `head` is the first still counting. */
  expiries: number[];
  head: number;
  windowEnds: number;
  blocked: boolean;
  blockEnds: number;
}

/**
 * The rate limit's counters: the semantics of @nestjs/throttler's in-memory storage (a sliding
 * window of hits, then a block for `blockDuration`), at constant cost per request. Its own storage
 * filters the whole list of the window's hits into a new array on every request, so at a few hundred
 * requests a second from one client that list cost more than the request.
 */
export class RateWindows implements ThrottlerStorage {
  private readonly windows = new Map<string, Window>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(sweepEveryMs = 60_000) {
    // Started here, not in a request, so the timer holds no request's async context.
    this.sweeper = setInterval(() => this.sweep(), sweepEveryMs);
    this.sweeper.unref();
  }

  increment(
    key: string,
    ttl: number,
    limit: number,
    blockDuration: number,
    throttlerName: string,
  ): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    const id = `${throttlerName}\u0000${key}`;
    let window = this.windows.get(id);
    if (!window) {
      window = { expiries: [], head: 0, windowEnds: now + ttl, blocked: false, blockEnds: 0 };
      this.windows.set(id, window);
    }
    dropExpired(window, now);
    if (window.windowEnds <= now) window.windowEnds = now + ttl;
    const timeToExpire = Math.ceil((window.windowEnds - now) / 1000);

    if (blockDuration <= 0) {
      const isBlocked = counted(window) >= limit;
      if (!isBlocked) window.expiries.push(now + ttl);
      const oldest = window.expiries[window.head];
      return Promise.resolve({
        totalHits: counted(window) + (isBlocked ? 1 : 0),
        timeToExpire,
        isBlocked,
        timeToBlockExpire: !isBlocked
          ? 0
          : oldest === undefined
            ? timeToExpire
            : Math.ceil((oldest - now) / 1000),
      });
    }

    if (!window.blocked) window.expiries.push(now + ttl);
    if (counted(window) > limit && !window.blocked) {
      window.blocked = true;
      window.blockEnds = now + blockDuration;
    }
    const timeToBlockExpire = Math.ceil((window.blockEnds - now) / 1000);
    if (timeToBlockExpire <= 0 && window.blocked) {
      window.blocked = false;
      window.expiries = [now + ttl];
      window.head = 0;
    }
    return Promise.resolve({
      totalHits: counted(window),
      timeToExpire,
      isBlocked: window.blocked,
      timeToBlockExpire,
    });
  }

  /** Forgets clients with nothing counting and no block. */
  sweep(now = Date.now()): void {
    for (const [id, window] of this.windows) {
      dropExpired(window, now);
      if (window.blocked && window.blockEnds > now) continue;
      if (counted(window) > 0 || window.windowEnds > now) continue;
      this.windows.delete(id);
    }
  }

  get size(): number {
    return this.windows.size;
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}

function counted(window: Window): number {
  return window.expiries.length - window.head;
}

function dropExpired(window: Window, now: number): void {
  const { expiries } = window;
  let head = window.head;
  while (head < expiries.length && expiries[head]! <= now) head += 1;
  // Hits expire in the order they came (a clock set back only makes them count a little longer):
  // the front is dropped, compacted now and then.
  if (head > 1024 && head * 2 > expiries.length) {
    window.expiries = expiries.slice(head);
    head = 0;
  }
  window.head = head;
}
