import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { describeCause, toProblem } from './to-problem';

/** The one place errors become responses: RFC 9457 problem+json, never a stack trace. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Problem');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    sendProblem(reply, request, error, this.logger);
  }
}

export function sendProblem(
  reply: FastifyReply,
  request: FastifyRequest,
  error: unknown,
  logger: Pick<Logger, 'error' | 'warn'>,
): void {
  const { problem, internal, transient, headers } = toProblem(error);
  if (internal) {
    logger.error(
      `${request.method} ${request.url} [${request.id}] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  } else if (transient) {
    // Not a defect (the database is away for now), but an operator wants to see it.
    logger.warn(
      `${request.method} ${request.url} [${request.id}] database unavailable: ${describeCause(error)}`,
    );
  }
  if (reply.sent) return;
  if (headers) void reply.headers(headers);
  void reply
    .status(problem.status)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send({ ...problem, instance: request.url.split('?')[0] });
}
