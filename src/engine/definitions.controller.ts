import { Controller, Get, Param } from '@nestjs/common';
import { DefinitionRegistry, type RegisteredDefinition } from './definition-registry';

export interface DefinitionSummary {
  id: string;
  version: string;
  title: { nb: string; en: string };
  roles: readonly string[];
  events: { type: string; label: { nb: string; en: string }; roles: readonly string[] }[];
  states: { path: string; label: { nb: string; en: string } }[];
  guards: { name: string; label: { nb: string; en: string }; source: string }[];
}

@Controller('api/definitions')
export class DefinitionsController {
  constructor(private readonly registry: DefinitionRegistry) {}

  @Get()
  list(): { items: DefinitionSummary[]; nextCursor: null } {
    return { items: this.registry.list().map(summary), nextCursor: null };
  }

  @Get(':definitionId')
  get(@Param('definitionId') definitionId: string): DefinitionSummary {
    return summary(this.registry.get(definitionId));
  }
}

function summary({ definition, version }: RegisteredDefinition): DefinitionSummary {
  return {
    id: definition.id,
    version,
    title: definition.title,
    roles: definition.roles,
    events: Object.entries(definition.events).map(([type, spec]) => ({
      type,
      label: spec.label,
      roles: spec.roles,
    })),
    states: Object.entries(definition.stateLabels).map(([path, label]) => ({ path, label })),
    guards: Object.entries(definition.guards).map(([name, spec]) => ({
      name,
      label: spec.label,
      source: spec.source,
    })),
  };
}
