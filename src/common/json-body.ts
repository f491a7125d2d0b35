import type { FastifyInstance } from 'fastify';

/** Deeper JSON than any event or programme needs; deeper bodies are refused before parsing. */
export const MAX_JSON_DEPTH = 32;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

class JsonBodyError extends Error {
  readonly statusCode = 400;
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/**
 * Replaces Fastify's JSON parser: refuses bodies nested deeper than MAX_JSON_DEPTH (a cheap scan
 * before JSON.parse, so 10 000 levels cost nothing), and refuses any `__proto__`, `constructor` or
 * `prototype` key at any depth: class-transformer would skip such keys silently, so validation
 * could not name them as unknown fields.
 */
export function installJsonParser(fastify: FastifyInstance, bodyLimit: number): void {
  // Only JSON is accepted; anything else (text/plain included) is answered 415.
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    'application/json',
    { parseAs: 'string', bodyLimit },
    (_request, body: string, done) => {
      if (body.length === 0) {
        done(new JsonBodyError('Empty JSON body', 'FST_ERR_CTP_EMPTY_JSON_BODY'), undefined);
        return;
      }
      const depth = maxDepth(body);
      if (depth > MAX_JSON_DEPTH) {
        done(
          new JsonBodyError(
            `JSON nested ${depth} levels deep; at most ${MAX_JSON_DEPTH} are accepted`,
            'JSON_TOO_DEEP',
          ),
          undefined,
        );
        return;
      }
      let forbidden: string | undefined;
      let parsed: unknown;
      try {
        parsed = JSON.parse(body, (key: string, value: unknown) => {
          if (FORBIDDEN_KEYS.has(key)) forbidden ??= key;
          return value;
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        done(new JsonBodyError(message, 'FST_ERR_CTP_INVALID_JSON_BODY'), undefined);
        return;
      }
      if (forbidden !== undefined) {
        done(new JsonBodyError(`Forbidden key "${forbidden}"`, 'JSON_FORBIDDEN_KEY'), undefined);
        return;
      }
      done(null, parsed);
    },
  );
}

/** The deepest nesting of arrays/objects in a JSON text, ignoring brackets inside strings. */
export function maxDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i += 1;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) {
      inString = true;
    } else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth += 1;
      if (depth > max) max = depth;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      depth -= 1;
    }
  }
  return max;
}
