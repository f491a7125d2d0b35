import { Global, Module, type DynamicModule, type Provider } from '@nestjs/common';
import type { Settings } from '../config/settings';
import type { AnyWorkflowDefinition } from '../workflows/kit';
import { Clock, SystemClock } from './common/clock';
import { SETTINGS } from './common/tokens';
import { DatabaseModule } from './database/database.module';
import { EngineModule } from './engine/engine.module';
import { HealthModule } from './health/health.module';

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
        DatabaseModule.forRoot(options.settings),
        EngineModule.forRoot(options.definitions),
        HealthModule,
      ],
    };
  }
}
