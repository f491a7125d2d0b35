import { Injectable } from '@nestjs/common';
import { daysBetween, osloDay } from '../../workflows/kit';
import type { Principal } from '../auth/principal';
import { Clock } from '../common/clock';
import { InvalidRequest, UnknownProgramme } from '../common/errors';
import { DefinitionRegistry } from '../engine/definition-registry';
import {
  PROGRAMME_DEFINITION,
  ProgrammesService,
  type ProgrammeView,
} from '../programmes/programmes.service';
import { osloLocalInput, parseAt } from './html';
import { InspectionService } from './inspection.service';
import { lightOf, overviewPage, programmePage, type OverviewRow } from './pages';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Gathers what the inspector pages show, always through the caller's scope (ProgrammesService):
 * a programme the token may not see is the same 404 as one that does not exist.
 */
@Injectable()
export class InspectPages {
  constructor(
    private readonly programmes: ProgrammesService,
    private readonly inspection: InspectionService,
    private readonly registry: DefinitionRegistry,
    private readonly clock: Clock,
  ) {}

  /** The programme's page now, or as it was at `atText` (see `parseAt`). */
  async programme(id: string, principal: Principal, atText?: string): Promise<string> {
    if (!UUID.test(id)) throw new UnknownProgramme(id);
    const programmeId = id.toLowerCase();
    const at = this.at(atText);
    const programme = await this.programmes.get(programmeId, principal);
    const view = at
      ? await this.programmes.at(programmeId, principal, at)
      : await this.programmes.workflow(programmeId, principal);
    const graph = await this.inspection.programmeGraph(programmeId, principal, at);
    const svg = (await this.inspection.render(graph, 'svg')).body as string;
    const history = await this.inspection.allHistory(programmeId, principal);
    const verification = await this.programmes.verify(programmeId, principal);
    const asOf = at ?? this.clock.now();
    return programmePage({
      principal,
      programme,
      definition: this.registry.get(view.definition).definition,
      view,
      graph,
      svg,
      history: history.filter((e) => e.seq <= view.version),
      historyTotal: history.length,
      verification,
      asOf,
      past: at !== undefined,
      today: osloDay(asOf),
      atInput: osloLocalInput(asOf),
    });
  }

  /** Every programme the caller may see, with its next deadline as a traffic light. */
  async overview(principal: Principal): Promise<string> {
    const all: ProgrammeView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.programmes.list(principal, { cursor, limit: 200 });
      all.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const now = this.clock.now();
    const today = osloDay(now);
    const { definition } = this.registry.get(PROGRAMME_DEFINITION);
    const label = (path: string) => definition.stateLabels[path]?.nb ?? path;
    const rows: OverviewRow[] = all
      .map((programme) => {
        const daysLeft = programme.nextDeadline
          ? daysBetween(today, programme.nextDeadline.due)
          : null;
        return {
          programme,
          phaseLabel: label(programme.phase),
          stateLabel: label(programme.state),
          daysLeft,
          light: lightOf(programme.nextDeadline, daysLeft),
        };
      })
      .sort((a, b) => a.programme.municipality.localeCompare(b.programme.municipality, 'nb'));
    return overviewPage({ principal, rows, now, today });
  }

  private at(text: string | undefined): Date | undefined {
    if (text === undefined || text.trim() === '') return undefined;
    const at = parseAt(text);
    if (!at) {
      throw new InvalidRequest(
        [
          {
            field: 'at',
            message:
              'må være en dato (ÅÅÅÅ-MM-DD) eller et tidspunkt (ÅÅÅÅ-MM-DD tt:mm) i norsk tid',
            messageEn: 'must be a date (YYYY-MM-DD) or a time (YYYY-MM-DDTHH:MM) in Europe/Oslo',
          },
        ],
        'Tidspunktet må være en dato (ÅÅÅÅ-MM-DD) eller et tidspunkt (ÅÅÅÅ-MM-DD tt:mm) i norsk tid',
      );
    }
    return at;
  }
}
