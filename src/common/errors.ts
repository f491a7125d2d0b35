import type { Blocker, FieldProblem } from '../../workflows/kit';

/**
 * Errors of the domain, thrown by services and mapped to problem+json by one filter. `detail` is
 * Norwegian (user-facing), `title` English. Nothing here knows about HTTP.
 */
export abstract class DomainError extends Error {
  abstract readonly title: string;
  constructor(readonly detail: string) {
    super(detail);
    this.name = new.target.name;
  }
}

export class UnknownDefinition extends DomainError {
  readonly title = 'Unknown workflow definition';
  constructor(readonly definitionId: string) {
    super(`Arbeidsflyten «${definitionId}» finnes ikke`);
  }
}

export class UnknownInstance extends DomainError {
  readonly title = 'Unknown workflow instance';
  constructor(readonly instanceId: string) {
    super(`Arbeidsflyten ${instanceId} finnes ikke`);
  }
}

export class UnknownDefinitionVersion extends DomainError {
  readonly title = 'Unknown definition version';
  constructor(
    readonly definitionId: string,
    readonly version: string,
    readonly current: string,
  ) {
    super(
      `Arbeidsflyten ble lagret med versjon ${version} av «${definitionId}», som ikke lenger finnes ` +
        `(gjeldende versjon er ${current}), og ingen migrering er oppgitt. Tilstanden lastes ikke for å unngå feil.`,
    );
  }
}

export class UnknownEventType extends DomainError {
  readonly title = 'Unknown event type';
  constructor(
    readonly type: string,
    readonly known: string[],
  ) {
    super(`Hendelsestypen «${type}» finnes ikke; gyldige typer er ${known.join(', ')}`);
  }
}

export class EventNotPermitted extends DomainError {
  readonly title = 'Role may not send this event';
  constructor(
    readonly type: string,
    readonly role: string,
    readonly roles: readonly string[],
  ) {
    super(`Rollen «${role}» kan ikke sende «${type}»; det kan ${roles.join(', ')}`);
  }
}

/** A request body or query that does not validate; each field's problem is listed. */
export class InvalidRequest extends DomainError {
  readonly title = 'Invalid request';
  constructor(
    readonly errors: FieldProblem[],
    detail = `Forespørselen er ugyldig: ${errors.map((e) => `${e.field || '(body)'}: ${e.message}`).join('; ')}`,
  ) {
    super(detail);
  }
}

export class InvalidEvent extends DomainError {
  readonly title = 'Invalid event payload';
  constructor(
    readonly type: string,
    readonly errors: FieldProblem[],
  ) {
    super(
      `Hendelsen «${type}» er ugyldig: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`,
    );
  }
}

export class TransitionBlocked extends DomainError {
  readonly title = 'Event not possible now';
  constructor(
    readonly type: string,
    readonly state: string,
    readonly blockedBy: Blocker[],
  ) {
    super(blockedBy.map((b) => b.message).join('; '));
  }
}

export class VersionConflict extends DomainError {
  readonly title = 'Version mismatch';
  constructor(
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      `Arbeidsflyten er endret siden versjon ${expected}; gjeldende versjon er ${actual}. Hent den på nytt og prøv igjen.`,
    );
  }
}

export class IdempotencyKeyReused extends DomainError {
  readonly title = 'Idempotency-Key reused with a different request';
  constructor(readonly key: string) {
    super(`Idempotency-Key «${key}» er allerede brukt for en annen forespørsel`);
  }
}

export class IdempotencyRequestInProgress extends DomainError {
  readonly title = 'A request with this Idempotency-Key is still running';
  constructor(readonly key: string) {
    super(`En forespørsel med Idempotency-Key «${key}» pågår fortsatt; prøv igjen om litt`);
  }
}

export class NotYetCreated extends DomainError {
  readonly title = 'Did not exist at that time';
  constructor(
    readonly instanceId: string,
    readonly time: string,
  ) {
    super(`Arbeidsflyten fantes ikke ennå ${time}`);
  }
}

export class UnknownProgramme extends DomainError {
  readonly title = 'Unknown programme';
  constructor(readonly programmeId: string) {
    super(`Programmet ${programmeId} finnes ikke`);
  }
}

export class Unauthenticated extends DomainError {
  readonly title = 'Authentication required';
  constructor(detail = 'Oppgi en gyldig nøkkel i Authorization: Bearer <nøkkel>') {
    super(detail);
  }
}

export class Forbidden extends DomainError {
  readonly title = 'Role not allowed';
  constructor(
    readonly role: string,
    readonly allowed: readonly string[],
  ) {
    super(`Rollen «${role}» har ikke tilgang hit; det har ${allowed.join(', ')}`);
  }
}

export class UnknownToken extends DomainError {
  readonly title = 'Unknown token';
  constructor(readonly tokenId: string) {
    super(`Nøkkelen ${tokenId} finnes ikke eller er allerede trukket tilbake`);
  }
}

/** A token bound to some programmes asked for something only an all-programmes token may do. */
export class ScopeTooNarrow extends DomainError {
  readonly title = 'Token scope too narrow';
  constructor(what: string) {
    super(`${what} krever en nøkkel med tilgang til alle programmer`);
  }
}

/** The service has started but has not yet reached and migrated its database. */
export class DatabaseNotReady extends DomainError {
  readonly title = 'Database not ready';
  constructor() {
    super(
      'Tjenesten har startet, men venter fortsatt på databasen. Prøv igjen om litt (se Retry-After).',
    );
  }
}
