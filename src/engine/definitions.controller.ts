import { Controller, Get, Param } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiAuth, ApiProblem } from '../docs/decorators';
import { schemaRef } from '../docs/refs';
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

@ApiTags('definitions')
@Controller('api/definitions')
export class DefinitionsController {
  constructor(private readonly registry: DefinitionRegistry) {}

  @Get()
  @ApiOperation({ summary: 'The workflow definitions the engine runs' })
  @ApiResponse({
    status: 200,
    description: 'Every definition',
    schema: schemaRef('DefinitionPage'),
  })
  @ApiAuth()
  list(): { items: DefinitionSummary[]; nextCursor: null } {
    return { items: this.registry.list().map(summary), nextCursor: null };
  }

  @Get(':definitionId')
  @ApiOperation({ summary: 'One workflow definition: its events, states and guards' })
  @ApiParam({ name: 'definitionId', description: 'The definition id', example: 'videreforing' })
  @ApiResponse({
    status: 200,
    description: 'The definition',
    schema: schemaRef('DefinitionSummary'),
  })
  @ApiAuth()
  @ApiProblem(404, { description: 'Unknown definition', cases: ['unknown-definition'] })
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
