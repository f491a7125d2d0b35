import { Module } from '@nestjs/common';
import { ProgrammesModule } from '../programmes/programmes.module';
import { GraphController } from './graph.controller';
import { InspectionService } from './inspection.service';

@Module({
  imports: [ProgrammesModule],
  controllers: [GraphController],
  providers: [InspectionService],
  exports: [InspectionService],
})
export class InspectionModule {}
