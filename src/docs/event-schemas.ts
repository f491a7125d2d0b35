import type { ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { defaultMetadataStorage } from 'class-transformer/cjs/storage';
import { getMetadataStorage, MAX, MIN, ValidationTypes } from 'class-validator';
import { targetConstructorToSchema } from 'class-validator-jsonschema';
import type { IOptions } from 'class-validator-jsonschema/build/options';
import type { ISchemaConverters } from 'class-validator-jsonschema/build/defaultConverters';
import type { AnyWorkflowDefinition } from '../../workflows/kit';
import { schemaRef } from './refs';

/** The `oneOf` of every event, discriminated by `type`. */
export const WORKFLOW_EVENT = 'WorkflowEvent';

// The custom decorators of workflows/kit and the definition, by the name they register under.
// The patterns say the same as the validators (control characters, YYYY-MM-DD).
const CONVERTERS: ISchemaConverters = {
  isDay: {
    type: 'string',
    format: 'date',
    pattern: '^\\d{4}-\\d{2}-\\d{2}$',
    description: 'A calendar date YYYY-MM-DD (Europe/Oslo)',
  },
  isSingleLine: { type: 'string', pattern: '^[^\\u0000-\\u001F\\u007F]*$' },
  isPlainText: {
    type: 'string',
    pattern: '^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]*$',
  },
  isOrganisasjonsnummer: {
    type: 'string',
    pattern: '^\\d{9}$',
    description: 'Organisasjonsnummer: nine digits, the last a modulus-11 check digit',
  },
  // The default (`not: { type: 'null' }`) is not valid OpenAPI 3.0; `required` says it already.
  [ValidationTypes.IS_DEFINED]: {},
  // The defaults also set `type: number`, which would override @IsInt's `integer`.
  [MIN]: (meta) => ({ minimum: meta.constraints[0] as number }),
  [MAX]: (meta) => ({ maximum: meta.constraints[0] as number }),
};

const OPTIONS: Partial<IOptions> = {
  classTransformerMetadataStorage: defaultMetadataStorage,
  refPointerPrefix: '#/components/schemas/',
  additionalConverters: CONVERTERS,
};

type Class = abstract new (...args: never[]) => unknown;

/** 'budgetOverrun.approve' → 'BudgetOverrunApproveEvent'. */
export function eventSchemaName(type: string): string {
  const words = type.split('.').map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  return `${words.join('')}Event`;
}

export interface EventDocs {
  /** Component schemas: one per event type, the nested payload classes and WORKFLOW_EVENT. */
  schemas: Record<string, SchemaObject>;
  /** Event type → `#/components/schemas/…` of its schema. */
  mapping: Record<string, string>;
}

/**
 * The events a definition accepts as OpenAPI schemas, built from the class-validator classes the
 * engine validates payloads with: one schema per event type (the payload's fields and a `type`
 * enum), nested classes as their own schemas, and a `oneOf` discriminated by `type`.
 */
export function eventDocs(
  definition: AnyWorkflowDefinition,
  examples: Readonly<Record<string, object>> = {},
): EventDocs {
  const schemas: Record<string, SchemaObject> = {};
  const named = new Map<string, unknown>();
  const claim = (name: string, owner: unknown) => {
    if (named.has(name) && named.get(name) !== owner) {
      throw new Error(`Two schemas would be called ${name}`);
    }
    named.set(name, owner);
  };

  const mapping: Record<string, string> = {};
  const nested = new Set<Class>();
  for (const [type, spec] of Object.entries(definition.events)) {
    const cls = definition.payloads[type];
    const payload = cls ? payloadSchema(cls) : { type: 'object', properties: {} };
    if (cls) for (const child of nestedClasses(cls)) nested.add(child);
    const name = eventSchemaName(type);
    claim(name, type);
    const example = examples[type];
    const roles = [...spec.roles];
    const schema: SchemaObject & { 'x-roles': string[] } = {
      type: 'object',
      title: type,
      description: `${spec.label.en} («${spec.label.nb}»). Who may send it: ${roles.join(', ')}.`,
      properties: { type: { type: 'string', enum: [type] }, ...payload.properties },
      required: ['type', ...(payload.required ?? [])],
      additionalProperties: false,
      'x-roles': roles,
      ...(example ? { example: { type, ...example } } : {}),
    };
    schemas[name] = schema;
    mapping[type] = schemaRef(name).$ref;
  }

  // Nested classes (Person, Owner, …), and the ones nested in those.
  const queue = [...nested];
  while (queue.length > 0) {
    const cls = queue.shift()!;
    claim(cls.name, cls);
    schemas[cls.name] = { ...payloadSchema(cls), additionalProperties: false };
    for (const child of nestedClasses(cls)) {
      if (!nested.has(child)) {
        nested.add(child);
        queue.push(child);
      }
    }
  }

  const refs = Object.values(mapping).map((ref): ReferenceObject => ({ $ref: ref }));
  schemas[WORKFLOW_EVENT] = {
    description:
      'An event: `type` names it, the other fields are its payload (SPEC §4.2). Unknown fields are refused.',
    oneOf: refs,
    discriminator: { propertyName: 'type', mapping },
  };
  claim(WORKFLOW_EVENT, WORKFLOW_EVENT);
  return { schemas, mapping };
}

function payloadSchema(cls: Class): SchemaObject {
  const schema = targetConstructorToSchema(cls, OPTIONS) as SchemaObject;
  return { type: 'object', properties: {}, ...schema };
}

/** The classes a payload class validates nested (@ValidateNested), resolved through @Type. */
function nestedClasses(cls: Class): Class[] {
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false);
  const children: Class[] = [];
  for (const meta of metadatas) {
    if (meta.type !== ValidationTypes.NESTED_VALIDATION) continue;
    const target = meta.target as Class;
    const typeMeta = defaultMetadataStorage.findTypeMetadata(target, meta.propertyName);
    if (!typeMeta) {
      throw new Error(
        `${target.name}.${meta.propertyName} is @ValidateNested() without @Type(() => …): ` +
          'neither the validation nor the documentation can know its class',
      );
    }
    const child = typeMeta.typeFunction() as Class;
    if (!children.includes(child)) children.push(child);
  }
  return children;
}
