import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { AnyStateMachine } from 'xstate';
import { canonicalJson, type AnyWorkflowDefinition } from '../../workflows/kit';
import { UnknownDefinition, UnknownDefinitionVersion } from '../common/errors';

export const WORKFLOW_DEFINITIONS = Symbol('WORKFLOW_DEFINITIONS');

export interface RegisteredDefinition {
  definition: AnyWorkflowDefinition;
  version: string;
}

type Persisted = Record<string, unknown>;

/** A snapshot brought up to the current definition version, with the steps taken on the way. */
export interface LoadedSnapshot {
  persisted: Persisted;
  migratedFrom: string[];
}

/**
 * The definitions the engine may run, each with a version derived from its content: the machine's
 * structure (states, transitions, guard and action names), its events and roles, its guard labels
 * and sources, and its rule data. A changed rule or machine gets a new version.
 */
@Injectable()
export class DefinitionRegistry {
  private readonly byId = new Map<string, RegisteredDefinition>();

  constructor(
    @Inject(WORKFLOW_DEFINITIONS) definitions: Readonly<Record<string, AnyWorkflowDefinition>>,
  ) {
    for (const definition of Object.values(definitions)) {
      this.byId.set(definition.id, { definition, version: definitionVersion(definition) });
    }
  }

  get(definitionId: string): RegisteredDefinition {
    const registered = this.byId.get(definitionId);
    if (!registered) throw new UnknownDefinition(definitionId);
    return registered;
  }

  list(): RegisteredDefinition[] {
    return [...this.byId.values()];
  }

  /**
   * Brings a snapshot stored under `version` to the current version through the definition's
   * declared migrations. An unknown version without a migration path is an error, never a guess.
   */
  upgrade(definitionId: string, version: string, persisted: Persisted): LoadedSnapshot {
    const { definition, version: current } = this.get(definitionId);
    const migratedFrom: string[] = [];
    let at = version;
    let snapshot: unknown = persisted;
    while (at !== current) {
      const step = definition.migrations?.find((m) => m.from === at);
      if (!step || migratedFrom.includes(at)) {
        throw new UnknownDefinitionVersion(definitionId, version, current);
      }
      migratedFrom.push(at);
      snapshot = step.migrate(snapshot);
      at = step.to ?? current;
    }
    return { persisted: snapshot as Persisted, migratedFrom };
  }

  restore(definitionId: string, persisted: Persisted) {
    const machine: AnyStateMachine = this.get(definitionId).definition.machine;
    return machine.resolveState(persisted as never);
  }
}

export function definitionVersion(definition: AnyWorkflowDefinition): string {
  const machine: AnyStateMachine = definition.machine;
  const content = canonicalJson({
    id: definition.id,
    machine: machine.definition,
    events: definition.events,
    roles: definition.roles,
    guards: Object.fromEntries(
      Object.entries(definition.guards).map(([name, spec]) => [
        name,
        { label: spec.label, source: spec.source, inspectsPayload: spec.inspectsPayload },
      ]),
    ),
    settings: definition.settings,
    data: definition.data,
    revision: definition.revision ?? 0,
  });
  return createHash('sha256').update(content).digest('hex').slice(0, 16);
}
