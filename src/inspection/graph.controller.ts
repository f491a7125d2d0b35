import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal } from '../auth/decorators';
import type { Principal } from '../auth/principal';
import { UuidPipe } from '../common/pipes';
import { GraphQuery } from '../programmes/query.dto';
import { InspectionService, type RenderedGraph } from './inspection.service';

@Controller('api')
export class GraphController {
  constructor(private readonly inspection: InspectionService) {}

  /** The definition's state graph: `format=json` (default), `dot`, `mermaid` or `svg`. */
  @Get('definitions/:definitionId/graph')
  async definition(
    @Param('definitionId') definitionId: string,
    @Query() query: GraphQuery,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const rendered = await this.inspection.render(
      this.inspection.definitionGraph(definitionId),
      query.format ?? 'json',
    );
    return send(reply, rendered);
  }

  /** The programme's instance graph: current state and the path taken (who, when) highlighted. */
  @Get('programmes/:id/workflow/graph')
  async programme(
    @Param('id', UuidPipe) id: string,
    @Query() query: GraphQuery,
    @CurrentPrincipal() principal: Principal,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<unknown> {
    const graph = await this.inspection.programmeGraph(id, principal);
    return send(reply, await this.inspection.render(graph, query.format ?? 'json'));
  }
}

function send(reply: FastifyReply, rendered: RenderedGraph): unknown {
  void reply.header('content-type', rendered.contentType);
  return rendered.body;
}
