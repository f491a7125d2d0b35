import { HttpException, HttpStatus } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import {
  DomainError,
  EventNotPermitted,
  Forbidden,
  ScopeTooNarrow,
  IdempotencyKeyReused,
  IdempotencyRequestInProgress,
  InvalidEvent,
  InvalidRequest,
  NotYetCreated,
  TransitionBlocked,
  Unauthenticated,
  UnknownDefinition,
  UnknownDefinitionVersion,
  UnknownEventType,
  UnknownInstance,
  UnknownProgramme,
  UnknownToken,
  VersionConflict,
} from './errors';
import { problem, type Problem } from './problem';

type ErrorClass = abstract new (...args: never[]) => DomainError;

const DOMAIN_STATUS: [ErrorClass, number, string][] = [
  [InvalidRequest, 400, 'invalid-request'],
  [InvalidEvent, 400, 'invalid-event'],
  [UnknownEventType, 400, 'unknown-event-type'],
  [Unauthenticated, 401, 'unauthenticated'],
  [EventNotPermitted, 403, 'event-not-permitted'],
  [Forbidden, 403, 'forbidden'],
  [ScopeTooNarrow, 403, 'scope-too-narrow'],
  [UnknownProgramme, 404, 'unknown-programme'],
  [UnknownInstance, 404, 'unknown-instance'],
  [UnknownDefinition, 404, 'unknown-definition'],
  [UnknownToken, 404, 'unknown-token'],
  [NotYetCreated, 404, 'not-yet-created'],
  [TransitionBlocked, 409, 'transition-blocked'],
  [IdempotencyRequestInProgress, 409, 'idempotency-in-progress'],
  [VersionConflict, 412, 'version-conflict'],
  [IdempotencyKeyReused, 422, 'idempotency-key-reused'],
  [UnknownDefinitionVersion, 500, 'unknown-definition-version'],
];

/** Fastify's own errors (before a route runs), by code. */
const FASTIFY: Record<string, [number, string, string, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [
    413,
    'body-too-large',
    'Payload too large',
    'Forespørselen er for stor',
  ],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [
    415,
    'unsupported-media-type',
    'Unsupported media type',
    'Innholdet må være JSON (Content-Type: application/json)',
  ],
  FST_ERR_CTP_EMPTY_JSON_BODY: [
    400,
    'malformed-json',
    'Malformed JSON',
    'Forespørselen har Content-Type application/json, men ingen innhold',
  ],
  JSON_TOO_DEEP: [
    400,
    'json-too-deep',
    'JSON nested too deeply',
    'JSON-innholdet er nestet for dypt (høyst 32 nivåer)',
  ],
  JSON_FORBIDDEN_KEY: [
    400,
    'forbidden-json-key',
    'Forbidden JSON key',
    'JSON-innholdet inneholder en forbudt nøkkel (__proto__, constructor eller prototype)',
  ],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [
    400,
    'bad-request',
    'Bad request',
    'Content-Length stemmer ikke med innholdet',
  ],
};

const STATUS_TITLES: Record<number, [string, string]> = {
  400: ['Bad request', 'Ugyldig forespørsel'],
  401: ['Unauthorized', 'Ikke autentisert'],
  403: ['Forbidden', 'Ingen tilgang'],
  404: ['Not found', 'Finnes ikke'],
  405: ['Method not allowed', 'Metoden er ikke tillatt'],
  406: ['Not acceptable', 'Kan ikke levere i ønsket format'],
  413: ['Payload too large', 'Forespørselen er for stor'],
  415: ['Unsupported media type', 'Innholdet må være JSON'],
  429: ['Too many requests', 'For mange forespørsler; vent litt og prøv igjen'],
  503: ['Service unavailable', 'Tjenesten er midlertidig utilgjengelig'],
};

/** Maps anything thrown to a problem; `internal` is set for what is a defect (to be logged). */
export function toProblem(error: unknown): { problem: Problem; internal: boolean } {
  if (error instanceof DomainError) {
    const match = DOMAIN_STATUS.find(([cls]) => error instanceof cls);
    const [, status, slug] = match ?? [DomainError, 500, 'domain-error'];
    const extensions: Record<string, unknown> = {};
    if (error instanceof InvalidRequest || error instanceof InvalidEvent)
      extensions.errors = error.errors;
    if (error instanceof TransitionBlocked) {
      extensions.blockedBy = error.blockedBy.map(({ guard, message, messageEn }) => ({
        guard,
        message,
        messageEn,
      }));
      extensions.state = error.state;
      extensions.event = error.type;
    }
    if (error instanceof VersionConflict) extensions.currentVersion = error.actual;
    if (error instanceof EventNotPermitted) extensions.roles = error.roles;
    return {
      problem: problem(status, slug, error.title, error.detail, extensions),
      internal: status >= 500,
    };
  }
  if (error instanceof ThrottlerException) {
    return {
      problem: problem(429, 'too-many-requests', 'Too many requests', STATUS_TITLES[429]![1]),
      internal: false,
    };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const [title, detail] = STATUS_TITLES[status] ?? [error.message, error.message];
    return {
      problem: problem(status, slugOf(title), title, detail),
      internal: status >= 500,
    };
  }
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && FASTIFY[code]) {
    const [status, slug, title, detail] = FASTIFY[code];
    return { problem: problem(status, slug, title, detail), internal: false };
  }
  if (error instanceof SyntaxError || code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return {
      problem: problem(
        400,
        'malformed-json',
        'Malformed JSON',
        `Innholdet er ikke gyldig JSON: ${error instanceof Error ? error.message : ''}`.trim(),
      ),
      internal: false,
    };
  }
  if (isUnavailable(error)) {
    return {
      problem: problem(503, 'service-unavailable', 'Service unavailable', STATUS_TITLES[503]![1]),
      internal: true,
    };
  }
  const statusCode = (error as { statusCode?: unknown }).statusCode;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    const [title, detail] = STATUS_TITLES[statusCode] ?? ['Bad request', 'Ugyldig forespørsel'];
    return { problem: problem(statusCode, slugOf(title), title, detail), internal: false };
  }
  return {
    problem: problem(
      HttpStatus.INTERNAL_SERVER_ERROR,
      'internal',
      'Internal server error',
      'Det oppstod en intern feil. Feilen er logget.',
    ),
    internal: true,
  };
}

/**
 * The database cannot be reached or the pool is exhausted: the request was not applied and may be
 * retried, so it is a 503, not a defect.
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08006',
  '53300',
]);

function isUnavailable(error: unknown): boolean {
  const e = error as { name?: unknown; code?: unknown; constructor?: { name?: unknown } };
  if (e?.name === 'KnexTimeoutError' || e?.constructor?.name === 'ConnectionException') return true;
  return typeof e?.code === 'string' && UNAVAILABLE_CODES.has(e.code);
}

function slugOf(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
