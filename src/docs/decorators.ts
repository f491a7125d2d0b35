import { applyDecorators } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtension,
  ApiHeader,
  ApiResponse,
  type ExampleObject,
  type HeadersObject,
  type ResponseObject,
} from '@nestjs/swagger';
import { ROLES, type Role } from '../auth/principal';
import { BEARER, PROBLEM_MEDIA_TYPE, schemaRef } from './refs';

/**
 * Decorators that document the parts every route shares: bearer authentication and roles, the
 * problem+json error responses of SPEC §4 and the Idempotency-Key / If-Match / ETag headers.
 */

export type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 412 | 413 | 415 | 422 | 429 | 503;

/** What each status means (SPEC §4). */
const MEANING: Record<ProblemStatus, string> = {
  400: 'Malformed or invalid request: every field’s problem is listed in `errors`',
  401: 'No bearer token, or an unknown or revoked one',
  403: 'The token’s role may not call this route',
  404: 'Unknown, or outside the token’s programmes',
  409: 'Conflict',
  412: '`If-Match` no longer matches the current version: nothing was changed',
  413: 'The body is too large',
  415: 'The body is not JSON (`Content-Type: application/json`)',
  422: 'The Idempotency-Key was already used with a different request',
  429: 'Too many requests: wait `Retry-After` seconds',
  503: 'The database is unreachable or not yet ready: nothing was done; retry after `Retry-After` seconds',
};

type Extensions = Record<string, unknown>;

/** Example problems, by the slug of their `type` (see src/common/to-problem.ts). */
const PROBLEMS: Record<string, [ProblemStatus, string, string, Extensions?]> = {
  'invalid-request': [
    400,
    'Invalid request',
    'Forespørselen er ugyldig: municipalityNumber: har feil format',
    {
      errors: [
        {
          field: 'municipalityNumber',
          message: 'har feil format',
          messageEn: 'municipalityNumber must be four digits',
        },
      ],
    },
  ],
  'invalid-event': [
    400,
    'Invalid event payload',
    'Hendelsen «cost.record» er ugyldig: amountNok: må være et heltall',
    {
      errors: [
        {
          field: 'amountNok',
          message: 'må være et heltall',
          messageEn: 'amountNok must be an integer number',
        },
      ],
    },
  ],
  'unknown-event-type': [
    400,
    'Unknown event type',
    'Hendelsestypen «report.send» finnes ikke; gyldige typer er roles.assign, tender.publish, …',
  ],
  'bad-request': [400, 'Bad request', 'Ugyldig forespørsel'],
  'malformed-json': [
    400,
    'Malformed JSON',
    'Innholdet er ikke gyldig JSON: Unexpected end of JSON input',
  ],
  unauthenticated: [
    401,
    'Authentication required',
    'Oppgi en gyldig nøkkel i Authorization: Bearer <nøkkel>',
  ],
  forbidden: [403, 'Role not allowed', 'Rollen «auditor» har ikke tilgang hit; det har admin'],
  'scope-too-narrow': [
    403,
    'Token scope too narrow',
    'Å opprette programmer krever en nøkkel med tilgang til alle programmer',
  ],
  'event-not-permitted': [
    403,
    'Role may not send this event',
    'Rollen «projectLeader» kan ikke sende «report.approve»; det kan admin, board',
    { roles: ['admin', 'board'] },
  ],
  'unknown-programme': [
    404,
    'Unknown programme',
    'Programmet 3f2c1d7e-6a0b-4c1e-9f5d-2b8a7c6d5e4f finnes ikke',
  ],
  'unknown-definition': [404, 'Unknown workflow definition', 'Arbeidsflyten «ukjent» finnes ikke'],
  'unknown-token': [
    404,
    'Unknown token',
    'Nøkkelen 3f2c1d7e-6a0b-4c1e-9f5d-2b8a7c6d5e4f finnes ikke eller er allerede trukket tilbake',
  ],
  'not-yet-created': [
    404,
    'Did not exist at that time',
    'Arbeidsflyten fantes ikke ennå 2020-01-01T00:00:00.000Z',
  ],
  'transition-blocked': [
    409,
    'Event not possible now',
    'Aktivitet F3 og F5 i forstudien er ikke fullført',
    {
      blockedBy: [
        {
          guard: 'hasCompletedAllActivities',
          message: 'Aktivitet F3 og F5 i forstudien er ikke fullført',
          messageEn: 'Activities F3 and F5 of the pre-study are not completed',
        },
      ],
      state: 'forstudie.arbeid',
      event: 'report.submit',
    },
  ],
  'idempotency-in-progress': [
    409,
    'A request with this Idempotency-Key is still running',
    'En forespørsel med Idempotency-Key «7c9e…» pågår fortsatt; prøv igjen om litt',
  ],
  'version-conflict': [
    412,
    'Version mismatch',
    'Arbeidsflyten er endret siden versjon 7; gjeldende versjon er 8. Hent den på nytt og prøv igjen.',
    { currentVersion: 8 },
  ],
  'body-too-large': [413, 'Payload too large', 'Forespørselen er for stor'],
  'unsupported-media-type': [
    415,
    'Unsupported media type',
    'Innholdet må være JSON (Content-Type: application/json)',
  ],
  'idempotency-key-reused': [
    422,
    'Idempotency-Key reused with a different request',
    'Idempotency-Key «7c9e…» er allerede brukt for en annen forespørsel',
  ],
  'too-many-requests': [
    429,
    'Too many requests',
    'For mange forespørsler; vent litt og prøv igjen',
  ],
  'service-unavailable': [
    503,
    'Service unavailable',
    'Databasen er midlertidig utilgjengelig, og forespørselen ble ikke utført. Prøv igjen om litt (se Retry-After).',
  ],
  'database-not-ready': [
    503,
    'Database not ready',
    'Tjenesten har startet, men venter fortsatt på databasen. Prøv igjen om litt (se Retry-After).',
  ],
};

const DEFAULT_CASES: Record<ProblemStatus, string[]> = {
  400: ['invalid-request', 'malformed-json'],
  401: ['unauthenticated'],
  403: ['forbidden'],
  404: ['unknown-programme'],
  409: ['idempotency-in-progress'],
  412: ['version-conflict'],
  413: ['body-too-large'],
  415: ['unsupported-media-type'],
  422: ['idempotency-key-reused'],
  429: ['too-many-requests'],
  503: ['service-unavailable', 'database-not-ready'],
};

/** Every problem slug this module has an example of, with its status. */
export const PROBLEM_SLUGS: Readonly<Record<string, ProblemStatus>> = Object.fromEntries(
  Object.entries(PROBLEMS).map(([slug, [status]]) => [slug, status]),
);

function problemExample(slug: string, instance: string): ExampleObject {
  const entry = PROBLEMS[slug];
  if (!entry) throw new Error(`No example problem ${slug}`);
  const [status, title, detail, extensions] = entry;
  return {
    summary: title,
    value: {
      type: `urn:videreforing:problem:${slug}`,
      title,
      status,
      detail,
      instance,
      ...extensions,
    },
  };
}

export interface ProblemOptions {
  /** What the status means on this route; the general meaning when left out. */
  description?: string;
  /** Slugs of the example problems to show; the usual ones for the status when left out. */
  cases?: string[];
}

/** One problem+json error response as an OpenAPI response object. */
export function problemResponse(
  status: ProblemStatus,
  options: ProblemOptions = {},
): ResponseObject {
  const cases = options.cases ?? DEFAULT_CASES[status];
  for (const slug of cases) {
    if (PROBLEM_SLUGS[slug] !== status) throw new Error(`Problem ${slug} is not a ${status}`);
  }
  const examples = Object.fromEntries(cases.map((slug) => [slug, problemExample(slug, '/api/…')]));
  const headers: HeadersObject | undefined =
    status === 429 || status === 503
      ? {
          'Retry-After': {
            description: 'Seconds until a request may be made again',
            schema: { type: 'integer' },
          },
        }
      : undefined;
  return {
    description: options.description ?? MEANING[status],
    content: { [PROBLEM_MEDIA_TYPE]: { schema: schemaRef('Problem'), examples } },
    ...(headers ? { headers } : {}),
  };
}

/** One problem+json error response. */
export function ApiProblem(status: ProblemStatus, options: ProblemOptions = {}) {
  return ApiResponse({ status, ...problemResponse(status, options) });
}

/** Several problem+json error responses with their general meaning. */
export function ApiProblems(...statuses: ProblemStatus[]) {
  return applyDecorators(...statuses.map((status) => ApiProblem(status)));
}

/**
 * A route that needs a bearer token: 401 without one, 403 when `roles` are given and the token's
 * role is not among them, 429 when rate limited, 503 while the database is unreachable. `x-roles`
 * lists who may call it.
 */
export function ApiAuth(roles?: readonly Role[], forbidden: ProblemOptions = {}) {
  return applyDecorators(
    ApiBearerAuth(BEARER),
    ApiExtension('x-roles', [...(roles ?? ROLES)]),
    ApiProblem(401),
    ...(roles
      ? [
          ApiProblem(403, {
            description: `Only ${roles.join(', ')} may call this route`,
            ...forbidden,
          }),
        ]
      : []),
    ApiProblem(429),
    ApiProblem(503),
  );
}

/** A route anyone may call (no token); still rate limited. */
export function ApiPublic() {
  return applyDecorators(ApiExtension('x-roles', []), ApiProblem(429), ApiProblem(503));
}

/**
 * `Idempotency-Key` (SPEC §4): executed once per token and key; 422 for a reused key. A retry
 * while the first request runs is a 409, which the route documents with its other 409s.
 */
export function ApiIdempotencyKey() {
  return applyDecorators(
    // Lower case: the same parameter Nest reflects from @Headers('idempotency-key').
    ApiHeader({
      name: 'idempotency-key',
      required: false,
      description:
        '`Idempotency-Key`: 1–255 visible ASCII characters. A POST with it is executed once per token ' +
        'and key: a retry after it finished gets the stored response, a retry while it runs gets 409, ' +
        'the same key with a different body gets 422. Keys are kept at least 24 hours.',
      schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7E]{1,255}$' },
      example: '7c9e6679-7425-40de-944b-e07fc1f90ae7',
    }),
    ApiProblem(422),
  );
}

/** `If-Match` (SPEC §4): the version the client last saw, from the ETag. */
export function ApiIfMatch() {
  return applyDecorators(
    ApiHeader({
      name: 'if-match',
      required: false,
      description:
        '`If-Match`: the version from the `ETag` of the workflow view (`"7"`, `W/"7"` or `*`). When it ' +
        'no longer matches, the answer is 412 and nothing changes. Without it, concurrent events are ' +
        'applied one after the other.',
      schema: { type: 'string' },
      example: '"7"',
    }),
    ApiProblem(412),
  );
}

/** The `ETag` response header of a workflow view: its version. */
export const ETAG_HEADER: HeadersObject = {
  ETag: {
    description: 'The workflow version (`"7"`); send it back as `If-Match`',
    schema: { type: 'string', example: '"7"' },
  },
};

/** The errors of any route with a JSON body besides its own 400: 413 and 415. */
export function ApiJsonBodyProblems() {
  return applyDecorators(ApiProblem(413), ApiProblem(415));
}
