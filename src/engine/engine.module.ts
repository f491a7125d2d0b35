import { Module, type DynamicModule } from '@nestjs/common';
import { definitions as builtIn } from '../../workflows';
import type { AnyWorkflowDefinition } from '../../workflows/kit';
import { DefinitionRegistry, WORKFLOW_DEFINITIONS } from './definition-registry';
import { DefinitionsController } from './definitions.controller';
import { EngineService } from './engine.service';

@Module({})
export class EngineModule {
  /** The engine over the built-in definitions of workflows/index.ts, or the ones given. */
  static forRoot(
    definitions: Readonly<Record<string, AnyWorkflowDefinition>> = builtIn,
  ): DynamicModule {
    return {
      module: EngineModule,
      global: true,
      controllers: [DefinitionsController],
      providers: [
        { provide: WORKFLOW_DEFINITIONS, useValue: definitions },
        DefinitionRegistry,
        EngineService,
      ],
      exports: [DefinitionRegistry, EngineService],
    };
  }
}
