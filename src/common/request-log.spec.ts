import type { FastifyReply, FastifyRequest } from 'fastify';
import { OneLinePerRequest } from './request-log';

function logged() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const log = (level: string) => (fields: Record<string, unknown>, message: string) =>
    void lines.push({ level, fields, message });
  const logger = { info: log('info'), error: log('error') };
  const request = { log: logger, id: 'req-1' } as unknown as FastifyRequest;
  const reply = { log: logger, elapsedTime: 4.2 } as unknown as FastifyReply;
  return { lines, request, reply };
}

describe('the request log', () => {
  it('writes one line per request, with the request and the response', () => {
    const { lines, request, reply } = logged();
    const controller = new OneLinePerRequest();
    controller.incomingRequest();
    controller.requestCompleted(null, request, reply);
    expect(lines).toEqual([
      {
        level: 'info',
        fields: { req: request, res: reply, responseTime: 4.2 },
        message: 'request completed',
      },
    ]);
  });

  it('logs a request that errored at error level, with the error', () => {
    const { lines, request, reply } = logged();
    const error = new Error('socket hang up');
    new OneLinePerRequest().requestCompleted(error, request, reply);
    expect(lines).toEqual([
      {
        level: 'error',
        fields: { req: request, res: reply, responseTime: 4.2, err: error },
        message: 'request errored',
      },
    ]);
  });
});
