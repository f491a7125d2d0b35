import { Module } from '@nestjs/common';
import { ProgrammesModule } from '../programmes/programmes.module';
import { GraphController } from './graph.controller';
import { InspectPagesController, InspectSessionController } from './inspect.controller';
import { InspectPages } from './inspect-pages.service';
import { InspectionService } from './inspection.service';
import { LiveInspection } from './live-inspection';
import { InspectSessionModule } from './session';

@Module({
  imports: [ProgrammesModule, InspectSessionModule],
  controllers: [GraphController, InspectPagesController, InspectSessionController],
  providers: [InspectionService, InspectPages, LiveInspection],
  exports: [InspectionService],
})
export class InspectionModule {}
