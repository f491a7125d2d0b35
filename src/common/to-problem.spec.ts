import { TransitionBlocked, VersionConflict } from './errors';
import { toProblem } from './to-problem';

describe('toProblem', () => {
  it('answers 503 when the database is unreachable or the pool is exhausted', () => {
    const timeout = Object.assign(new Error('Knex: Timeout acquiring a connection'), {
      name: 'KnexTimeoutError',
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
      code: 'ECONNREFUSED',
    });
    const shutdown = Object.assign(
      new Error('terminating connection due to administrator command'),
      { code: '57P01' },
    );
    for (const error of [timeout, refused, shutdown]) {
      const { problem, internal } = toProblem(error);
      expect(problem).toMatchObject({
        status: 503,
        type: 'urn:videreforing:problem:service-unavailable',
      });
      expect(internal).toBe(true);
    }
  });

  it('keeps domain errors at their status and anything unknown at 500 without details', () => {
    expect(toProblem(new TransitionBlocked('x', 'y', [])).problem.status).toBe(409);
    expect(toProblem(new VersionConflict(1, 2)).problem).toMatchObject({
      status: 412,
      currentVersion: 2,
    });
    const { problem, internal } = toProblem(new Error('secret stack detail'));
    expect(problem).toMatchObject({ status: 500, type: 'urn:videreforing:problem:internal' });
    expect(JSON.stringify(problem)).not.toContain('secret stack detail');
    expect(internal).toBe(true);
  });
});
