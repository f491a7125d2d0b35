import { HttpException, HttpStatus } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import {
  DatabaseNotReady,
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

/** Seconds a client is asked to wait (`Retry-After`) when the database is down or not ready. */
export const RETRY_AFTER_SECONDS = 5;

/**
 * What to make of an error: the problem to answer with; `internal` when it is a defect (logged as
 * an error); `transient` when the database went away for now (logged as a warning: not a defect,
 * but an operator wants to see it); `headers` to add to the response.
 */
export interface ProblemOutcome {
  problem: Problem;
  internal: boolean;
  transient?: boolean;
  headers?: Record<string, string>;
}

const RETRY_LATER = { 'retry-after': String(RETRY_AFTER_SECONDS) };

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
export function toProblem(error: unknown): ProblemOutcome {
  if (error instanceof DatabaseNotReady) {
    return {
      problem: problem(503, 'database-not-ready', error.title, error.detail),
      internal: false,
      headers: RETRY_LATER,
    };
  }
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
      problem: problem(503, 'service-unavailable', 'Service unavailable', UNAVAILABLE_DETAIL),
      internal: false,
      transient: true,
      headers: RETRY_LATER,
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

const UNAVAILABLE_DETAIL =
  'Databasen er midlertidig utilgjengelig, og forespørselen ble ikke utført. Prøv igjen om litt (se Retry-After).';

/**
 * The database cannot be reached, is restarting, or the pool is exhausted: the request was not
 * applied (or, if its commit got through, a retry with the same Idempotency-Key gets the stored
 * answer), so it is a 503 to retry, not a defect.
 */
const UNAVAILABLE_CODES = new Set([
  // the socket: refused, reset, timed out, or no route or name (yet) for the host
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  // PostgreSQL: admin/crash shutdown, cannot connect now (starting up, shutting down, recovery)
  '57P01',
  '57P02',
  '57P03',
  // too many connections
  '53300',
]);

/**
 * node-postgres and knex errors that carry no code but mean the connection went away. knex puts the
 * SQL in front (`<sql> - <message>`), so only the end is compared: the SQL may hold any text.
 */
const UNAVAILABLE_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Connection terminated due to connection timeout',
  'timeout expired', // connectionTimeoutMillis
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Connection ended unexpectedly', // knex, for a pooled connection the server closed
];

function unavailableMessage(message: string): boolean {
  return UNAVAILABLE_MESSAGES.some((m) => message === m || message.endsWith(` - ${m}`));
}

/** True when `error` (or its cause) says the database is unreachable or restarting, not a defect. */
export function isUnavailable(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false;
  const e = error as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown };
  if (e.name === 'KnexTimeoutError' || error.constructor?.name === 'ConnectionException') {
    return true;
  }
  if (typeof e.code === 'string' && (UNAVAILABLE_CODES.has(e.code) || /^08/.test(e.code))) {
    return true; // class 08: connection exception
  }
  if (typeof e.message === 'string' && unavailableMessage(e.message)) {
    return true;
  }
  // Node gives an AggregateError when every address of a host refused (e.g. ::1 and 127.0.0.1).
  if (
    error instanceof AggregateError &&
    error.errors.some((inner) => isUnavailable(inner, depth + 1))
  ) {
    return true;
  }
  return isUnavailable(e.cause, depth + 1);
}

/** One line on why a database call failed, for logs: code and message (an AggregateError's first). */
export function describeCause(error: unknown): string {
  const inner: unknown =
    error instanceof AggregateError && error.errors.length > 0
      ? (error.errors[0] as unknown)
      : error;
  const { code, message } = (inner ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' && message ? message : String(inner);
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}

function slugOf(title: string): string {
  return title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}
