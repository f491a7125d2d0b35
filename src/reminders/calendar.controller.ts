import { Controller, Get, Header, Inject, Param } from '@nestjs/common';
import type { Settings } from '../../config/settings';
import { CurrentPrincipal } from '../auth/decorators';
import type { Principal } from '../auth/principal';
import { SETTINGS } from '../common/tokens';
import { UuidPipe } from '../common/pipes';
import { ProgrammesService } from '../programmes/programmes.service';
import { deadlineUid } from './compose';
import { calendar } from './ics';

@Controller('api/programmes/:id')
export class CalendarController {
  constructor(
    private readonly programmes: ProgrammesService,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  /** Every deadline of a programme as an iCalendar feed; UIDs are stable, so subscribers see updates. */
  @Get('calendar.ics')
  @Header('content-type', 'text/calendar; charset=utf-8')
  async calendar(
    @Param('id', UuidPipe) id: string,
    @CurrentPrincipal() principal: Principal,
  ): Promise<string> {
    const programme = await this.programmes.get(id, principal);
    const workflow = await this.programmes.workflow(id, principal);
    const url = `${this.settings.publicUrl}/inspect/${id}`;
    return calendar(
      `Frister – ${programme.municipality}`,
      workflow.deadlines.map((d) => ({
        uid: deadlineUid(workflow.instanceId, d.key),
        day: d.due,
        summary: `${d.met ? '✓ ' : ''}${programme.municipality}: ${d.label.nb}`,
        description: `${d.label.nb}${d.met ? ' (nådd)' : ''}. ${d.source}`,
        url,
        stamp: workflow.updatedAt,
      })),
    );
  }
}
