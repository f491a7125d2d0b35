import { ConsoleLogger, Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import type { Settings } from '../config/settings';
import { redact } from '../config/settings';
import { AppModule, type AppOptions } from './app.module';
import { installJsonParser } from './common/json-body';
import { OneLinePerRequest } from './common/request-log';
import { installSecurityHeaders } from './common/security-headers';
import { DatabaseReadiness } from './database/readiness';
import { setupOpenApi } from './docs/openapi';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
const PINO_LEVEL: Record<Settings['logLevel'], string> = {
  error: 'error',
  warn: 'warn',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
};

/** Builds the Fastify-based Nest application; shared by `main.ts` and the tests. */
export async function createApp(options: AppOptions): Promise<NestFastifyApplication> {
  const { settings } = options;
  const adapter = new FastifyAdapter({
    bodyLimit: settings.bodyLimitBytes,
    // Request logs as JSON lines, each with the request id (taken from X-Request-Id or made here).
    logger: settings.logFormat === 'json' ? { level: PINO_LEVEL[settings.logLevel] } : false,
    logController: new OneLinePerRequest(),
    genReqId: () => randomUUID(),
    requestIdHeader: 'x-request-id',
  });
  const fastify = adapter.getInstance();
  installJsonParser(fastify, settings.bodyLimitBytes);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    done();
  });

  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(options),
    adapter,
    {
      logger: new ConsoleLogger({
        json: settings.logFormat === 'json',
        logLevels: LEVELS.slice(0, LEVELS.indexOf(settings.logLevel) + 1),
      }),
      abortOnError: false,
      // Our own JSON parser (installJsonParser) stays in place.
      bodyParser: false,
    },
  );
  installSecurityHeaders(fastify, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        // The OpenAPI UI starts itself with an inline script.
        scriptSrc: ["'self'", "'unsafe-inline'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        // Plain-HTTP installations (localhost, an intranet) must keep loading their own assets.
        upgradeInsecureRequests: null,
      },
    },
  });
  if (settings.corsOrigins.length > 0) app.enableCors({ origin: settings.corsOrigins });
  setupOpenApi(app);
  // On SIGTERM/SIGINT: close the app (HTTP server, ORM), then exit 0 rather than re-raise the signal.
  app.enableShutdownHooks([], { useProcessExit: true });
  return app;
}

/**
 * Connections the kernel may hold for us while the event loop is busy. Under a burst (the overload
 * test sends twice what the service sustains) Node's default of 511 filled up, and clients timed
 * out connecting instead of waiting their turn; the kernel caps this at `net.core.somaxconn`.
 */
const LISTEN_BACKLOG = 4096;

export async function listen(app: NestFastifyApplication, settings: Settings): Promise<string> {
  await app.listen({ port: settings.port, host: settings.host, backlog: LISTEN_BACKLOG });
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host === '0.0.0.0' || settings.host === '::' ? 'localhost' : settings.host;
  const url = `http://${host}:${port}`;
  const store =
    settings.database.dialect === 'sqlite'
      ? `SQLite ${settings.database.file}`
      : `PostgreSQL ${redact(settings.database.url)}`;
  const logger = new Logger('Videreføring');
  logger.log(`Listening on ${url} (${store})`);
  if (!app.get(DatabaseReadiness).ready) {
    logger.warn(`The database is not ready yet: /health and the API answer 503 until it is`);
  }
  return url;
}
