import { Module } from '@nestjs/common';
import { definitions } from '../../workflows';
import { DefinitionRegistry, WORKFLOW_DEFINITIONS } from './definition-registry';
import { EngineService } from './engine.service';

@Module({
  providers: [
    { provide: WORKFLOW_DEFINITIONS, useValue: definitions },
    DefinitionRegistry,
    EngineService,
  ],
  exports: [DefinitionRegistry, EngineService],
})
export class EngineModule {}
