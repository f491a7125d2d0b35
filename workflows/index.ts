import type { AnyWorkflowDefinition } from './kit/definition';
import { videreforing } from './videreforing';

/** Every workflow definition the engine may run, by id. */
export const definitions: Readonly<Record<string, AnyWorkflowDefinition>> = {
  [videreforing.id]: videreforing,
};

export * from './kit';
