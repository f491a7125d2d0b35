import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Settings } from '../config/settings';
import { redact } from '../config/settings';
import { AppModule, type AppOptions } from './app.module';

const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];

/** Builds the Fastify-based Nest application; shared by `main.ts` and the tests. */
export async function createApp(options: AppOptions): Promise<NestFastifyApplication> {
  const { settings } = options;
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(options),
    new FastifyAdapter({ bodyLimit: 1_048_576 }),
    { logger: LEVELS.slice(0, LEVELS.indexOf(settings.logLevel) + 1), abortOnError: false },
  );
  app.enableShutdownHooks();
  return app;
}

export async function listen(app: NestFastifyApplication, settings: Settings): Promise<string> {
  await app.listen(settings.port, settings.host);
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  const host = settings.host === '0.0.0.0' || settings.host === '::' ? 'localhost' : settings.host;
  const url = `http://${host}:${port}`;
  const store =
    settings.database.dialect === 'sqlite'
      ? `SQLite ${settings.database.file}`
      : `PostgreSQL ${redact(settings.database.url)}`;
  new Logger('Videreføring').log(`Listening on ${url} (${store})`);
  return url;
}
