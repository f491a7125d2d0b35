import { MikroORM } from '@mikro-orm/core';
import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Settings } from '../../config/settings';
import { Public } from '../auth/decorators';
import { SETTINGS } from '../common/tokens';
import { DatabaseReadiness, WithoutDatabase } from '../database/readiness';
import { MailTransport } from '../reminders/mail-transport';
import { ApiPublic } from '../docs/decorators';
import { schemaRef } from '../docs/refs';

export interface Health {
  status: 'ok' | 'unavailable';
  database: { dialect: string; up: boolean };
  mail: { transport: 'smtp' | 'eml'; target: string };
}

@ApiTags('health')
@Public()
@WithoutDatabase()
@Controller('health')
export class HealthController {
  constructor(
    private readonly orm: MikroORM,
    private readonly mail: MailTransport,
    private readonly readiness: DatabaseReadiness,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  /**
   * Liveness and readiness: 200 when the database answers and is migrated, 503 when it does not or
   * is not yet (the process is alive either way: it answers).
   */
  @Get()
  @ApiOperation({
    summary: 'Liveness and readiness',
    description:
      'No token needed. 200 when the database answers and is migrated; 503 while it does not ' +
      '(also just after start, while the service is still waiting for PostgreSQL).',
  })
  @ApiResponse({ status: 200, description: 'Up', schema: schemaRef('Health') })
  @ApiResponse({
    status: 503,
    description: 'The database does not answer',
    schema: schemaRef('Health'),
  })
  @ApiPublic()
  async health(@Res({ passthrough: true }) reply: FastifyReply): Promise<Health> {
    const up = await this.databaseUp();
    if (!up) void reply.status(HttpStatus.SERVICE_UNAVAILABLE);
    return {
      status: up ? 'ok' : 'unavailable',
      database: { dialect: this.settings.database.dialect, up },
      mail: { transport: this.mail.describe().kind, target: this.mail.describe().target },
    };
  }

  private async databaseUp(): Promise<boolean> {
    if (!this.readiness.ready) return false;
    try {
      await this.orm.em.getConnection().execute('select 1');
      return true;
    } catch {
      return false;
    }
  }
}
