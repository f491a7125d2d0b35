import { Module } from '@nestjs/common';
import { RemindersModule } from '../reminders/reminders.module';
import { HealthController } from './health.controller';

@Module({ imports: [RemindersModule], controllers: [HealthController] })
export class HealthModule {}
