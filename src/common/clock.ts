/**
 * The one source of "now" for the service. Tests replace it to move time; definitions never read
 * the clock themselves (the engine passes the time in the event's meta).
 */
export abstract class Clock {
  abstract now(): Date;
}

export class SystemClock extends Clock {
  now(): Date {
    return new Date();
  }
}

/** A clock that stands still until told to move. For tests and benchmarks. */
export class ManualClock extends Clock {
  private current: Date;

  constructor(start: string | Date = '2026-03-02T08:00:00.000Z') {
    super();
    this.current = new Date(start);
  }

  now(): Date {
    return new Date(this.current.getTime());
  }

  set(instant: string | Date): void {
    this.current = new Date(instant);
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }

  advanceDays(days: number): void {
    this.advance(days * 86_400_000);
  }
}
