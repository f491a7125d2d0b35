import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * One JSON line per request, with the request and the response, instead of Fastify's two (incoming,
 * completed): each line is a synchronous write to stdout, a system call per line under load.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {
    // Logged with the response, in requestCompleted.
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return;
    const line = { req: request, res: reply, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, 'request completed');
  }
}
