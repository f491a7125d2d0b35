import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import type { Settings } from '../config/settings';
import type { AnyWorkflowDefinition } from '../workflows/kit';
import { AuthModule } from './auth/auth.module';
import { Clock, SystemClock } from './common/clock';
import { ProblemFilter } from './common/problem.filter';
import { RateWindows } from './common/rate-windows';
import { SETTINGS } from './common/tokens';
import { validationPipe } from './common/validation';
import { DatabaseModule } from './database/database.module';
import { ReadinessGuard } from './database/readiness';
import { EngineModule } from './engine/engine.module';
import { HealthModule } from './health/health.module';
import { ProgrammesModule } from './programmes/programmes.module';
import { RemindersModule } from './reminders/reminders.module';
import { InspectionModule } from './inspection/inspection.module';

export interface AppOptions {
  settings: Settings;
  /** Replaces the system clock (tests move time with a ManualClock). */
  clock?: Clock;
  /** Replaces the built-in workflow definitions (tests of definition versions). */
  definitions?: Readonly<Record<string, AnyWorkflowDefinition>>;
}

/** Settings and the clock, available everywhere. */
@Global()
@Module({})
class CoreModule {
  static forRoot(options: AppOptions): DynamicModule {
    const providers: Provider[] = [
      { provide: SETTINGS, useValue: options.settings },
      { provide: Clock, useValue: options.clock ?? new SystemClock() },
    ];
    return { module: CoreModule, providers, exports: providers };
  }
}

@Module({})
export class AppModule {
  static forRoot(options: AppOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        CoreModule.forRoot(options),
        ThrottlerModule.forRoot({
          throttlers: [{ ttl: 60_000, limit: options.settings.rateLimitPerMinute }],
          storage: new RateWindows(),
        }),
        DatabaseModule.forRoot(options.settings),
        EngineModule.forRoot(options.definitions),
        AuthModule,
        ProgrammesModule,
        RemindersModule,
        InspectionModule,
        HealthModule,
      ],
      providers: [
        // Order matters: no request reaches the database before it is ready (authentication reads
        // tokens from it), and rate limiting comes before authentication.
        { provide: APP_GUARD, useClass: ReadinessGuard },
        { provide: APP_GUARD, useClass: ThrottlerGuard },
        { provide: APP_FILTER, useClass: ProblemFilter },
        { provide: APP_PIPE, useFactory: validationPipe },
      ],
    };
  }
}
