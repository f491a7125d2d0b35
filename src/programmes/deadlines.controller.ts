import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal } from '../auth/decorators';
import type { Principal } from '../auth/principal';
import { Clock } from '../common/clock';
import { ApiAuth, ApiProblems } from '../docs/decorators';
import { schemaRef } from '../docs/refs';
import { osloDay } from '../../workflows/kit';
import { ProgrammesService, type Page } from './programmes.service';
import { DeadlinesQuery } from './query.dto';
import { instantOf } from './time';

@ApiTags('deadlines')
@Controller('api/deadlines')
export class DeadlinesController {
  constructor(
    private readonly programmes: ProgrammesService,
    private readonly clock: Clock,
  ) {}

  /** Open deadlines due before `before` (default: a year from now), across visible programmes. */
  @Get()
  @ApiOperation({
    summary: 'Open deadlines across programmes',
    description:
      'Open deadlines due before `before` (default: a year from now) in the programmes the token may ' +
      'see, earliest first.',
  })
  @ApiResponse({
    status: 200,
    description: 'A page of open deadlines',
    schema: schemaRef('DeadlinePage'),
  })
  @ApiAuth()
  @ApiProblems(400)
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
