import { Controller, Get, Query } from '@nestjs/common';
import { CurrentPrincipal } from '../auth/decorators';
import type { Principal } from '../auth/principal';
import { Clock } from '../common/clock';
import { osloDay } from '../../workflows/kit';
import { ProgrammesService, type Page } from './programmes.service';
import { DeadlinesQuery } from './query.dto';
import { instantOf } from './time';

@Controller('api/deadlines')
export class DeadlinesController {
  constructor(
    private readonly programmes: ProgrammesService,
    private readonly clock: Clock,
  ) {}

  /** Open deadlines due before `before` (default: a year from now), across visible programmes. */
  @Get()
  list(
    @Query() query: DeadlinesQuery,
    @CurrentPrincipal() principal: Principal,
  ): Promise<Page<Record<string, unknown>>> {
    const before = query.before
      ? osloDay(instantOf('before', query.before, 'startOfDay'))
      : osloDay(new Date(this.clock.now().getTime() + 366 * 86_400_000));
    return this.programmes.deadlines(principal, before, query);
  }
}
