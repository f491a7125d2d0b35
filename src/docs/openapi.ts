import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type ReferenceObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DefinitionRegistry } from '../engine/definition-registry';
import { PROGRAMME_DEFINITION } from '../programmes/programmes.service';
import { eventDocs } from './event-schemas';
import { eventExamples } from './examples';
import { BEARER } from './refs';
import { staticSchemas } from './schemas';
import { applySupplements, supplementSchemas, supplementTags } from './supplements';

/** Where the UI and the document are served; both public, both without a token. */
export const DOCS_PATH = '/docs';
export const DOCS_JSON_PATH = '/docs-json';

const DESCRIPTION = `
The REST API of the workflow engine for «Videreføring av omstillingsarbeidet»: a municipality’s
restructuring programme through initiering, forstudie, forprosjekt and hovedprosjekt to an
established development company, with deadlines, reminders and a hash-chained audit trail.

**Authentication.** \`Authorization: Bearer <token>\` on every route but \`/health\` and \`/docs\`.
A token has a role (\`admin\`, \`board\`, \`projectLeader\`, \`auditor\`; \`x-roles\` on each operation
says which may call it) and sees all programmes or only some; another programme is a 404.

**Errors** are \`application/problem+json\` (RFC 9457) with a Norwegian \`detail\`. A refused event is a
409 whose \`blockedBy\` names every rule that blocks it and why; an invalid body is a 400 whose
\`errors\` names every field. A 5xx is always a defect.

**Lists** answer \`{ "items": [...], "nextCursor": "…" | null }\`; pass \`nextCursor\` as \`cursor\`.

**Events** are sent as \`{ "type": "…", ...payload }\` (schema \`WorkflowEvent\`). Send
\`Idempotency-Key\` to make a retry safe and \`If-Match\` with the view’s \`ETag\` to refuse a stale
change (412).

Dates are \`YYYY-MM-DD\` in Europe/Oslo; amounts are whole NOK. Every response carries
\`X-Request-Id\`; rate limiting adds \`X-RateLimit-*\` headers and answers 429 with \`Retry-After\`.
`.trim();

const TAGS: [string, string][] = [
  ['programmes', 'Municipalities’ restructuring programmes'],
  ['workflow', 'The workflow of a programme: its view, events, history and verification'],
  ['deadlines', 'Open deadlines across programmes'],
  ['definitions', 'Workflow definitions'],
  ['tokens', 'API tokens (administrators)'],
  ...supplementTags,
  ['health', 'Liveness and readiness'],
  ['docs', 'This documentation'],
];

/** The OpenAPI 3.0 document of every route of the application. */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Videreføring av omstillingsarbeidet')
    .setDescription(DESCRIPTION)
    .setVersion(packageVersion())
    .setOpenAPIVersion('3.0.3')
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        description:
          'An API token (`npm run token`, `POST /api/tokens`, or ADMIN_TOKEN from the environment)',
      },
      BEARER,
    );
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    operationIdFactory: (controller, method) =>
      `${controller.replace(/Controller$/, '')}_${method}`,
  });

  const registered = app
    .get(DefinitionRegistry)
    .list()
    .find((r) => r.definition.id === PROGRAMME_DEFINITION);
  const events = registered ? eventDocs(registered.definition, eventExamples) : undefined;

  const schemas: Record<string, SchemaObject | ReferenceObject> = {
    ...(document.components?.schemas ?? {}),
  };
  for (const [name, schema] of Object.entries({
    ...staticSchemas,
    ...supplementSchemas,
    ...events?.schemas,
  })) {
    if (schemas[name]) throw new Error(`The OpenAPI schema ${name} is defined twice`);
    schemas[name] = schema;
  }
  document.components = { ...document.components, schemas };
  applySupplements(document);
  closeRequestBodies(document);
  addDocsPaths(document);
  return document;
}

/**
 * Serves the UI at /docs (its assets from swagger-ui-dist, nothing from other hosts) and the
 * document at /docs-json. Both are plain Fastify routes outside the controllers, so neither the
 * auth guard nor the rate limiter applies. The document is built on the first request.
 */
export function setupOpenApi(app: NestFastifyApplication): void {
  let document: OpenAPIObject | undefined;
  SwaggerModule.setup(DOCS_PATH.slice(1), app, () => (document ??= buildOpenApiDocument(app)), {
    jsonDocumentUrl: DOCS_JSON_PATH.slice(1),
    raw: ['json'],
    customSiteTitle: 'Videreføring – API',
    swaggerOptions: {
      // The UI would otherwise send the document to validator.swagger.io.
      validatorUrl: null,
      displayRequestDuration: true,
    },
  });
}

/** The validation pipe refuses unknown fields (forbidNonWhitelisted): every request body is closed. */
function closeRequestBodies(document: OpenAPIObject): void {
  const schemas = document.components?.schemas ?? {};
  const seen = new Set<string>();
  const close = (schema: SchemaObject | ReferenceObject | undefined): void => {
    if (!schema) return;
    if ('$ref' in schema) {
      const name = schema.$ref.replace('#/components/schemas/', '');
      if (seen.has(name)) return;
      seen.add(name);
      close(schemas[name]);
      return;
    }
    if (schema.type === 'object' && schema.properties && schema.additionalProperties === undefined)
      schema.additionalProperties = false;
    for (const property of Object.values(schema.properties ?? {})) close(property);
    close(schema.items);
    for (const part of [...(schema.allOf ?? []), ...(schema.oneOf ?? [])]) close(part);
  };
  for (const path of Object.values(document.paths)) {
    for (const operation of [path.post, path.patch, path.put]) {
      const body = operation?.requestBody;
      if (!body || '$ref' in body) continue;
      for (const media of Object.values(body.content)) close(media.schema);
    }
  }
}

/** /docs and /docs-json are served outside the controllers; listed here so that every route is. */
function addDocsPaths(document: OpenAPIObject): void {
  const common = { tags: ['docs'], security: [], 'x-roles': [] };
  document.paths[DOCS_PATH] = {
    get: {
      ...common,
      operationId: 'Docs_ui',
      summary: 'This documentation as an interactive page (Swagger UI, served locally)',
      responses: {
        '200': {
          description: 'The HTML page',
          content: { 'text/html': { schema: { type: 'string' } } },
        },
      },
    },
  };
  document.paths[DOCS_JSON_PATH] = {
    get: {
      ...common,
      operationId: 'Docs_json',
      summary: 'This OpenAPI document',
      responses: {
        '200': {
          description: 'The OpenAPI 3.0 document',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
    },
  };
}

/** The version of the package (this API), from the nearest package.json up from here. */
function packageVersion(): string {
  let dir = __dirname;
  for (let i = 0; i < 5; i += 1) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
      if (typeof version === 'string') return version;
    }
    dir = dirname(dir);
  }
  return '0.0.0';
}
