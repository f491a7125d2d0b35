import type { ReferenceObject } from '@nestjs/swagger';

/** A reference to a schema in `components.schemas`. */
export function schemaRef(name: string): ReferenceObject {
  return { $ref: `#/components/schemas/${name}` };
}

/** The name of the security scheme every authenticated route uses. */
export const BEARER = 'bearer';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';
