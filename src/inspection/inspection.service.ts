import { Injectable } from '@nestjs/common';
import type { Principal } from '../auth/principal';
import { DefinitionRegistry } from '../engine/definition-registry';
import { ProgrammesService, type HistoryItem } from '../programmes/programmes.service';
import { definitionGraph, instanceGraph, type StateGraph, type TakenStep } from './graph';
import { toDot, toMermaid } from './render';
import { dotToSvg } from './svg';

export type GraphFormat = 'json' | 'dot' | 'mermaid' | 'svg';

export interface RenderedGraph {
  contentType: string;
  body: string | StateGraph;
}

const CONTENT_TYPES: Record<GraphFormat, string> = {
  json: 'application/json; charset=utf-8',
  dot: 'text/vnd.graphviz; charset=utf-8',
  mermaid: 'text/vnd.mermaid; charset=utf-8',
  svg: 'image/svg+xml; charset=utf-8',
};

@Injectable()
export class InspectionService {
  private readonly definitionGraphs = new Map<string, StateGraph>();

  constructor(
    private readonly registry: DefinitionRegistry,
    private readonly programmes: ProgrammesService,
  ) {}

  definitionGraph(definitionId: string): StateGraph {
    const { definition, version } = this.registry.get(definitionId);
    const key = `${definitionId}@${version}`;
    let graph = this.definitionGraphs.get(key);
    if (!graph) {
      graph = definitionGraph(definition, version);
      this.definitionGraphs.set(key, graph);
    }
    return graph;
  }

  async programmeGraph(programmeId: string, principal: Principal, at?: Date): Promise<StateGraph> {
    const view = at
      ? await this.programmes.at(programmeId, principal, at)
      : await this.programmes.workflow(programmeId, principal);
    const history = await this.allHistory(programmeId, principal);
    const steps: TakenStep[] = history
      .filter((e) => e.seq <= view.version)
      .map((e) => ({
        seq: e.seq,
        at: e.at,
        actor: e.actor,
        event: e.event.type,
        from: e.from,
        to: e.to,
      }));
    const { definition } = this.registry.get(view.definition);
    return instanceGraph(
      this.definitionGraph(view.definition),
      view.state,
      steps,
      view.nextEvents,
      definition.events,
    );
  }

  async allHistory(programmeId: string, principal: Principal): Promise<HistoryItem[]> {
    const items: HistoryItem[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.programmes.history(programmeId, principal, { cursor, limit: 200 });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return items;
  }

  async render(graph: StateGraph, format: GraphFormat): Promise<RenderedGraph> {
    const contentType = CONTENT_TYPES[format];
    switch (format) {
      case 'json':
        return { contentType, body: graph };
      case 'dot':
        return { contentType, body: toDot(graph) };
      case 'mermaid':
        return { contentType, body: toMermaid(graph) };
      case 'svg':
        return { contentType, body: await dotToSvg(toDot(graph)) };
    }
  }
}
