import 'reflect-metadata';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * The baseline of the REST benchmark: NestJS on the same Fastify adapter with one JSON POST route
 * and nothing else (no database, guards, pipes, logging or helmet). bench/run.ts compiles it to
 * dist/bench/bare-app.js and runs it with plain node, like the service.
 */
@Controller()
class BareController {
  @Post('bench/echo')
  @HttpCode(200)
  echo(@Body() body: { type?: unknown } | undefined): Record<string, unknown> {
    return { ok: true, type: body?.type ?? null, at: new Date().toISOString() };
  }

  @Get('health')
  health(): Record<string, string> {
    return { status: 'ok' };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter(), {
    logger: ['error', 'warn'],
  });
  app.enableShutdownHooks([], { useProcessExit: true });
  await app.listen(Number(process.env.PORT ?? 3001), process.env.HOST ?? '127.0.0.1');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
