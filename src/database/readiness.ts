import { Injectable, SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { DatabaseNotReady } from '../common/errors';

/**
 * Whether the database has been reached and migrated. On PostgreSQL the service starts without it
 * (it may be down or still starting) and keeps trying; until then requests answer 503 and the
 * background work skips its turns. It stays ready once it was: a later outage shows as 503 on the
 * requests that meet it, and the pool reconnects by itself.
 */
@Injectable()
export class DatabaseReadiness {
  private isReady = false;
  private failure: Error | undefined;
  private readonly fatalListeners: ((error: Error) => void)[] = [];

  get ready(): boolean {
    return this.isReady;
  }

  markReady(): void {
    this.isReady = true;
  }

  /** The migrations failed in a way waiting will not mend (e.g. a failing migration, a bad password). */
  fail(error: Error): void {
    this.failure = error;
    for (const listener of this.fatalListeners.splice(0)) listener(error);
  }

  /** Called once when the database can never become ready; at once if that is already known. */
  onFatal(listener: (error: Error) => void): void {
    if (this.failure) listener(this.failure);
    else this.fatalListeners.push(listener);
  }
}

const WITHOUT_DATABASE = 'videreforing:without-database';

/** A route that answers without the database (e.g. /health), so also while it is not ready. */
export const WithoutDatabase = () => SetMetadata(WITHOUT_DATABASE, true);

/** Answers 503 (with Retry-After) for every other route until the database is ready. */
@Injectable()
export class ReadinessGuard implements CanActivate {
  constructor(
    private readonly readiness: DatabaseReadiness,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.readiness.ready) return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(WITHOUT_DATABASE, targets)) return true;
    throw new DatabaseNotReady();
  }
}
