import { MikroORM } from '@mikro-orm/core';
import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Settings } from '../../config/settings';
import { Public } from '../auth/decorators';
import { SETTINGS } from '../common/tokens';

export interface Health {
  status: 'ok' | 'unavailable';
  database: { dialect: string; up: boolean };
}

@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly orm: MikroORM,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  /** Liveness and readiness: 200 when the database answers, 503 when it does not. */
  @Get()
  async health(@Res({ passthrough: true }) reply: FastifyReply): Promise<Health> {
    const up = await this.databaseUp();
    if (!up) void reply.status(HttpStatus.SERVICE_UNAVAILABLE);
    return {
      status: up ? 'ok' : 'unavailable',
      database: { dialect: this.settings.database.dialect, up },
    };
  }

  private async databaseUp(): Promise<boolean> {
    try {
      await this.orm.em.getConnection().execute('select 1');
      return true;
    } catch {
      return false;
    }
  }
}
