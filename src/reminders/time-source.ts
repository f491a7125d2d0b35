import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import type { Settings } from '../../config/settings';
import { Clock, SystemClock } from '../common/clock';
import { SETTINGS } from '../common/tokens';

const NOW_SQL = {
  sqlite: "select strftime('%Y-%m-%dT%H:%M:%fZ', 'now') as now",
  postgresql: 'select now() as now',
} as const;

/**
 * "Now" for deciding what is due and for leases: the database's clock, shared by every replica,
 * so a replica whose own clock is off sends nothing early. Tests that inject their own clock
 * (ManualClock) use it instead, to move time.
 */
@Injectable()
export class DueTime {
  constructor(
    private readonly orm: MikroORM,
    private readonly clock: Clock,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async now(): Promise<Date> {
    if (!(this.clock instanceof SystemClock)) return this.clock.now();
    const rows = (await this.orm.em
      .fork()
      .getConnection()
      .execute(NOW_SQL[this.settings.database.dialect])) as { now: string | Date }[];
    const value = rows[0]?.now;
    return value instanceof Date ? value : new Date(String(value));
  }
}
