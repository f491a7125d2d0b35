import { Module } from '@nestjs/common';
import { DeadlinesController } from './deadlines.controller';
import { ProgrammesController } from './programmes.controller';
import { ProgrammesService } from './programmes.service';
import { WorkflowController } from './workflow.controller';

@Module({
  controllers: [ProgrammesController, WorkflowController, DeadlinesController],
  providers: [ProgrammesService],
  exports: [ProgrammesService],
})
export class ProgrammesModule {}
