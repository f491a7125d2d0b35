import type { FastifyInstance } from 'fastify';
import sjson from 'secure-json-parse';

/** Deeper JSON than any event or programme needs; deeper bodies are refused before parsing. */
export const MAX_JSON_DEPTH = 32;

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
 * before JSON.parse, so 10 000 levels cost nothing), and refuses `__proto__`/`constructor.prototype`
 * keys instead of letting them reach an object.
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
      try {
        done(
          null,
          sjson.parse(body, undefined, { protoAction: 'error', constructorAction: 'error' }),
        );
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const poisoned = /prototype|__proto__|constructor/i.test(message);
        done(
          new JsonBodyError(
            message,
            poisoned ? 'JSON_FORBIDDEN_KEY' : 'FST_ERR_CTP_INVALID_JSON_BODY',
          ),
          undefined,
        );
      }
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
