import type { AnyStateMachine, EventObject, SnapshotFrom } from 'xstate';
import type { Day } from './calendar';
import type { AnyGuardSpec } from './guards';
import type { Text } from './text';
import type { PayloadClass } from './validation';

/** Who sent an event: the engine fills this in from the authenticated token. */
export interface Actor {
  id: string;
  role: string;
}

/**
 * What the engine adds to every event it applies. Definitions read time only from here, so a
 * replay of the history reproduces every decision exactly.
 */
export interface EventMeta {
  /** The instant the engine accepted the event (ISO-8601 with offset). */
  at: string;
  actor: Actor;
}

export interface EventSpec {
  label: Text;
  /** Roles that may send the event. */
  roles: readonly string[];
}

export interface Deadline {
  /** What kind of deadline (stable, English): `forstudieEnd`, … */
  kind: string;
  /** Unique within an instance and stable while the deadline is the same obligation. */
  key: string;
  label: Text;
  /** Calendar day in Europe/Oslo. */
  due: Day;
  met: boolean;
  /** Not met and `due` lies before today (Europe/Oslo). */
  overdue: boolean;
  /** Who is to be told, as the definition names its recipient groups. */
  recipients: string[];
  source: string;
}

/** An e-mail a definition wants sent at once because of an accepted event. */
export interface Notice {
  /** Unique among the notices of one event. */
  key: string;
  /** Recipient groups, as the definition names them in deadlines. */
  recipients: string[];
  subject: string;
  lines: string[];
}

export interface Contact {
  name: string;
  email: string;
}

/** Changes a persisted snapshot made by an older version of a definition into the current shape. */
export interface DefinitionMigration {
  /** The definition version the migration starts from. */
  from: string;
  /** The version it leads to; the current version when left out. */
  to?: string;
  description: Text;
  migrate(persisted: unknown): unknown;
}

export interface WorkflowDefinition<TMachine extends AnyStateMachine = AnyStateMachine> {
  id: string;
  title: Text;
  machine: TMachine;
  roles: readonly string[];
  /** Every event the definition accepts, with who may send it. */
  events: Readonly<Record<string, EventSpec>>;
  /** The class-validator class of each event's payload; the engine validates before any guard. */
  payloads: Readonly<Record<string, PayloadClass>>;
  /** Every guard the machine uses, by the name the machine uses. */
  guards: Readonly<Record<string, AnyGuardSpec>>;
  /** Labels for state paths (`forstudie.arbeid`), for graphs and pages. */
  stateLabels: Readonly<Record<string, Text>>;
  /**
   * The deadlines that follow from a snapshot, judged at `now` (ISO instant). `settings` overrides
   * the defaults the definition declares in `settings`.
   */
  deadlines(
    snapshot: SnapshotFrom<TMachine>,
    now: string,
    settings?: Readonly<Record<string, number>>,
  ): Deadline[];
  /** What is still missing for a deadline to be met, as sentences for a reminder (Norwegian). */
  missingFor?(snapshot: SnapshotFrom<TMachine>, deadline: Deadline, now: string): string[];
  /** E-mails an accepted event calls for at once, judged from the snapshots before and after. */
  notices?(
    before: SnapshotFrom<TMachine>,
    after: SnapshotFrom<TMachine>,
    event: EventObject,
  ): Notice[];
  /** The people of a recipient group that the snapshot itself knows (e.g. the project leader). */
  contacts?(snapshot: SnapshotFrom<TMachine>, group: string): Contact[];
  /** Numeric knobs an installation may change (e.g. days for the board's decision). */
  settings: Readonly<Record<string, { default: number; label: Text }>>;
  /** The rule data the machine is built from; part of the definition's content version. */
  data: unknown;
  migrations?: readonly DefinitionMigration[];
  /**
   * Raise to give the definition a new version when only guard or action code changed (the version
   * is derived from structure and data, which such a change leaves alone).
   */
  revision?: number;
}

export type AnyWorkflowDefinition = WorkflowDefinition<AnyStateMachine>;
