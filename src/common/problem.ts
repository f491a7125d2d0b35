import type { Blocker, FieldProblem } from '../../workflows/kit';

/** RFC 9457 problem details, the body of every 4xx and 5xx response. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: FieldProblem[];
  blockedBy?: Blocker[];
  [extension: string]: unknown;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

export function problem(
  status: number,
  slug: string,
  title: string,
  detail: string,
  extensions: Record<string, unknown> = {},
): Problem {
  return { type: `urn:videreforing:problem:${slug}`, title, status, detail, ...extensions };
}
