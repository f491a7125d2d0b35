import { DatabaseNotReady, TransitionBlocked, VersionConflict } from './errors';
import { describeCause, isUnavailable, toProblem } from './to-problem';

describe('toProblem', () => {
  it('answers 503 with Retry-After when the database is unreachable, restarting or the pool is exhausted', () => {
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
    const startingUp = Object.assign(new Error('the database system is starting up'), {
      code: '57P03',
    });
    const unexpected = new Error('Connection terminated unexpectedly');
    // knex puts the statement in front of the driver's message.
    const atCommit = new Error(
      'COMMIT; - Client has encountered a connection error and is not queryable',
    );
    const notQueryable = new Error(
      'Client has encountered a connection error and is not queryable',
    );
    const connectTimeout = new Error('Connection terminated due to connection timeout', {
      cause: new Error('timeout expired'),
    });
    const linkFailure = Object.assign(new Error('connection failure'), { code: '08006' });
    const noHost = Object.assign(new Error('getaddrinfo ENOTFOUND db.internal'), {
      code: 'ENOTFOUND',
    });
    // What Node gives when every address of "localhost" refuses: no message of its own.
    const everyAddress = new AggregateError([refused, refused]);
    for (const error of [
      timeout,
      refused,
      shutdown,
      startingUp,
      unexpected,
      atCommit,
      notQueryable,
      connectTimeout,
      linkFailure,
      noHost,
      everyAddress,
    ]) {
      const outcome = toProblem(error);
      expect(outcome.problem).toMatchObject({
        status: 503,
        type: 'urn:videreforing:problem:service-unavailable',
        title: 'Service unavailable',
      });
      expect(outcome.problem.detail).toMatch(/^Databasen er midlertidig utilgjengelig/);
      expect(outcome.headers).toEqual({ 'retry-after': '5' });
      // Logged as a warning: the database being away is not a defect of the service.
      expect(outcome).toMatchObject({ internal: false, transient: true });
    }
    expect(describeCause(everyAddress)).toBe('connect ECONNREFUSED 127.0.0.1:5432');
    expect(describeCause(shutdown)).toBe(
      '57P01: terminating connection due to administrator command',
    );
  });

  it('answers 503 database-not-ready with Retry-After until the database is migrated', () => {
    const outcome = toProblem(new DatabaseNotReady());
    expect(outcome.problem).toMatchObject({
      status: 503,
      type: 'urn:videreforing:problem:database-not-ready',
      title: 'Database not ready',
    });
    expect(outcome.problem.detail).toContain('venter fortsatt på databasen');
    expect(outcome.headers).toEqual({ 'retry-after': '5' });
    expect(outcome.internal).toBe(false);
  });

  it('does not take other database errors for an outage', () => {
    const unique = Object.assign(new Error('duplicate key value'), { code: '23505' });
    const missing = Object.assign(new Error('relation "x" does not exist'), { code: '42P01' });
    const password = Object.assign(new Error('password authentication failed'), {
      code: '28P01',
    });
    // The phrase inside the statement (a user's text, say) is not the driver's message.
    const quoted = new Error(
      "insert into x values ('Connection terminated unexpectedly') - value too long for type character varying(10)",
    );
    const finished = new Error(
      'Transaction query already complete, run with DEBUG=knex:tx for more info',
    );
    for (const error of [
      unique,
      missing,
      password,
      quoted,
      finished,
      new Error('Connection'),
      null,
      'x',
    ]) {
      expect(isUnavailable(error)).toBe(false);
    }
    expect(toProblem(missing).problem.status).toBe(500);
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
