import {
  LockMode,
  MikroORM,
  OptimisticLockError,
  UniqueConstraintViolationException,
  type EntityManager,
} from '@mikro-orm/core';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { hash, randomUUID } from 'node:crypto';
import { initialTransition, type AnyMachineSnapshot, type EventObject } from 'xstate';
import {
  canonicalJson,
  explainEvent,
  nextSnapshot,
  pathOf,
  type Actor,
  type Blocker,
  type Deadline,
  type EventMeta,
  validatePayload,
} from '../../workflows/kit';
import type { Settings } from '../../config/settings';
import { Clock } from '../common/clock';
import {
  EventNotPermitted,
  IdempotencyKeyReused,
  InvalidEvent,
  NotYetCreated,
  TransitionBlocked,
  UnknownDefinitionVersion,
  UnknownEventType,
  UnknownInstance,
  VersionConflict,
} from '../common/errors';
import { SETTINGS } from '../common/tokens';
import { inTransaction, type Sql } from '../database/sql';
import { entryHash, GENESIS_HASH, verifyChain, type Verification } from '../history/hash-chain';
import { HistoryEntry, type HistoryKind } from '../history/history-entry.entity';
import { DefinitionRegistry, type RegisteredDefinition } from './definition-registry';
import { IdempotencyRecord } from './idempotency-record.entity';
import { InstanceStore, type InstanceHead, type RememberedRequest } from './instance-store';
import { WrittenStates, type Written } from './written-states';
import { buildView, viewJson, type InstanceView } from './view';
import { WorkflowInstance } from './workflow-instance.entity';

export interface EventInput {
  type: string;
  [field: string]: unknown;
}

export interface SendOptions {
  /** The version the sender last saw; a different current version is a conflict. */
  expectedVersion?: number;
  /** Makes a retried send apply once; scoped to the actor. */
  idempotencyKey?: string;
  /** What else identifies the request (e.g. its route); a reused key must come with the same. */
  requestScope?: string;
  /** Work that must commit or fail together with the accepted event. */
  within?: (tx: Sql, view: InstanceView) => Promise<unknown>;
}

export interface CreateOptions {
  idempotencyKey?: string;
  requestScope?: string;
  /** Work that must commit or fail together with the new instance (e.g. the programme row). */
  within?: (tx: Sql, instance: { id: string; view: InstanceView }) => Promise<unknown>;
}

export interface HistoryPage {
  items: HistoryEntryView[];
  nextCursor: string | null;
}

export interface HistoryEntryView {
  seq: number;
  kind: HistoryKind;
  at: string;
  actor: Actor;
  event: { type: string; payload: Record<string, unknown> };
  from: string | null;
  to: string;
  definitionVersion: string;
  hash: string;
  prevHash: string;
}

/**
 * An event the engine just applied, inside its transaction: hooks add work that must commit with it.
 * `before` and `after` are shared with the engine's kept state and the response: read them, never
 * change them.
 */
export interface AcceptedEvent {
  /** The event's transaction. */
  tx: Sql;
  instanceId: string;
  definitionId: string;
  before: AnyMachineSnapshot;
  after: AnyMachineSnapshot;
  event: EventObject & { meta: EventMeta };
  seq: number;
  at: string;
}

export type AcceptedEventHook = (accepted: AcceptedEvent) => Promise<void>;

type StoredOutcome =
  | { kind: 'result'; result: unknown }
  | { kind: 'blocked'; type: string; state: string; blockedBy: Blocker[] };

interface IdempotentRequest {
  key: string;
  /** sha256 of the request in canonical JSON: a reused key must come with the same request. */
  hash: string;
}

/** Storage failures that mean "someone else got there first": the whole attempt is retried. */
class ConcurrentUpdate extends Error {}

const MAX_ATTEMPTS = 12;

/** Instances whose latest written state is kept in memory (a few KB each). */
const STATES_KEPT = 1_000;

/** How often the history stores a whole snapshot; `at(time)` replays at most this many events. */
export const CHECKPOINT_EVERY = 25;

/**
 * A snapshot as stored: its JSON text, parsed only where the value itself is hashed (checkpoints),
 * so what is hashed is exactly what a later read gives back.
 */
class Persisted {
  private parsed: Record<string, unknown> | undefined;
  constructor(readonly json: string) {}
  get value(): Record<string, unknown> {
    return (this.parsed ??= JSON.parse(this.json) as Record<string, unknown>);
  }
}

function isCheckpoint(kind: HistoryKind, seq: number): boolean {
  return kind !== 'event' || seq % CHECKPOINT_EVERY === 0;
}

/**
 * Runs workflow instances: load → pure transition → persist in one transaction (snapshot, history
 * entry, deadlines, idempotency record). Knows nothing of any definition's states or events.
 */
@Injectable()
export class EngineService {
  private readonly logger = new Logger(EngineService.name);
  private readonly locking: boolean;
  private readonly hooks: AcceptedEventHook[] = [];
  private readonly written = new WrittenStates(STATES_KEPT);

  constructor(
    private readonly orm: MikroORM,
    private readonly registry: DefinitionRegistry,
    private readonly clock: Clock,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {
    // SQLite has one writer and one pooled connection: transactions are already serialised.
    this.locking = settings.database.dialect === 'postgresql';
  }

  /** Work to do in the transaction of every accepted event (e.g. queue a notice e-mail). */
  onAccepted(hook: AcceptedEventHook): void {
    this.hooks.push(hook);
  }

  async create(
    definitionId: string,
    input: unknown,
    actor: Actor,
    options: CreateOptions = {},
  ): Promise<InstanceView> {
    const registered = this.registry.get(definitionId);
    const request = this.idempotent(options.idempotencyKey, {
      op: 'create',
      definitionId,
      input,
      scope: options.requestScope,
    });
    let written: { id: string; state: Written } | undefined;
    const outcome = await this.withRetry(() =>
      inTransaction(this.orm, async (tx) => {
        written = undefined;
        const store = InstanceStore.on(tx);
        const remembered = request && (await store.remembered(actor.id, request.key));
        const replay = this.replayOf(request, remembered);
        if (replay) return replay;
        const at = this.clock.now().toISOString();
        const [snapshot] = initialTransition(registered.definition.machine, input);
        const persisted = this.persist(registered, snapshot);
        const id = randomUUID();
        const entry = this.entry({
          instanceId: id,
          seq: 1,
          kind: 'created',
          at,
          actor,
          eventType: 'workflow.created',
          payload: toRecord(input),
          fromState: null,
          snapshot,
          persisted,
          definitionVersion: registered.version,
          prevHash: GENESIS_HASH,
        });
        await store.insertInstance({
          id,
          definitionId,
          definitionVersion: registered.version,
          snapshot: persisted.json,
          state: pathOf(snapshot),
          status: snapshot.status,
          version: 1,
          lastSeq: 1,
          headHash: entry.hash,
          createdAt: at,
          updatedAt: at,
        });
        await store.appendEntry(entry);
        const deadlines = this.deadlines(registered, snapshot, at);
        // A new instance has none stored yet.
        await store.replaceDeadlines(id, deadlines, []);
        const view = this.view_(registered, id, snapshot, 1, at, at, deadlines);
        await options.within?.(tx, { id, view });
        const result: StoredOutcome = { kind: 'result', result: view };
        await this.remember(store, actor, request, result, at);
        const state = { version: 1, definitionVersion: registered.version, snapshot, deadlines };
        written = { id, state };
        return result;
      }),
    );
    if (written) this.written.set(written.id, written.state);
    return this.unwrap(outcome) as InstanceView;
  }

  async send(
    instanceId: string,
    event: EventInput,
    actor: Actor,
    options: SendOptions = {},
  ): Promise<InstanceView> {
    const { type, ...payload } = event;
    if ('meta' in payload) {
      throw new InvalidEvent(type, [
        {
          field: 'meta',
          message: 'er reservert for tjenesten og kan ikke sendes',
          messageEn: 'is reserved for the service and cannot be sent',
        },
      ]);
    }
    const request = this.idempotent(options.idempotencyKey, {
      op: 'send',
      instanceId,
      event,
      scope: options.requestScope,
    });
    let written: Written | undefined;
    const outcome = await this.withRetry(() =>
      inTransaction(this.orm, async (tx) => {
        written = undefined;
        const store = InstanceStore.on(tx);
        // The idempotency record is read with the instance: one statement less per send. A retry
        // that waited on PostgreSQL's row lock may miss the record its predecessor just wrote (the
        // join is not re-read): before a version conflict it is looked up again, and otherwise its
        // own insert of the record fails on the key and the retried attempt finds it.
        const loaded = await store.loadHead(
          instanceId,
          this.locking,
          request && { actorId: actor.id, key: request.key },
        );
        if (!loaded) throw new UnknownInstance(instanceId);
        const { head: instance, remembered } = loaded;
        const registered = this.registry.get(instance.definitionId);
        this.checkEvent(registered, type, payload, actor);

        const replay = this.replayOf(request, remembered);
        if (replay) return replay;
        if (options.expectedVersion !== undefined && options.expectedVersion !== instance.version) {
          const first = request && (await store.remembered(actor.id, request.key));
          const replayed = this.replayOf(request, first);
          if (replayed) return replayed;
          throw new VersionConflict(options.expectedVersion, instance.version);
        }

        const at = this.clock.now().toISOString();
        const kept = this.written.get(instance.id, instance.version, instance.definitionVersion);
        let { snapshot, seq, headHash } = await this.upgradeForWrite(
          store,
          instance,
          registered,
          actor,
          at,
          kept,
        );
        const meta: EventMeta = { at, actor };
        const machineEvent = { ...payload, type, meta };
        const explanation = explainEvent(registered.definition, snapshot, machineEvent, {
          payloadKnown: true,
        });
        if (!explanation.allowed) {
          const blocked: StoredOutcome = {
            kind: 'blocked',
            type,
            state: pathOf(snapshot),
            blockedBy: explanation.blockedBy,
          };
          await this.remember(store, actor, request, blocked, at);
          if (seq !== instance.lastSeq)
            await this.saveInstance(store, instance, registered, snapshot, seq, headHash, at);
          return blocked;
        }

        const next = nextSnapshot(registered.definition.machine, snapshot, machineEvent);
        const persisted = this.persist(registered, next);
        seq += 1;
        const entry = this.entry({
          instanceId,
          seq,
          kind: 'event',
          at,
          actor,
          eventType: type,
          payload,
          fromState: pathOf(snapshot),
          snapshot: next,
          persisted,
          definitionVersion: registered.version,
          prevHash: headHash,
        });
        await store.appendEntry(entry);
        headHash = entry.hash;
        const before = snapshot;
        snapshot = next;
        await this.saveInstance(
          store,
          instance,
          registered,
          snapshot,
          seq,
          headHash,
          at,
          persisted,
        );
        const deadlines = this.deadlines(registered, snapshot, at);
        await store.replaceDeadlines(instanceId, deadlines, kept?.deadlines);
        for (const hook of this.hooks) {
          await hook({
            tx,
            instanceId,
            definitionId: instance.definitionId,
            before,
            after: snapshot,
            event: machineEvent,
            seq,
            at,
          });
        }
        const view = this.view_(registered, instanceId, snapshot, seq, at, at, deadlines);
        await options.within?.(tx, view);
        const result: StoredOutcome = { kind: 'result', result: view };
        await this.remember(store, actor, request, result, at);
        written = { version: seq, definitionVersion: registered.version, snapshot, deadlines };
        return result;
      }),
    );
    if (written) this.written.set(instanceId, written);
    return this.unwrap(outcome) as InstanceView;
  }

  async view(instanceId: string): Promise<InstanceView> {
    const em = this.orm.em.fork();
    const instance = await this.load(em, instanceId, false);
    const registered = this.registry.get(instance.definitionId);
    const snapshot = this.restore(instance, registered);
    return this.view_(registered, instanceId, snapshot, instance.version, instance.updatedAt);
  }

  /** The view as it was at `time`, rebuilt from the history entry in force then. */
  async at(instanceId: string, time: Date): Promise<InstanceView> {
    const em = this.orm.em.fork();
    const instance = await this.load(em, instanceId, false);
    const iso = time.toISOString();
    const target = await em.findOne(
      HistoryEntry,
      { instanceId, at: { $lte: iso } },
      { orderBy: { seq: 'desc' }, fields: ['seq', 'at'] },
    );
    if (!target) throw new NotYetCreated(instanceId, iso);
    const registered = this.registry.get(instance.definitionId);
    const snapshot = await this.snapshotAt(em, instance, registered, target.seq);
    return this.view_(registered, instanceId, snapshot, target.seq, target.at, iso);
  }

  /**
   * The snapshot after entry `seq`: the nearest stored checkpoint at or before it, brought to the
   * current definition version, then the events after it replayed with their recorded time and actor.
   */
  private async snapshotAt(
    em: EntityManager,
    instance: WorkflowInstance,
    registered: RegisteredDefinition,
    seq: number,
  ): Promise<AnyMachineSnapshot> {
    const checkpoint = await em.findOne(
      HistoryEntry,
      { instanceId: instance.id, seq: { $lte: seq }, snapshot: { $ne: null } },
      { orderBy: { seq: 'desc' } },
    );
    if (!checkpoint?.snapshot) throw new UnknownInstance(instance.id);
    const { persisted } = this.registry.upgrade(
      instance.definitionId,
      checkpoint.definitionVersion,
      checkpoint.snapshot,
    );
    let snapshot = this.registry.restore(instance.definitionId, persisted);
    if (checkpoint.seq === seq) return snapshot;
    const events = await em.find(
      HistoryEntry,
      { instanceId: instance.id, seq: { $gt: checkpoint.seq, $lte: seq } },
      { orderBy: { seq: 'asc' }, exclude: ['snapshot'] as never },
    );
    for (const entry of events) {
      if (entry.definitionVersion !== registered.version) {
        // Events recorded under an older definition cannot be replayed by the current machine.
        throw new UnknownDefinitionVersion(
          instance.definitionId,
          entry.definitionVersion,
          registered.version,
        );
      }
      const meta: EventMeta = { at: entry.at, actor: { id: entry.actorId, role: entry.actorRole } };
      const event = { ...entry.payload, type: entry.eventType, meta } as EventObject;
      snapshot = nextSnapshot(registered.definition.machine, snapshot, event);
    }
    return snapshot;
  }

  async history(
    instanceId: string,
    page: { after?: number; limit?: number } = {},
  ): Promise<HistoryPage> {
    const em = this.orm.em.fork();
    await this.load(em, instanceId, false);
    const limit = Math.min(Math.max(page.limit ?? 50, 1), 500);
    const rows = await em.find(
      HistoryEntry,
      { instanceId, seq: { $gt: page.after ?? 0 } },
      { orderBy: { seq: 'asc' }, limit: limit + 1, exclude: ['snapshot'] as never },
    );
    const items = rows.slice(0, limit).map(toEntryView);
    const last = items[items.length - 1];
    return { items, nextCursor: rows.length > limit && last ? String(last.seq) : null };
  }

  async verify(instanceId: string): Promise<Verification> {
    const em = this.orm.em.fork();
    const instance = await this.load(em, instanceId, false);
    const entries = await em.find(HistoryEntry, { instanceId }, { orderBy: { seq: 'asc' } });
    return verifyChain(entries, instance);
  }

  /** Replays the history's events through the machine from the first entry: the state they imply. */
  async replay(instanceId: string): Promise<AnyMachineSnapshot> {
    const em = this.orm.em.fork();
    const instance = await this.load(em, instanceId, false);
    const registered = this.registry.get(instance.definitionId);
    const entries = await em.find(HistoryEntry, { instanceId }, { orderBy: { seq: 'asc' } });
    let snapshot: AnyMachineSnapshot | undefined;
    for (const entry of entries) {
      if (entry.kind === 'created') {
        snapshot = initialTransition(registered.definition.machine, entry.payload)[0];
      } else if (entry.kind === 'migrated' && entry.snapshot) {
        snapshot = this.registry.restore(instance.definitionId, entry.snapshot);
      } else if (snapshot) {
        const meta: EventMeta = {
          at: entry.at,
          actor: { id: entry.actorId, role: entry.actorRole },
        };
        const event = { ...entry.payload, type: entry.eventType, meta } as EventObject;
        snapshot = nextSnapshot(registered.definition.machine, snapshot, event);
      }
    }
    if (!snapshot) throw new UnknownInstance(instanceId);
    return snapshot;
  }

  /** The event is known, the actor's role may send it, and its payload validates. */
  checkEvent(
    registered: RegisteredDefinition,
    type: string,
    payload: Record<string, unknown>,
    actor: Actor,
  ): void {
    const { definition } = registered;
    const spec = Object.hasOwn(definition.events, type) ? definition.events[type] : undefined;
    if (!spec) throw new UnknownEventType(type, Object.keys(definition.events));
    if (!spec.roles.includes(actor.role)) throw new EventNotPermitted(type, actor.role, spec.roles);
    const payloadClass = definition.payloads[type];
    if (payloadClass) {
      const result = validatePayload(payloadClass, payload);
      if (!result.ok) throw new InvalidEvent(type, result.errors);
    }
  }

  // ---- internals ------------------------------------------------------------------------------

  private async load(
    em: EntityManager,
    instanceId: string,
    lock: boolean,
  ): Promise<WorkflowInstance> {
    const instance = await em.findOne(
      WorkflowInstance,
      { id: instanceId },
      lock ? { lockMode: LockMode.PESSIMISTIC_WRITE } : {},
    );
    if (!instance) throw new UnknownInstance(instanceId);
    return instance;
  }

  private restore(
    instance: WorkflowInstance,
    registered: RegisteredDefinition,
  ): AnyMachineSnapshot {
    const { persisted } = this.registry.upgrade(
      instance.definitionId,
      instance.definitionVersion,
      instance.snapshot,
    );
    return this.registry.restore(registered.definition.id, persisted);
  }

  /**
   * The instance's current snapshot (kept from the last send here, or read), with declared
   * migrations applied before a write and each recorded in the history.
   */
  private async upgradeForWrite(
    store: InstanceStore,
    instance: InstanceHead,
    registered: RegisteredDefinition,
    actor: Actor,
    at: string,
    kept: Written | undefined,
  ): Promise<{ snapshot: AnyMachineSnapshot; seq: number; headHash: string }> {
    let seq = instance.lastSeq;
    const headHash = instance.headHash;
    if (instance.definitionVersion === registered.version) {
      return {
        snapshot:
          kept?.snapshot ??
          this.registry.restore(instance.definitionId, await store.snapshotOf(instance.id)),
        seq,
        headHash,
      };
    }
    const { persisted, migratedFrom } = this.registry.upgrade(
      instance.definitionId,
      instance.definitionVersion,
      await store.snapshotOf(instance.id),
    );
    const snapshot = this.registry.restore(instance.definitionId, persisted);
    seq += 1;
    const entry = this.entry({
      instanceId: instance.id,
      seq,
      kind: 'migrated',
      at,
      actor,
      eventType: 'workflow.migrated',
      payload: { from: instance.definitionVersion, to: registered.version, steps: migratedFrom },
      fromState: instance.state,
      snapshot,
      persisted: this.persist(registered, snapshot),
      definitionVersion: registered.version,
      prevHash: headHash,
    });
    await store.appendEntry(entry);
    this.logger.log(
      `Instance ${instance.id} migrated ${instance.definitionVersion} → ${registered.version}`,
    );
    return { snapshot, seq, headHash: entry.hash };
  }

  private async saveInstance(
    store: InstanceStore,
    instance: InstanceHead,
    registered: RegisteredDefinition,
    snapshot: AnyMachineSnapshot,
    seq: number,
    headHash: string,
    at: string,
    persisted = this.persist(registered, snapshot),
  ): Promise<void> {
    await store.updateInstance(
      instance.id,
      instance.version,
      {
        definitionVersion: registered.version,
        snapshot: persisted.json,
        state: pathOf(snapshot),
        status: snapshot.status,
        version: seq,
        lastSeq: seq,
        headHash,
        updatedAt: at,
      },
      () => new ConcurrentUpdate(`Instance ${instance.id} changed during the send`),
    );
  }

  private deadlines(
    registered: RegisteredDefinition,
    snapshot: AnyMachineSnapshot,
    at: string,
  ): Deadline[] {
    return registered.definition.deadlines(snapshot, at, this.settings.definitionSettings);
  }

  private persist(registered: RegisteredDefinition, snapshot: AnyMachineSnapshot): Persisted {
    return new Persisted(
      JSON.stringify(registered.definition.machine.getPersistedSnapshot(snapshot)),
    );
  }

  private entry(args: {
    instanceId: string;
    seq: number;
    kind: HistoryKind;
    at: string;
    actor: Actor;
    eventType: string;
    payload: Record<string, unknown>;
    fromState: string | null;
    snapshot: AnyMachineSnapshot;
    persisted: Persisted;
    definitionVersion: string;
    prevHash: string;
  }): HistoryEntry {
    const entry = {
      id: randomUUID(),
      instanceId: args.instanceId,
      seq: args.seq,
      kind: args.kind,
      at: args.at,
      actorId: args.actor.id,
      actorRole: args.actor.role,
      eventType: args.eventType,
      payload: JSON.parse(JSON.stringify(args.payload)) as Record<string, unknown>,
      fromState: args.fromState,
      toState: pathOf(args.snapshot),
      definitionVersion: args.definitionVersion,
      // Checkpoints only: every snapshot in every entry would grow the history quadratically.
      snapshot: isCheckpoint(args.kind, args.seq) ? args.persisted.value : null,
      prevHash: args.prevHash,
      hash: '',
    };
    entry.hash = entryHash(entry);
    return Object.assign(new HistoryEntry(), entry);
  }

  private view_(
    registered: RegisteredDefinition,
    instanceId: string,
    snapshot: AnyMachineSnapshot,
    version: number,
    updatedAt: string,
    now = this.clock.now().toISOString(),
    deadlines?: Deadline[],
  ): InstanceView {
    return buildView({
      deadlines,
      definition: registered.definition,
      definitionVersion: registered.version,
      instanceId,
      snapshot,
      version,
      updatedAt,
      now,
      settings: this.settings.definitionSettings,
    });
  }

  /** The key and what the request was (hashed), if the sender gave an Idempotency-Key. */
  private idempotent(key: string | undefined, request: unknown): IdempotentRequest | undefined {
    if (key === undefined) return undefined;
    return { key, hash: hash('sha256', canonicalJson(request), 'hex') };
  }

  /** The first outcome of this request, if it was made before with the same key. */
  private replayOf(
    request: IdempotentRequest | undefined,
    record: RememberedRequest | undefined,
  ): StoredOutcome | undefined {
    if (request === undefined || record === undefined) return undefined;
    if (record.requestHash !== request.hash) throw new IdempotencyKeyReused(request.key);
    return JSON.parse(record.outcome) as StoredOutcome;
  }

  private async remember(
    store: InstanceStore,
    actor: Actor,
    request: IdempotentRequest | undefined,
    outcome: StoredOutcome,
    at: string,
  ): Promise<void> {
    if (request === undefined) return;
    await store.remember(actor.id, request.key, {
      requestHash: request.hash,
      // The same text as JSON.stringify(outcome), the view's part made once for record and reply.
      outcome:
        outcome.kind === 'result' && typeof outcome.result === 'object' && outcome.result !== null
          ? `{"kind":"result","result":${viewJson(outcome.result)}}`
          : JSON.stringify(outcome),
      createdAt: at,
    });
  }

  private unwrap(outcome: StoredOutcome): unknown {
    if (outcome.kind === 'blocked')
      throw new TransitionBlocked(outcome.type, outcome.state, outcome.blockedBy);
    return outcome.result;
  }

  /** Forgets idempotency records older than the retention (at least 24 hours). */
  async purgeIdempotencyRecords(): Promise<number> {
    const cutoff = new Date(
      this.clock.now().getTime() - this.settings.idempotencyRetentionHours * 3_600_000,
    ).toISOString();
    return this.orm.em.fork().nativeDelete(IdempotencyRecord, { createdAt: { $lt: cutoff } });
  }

  private async withRetry<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n += 1) {
      try {
        return await attempt();
      } catch (error) {
        if (!isRetryable(error) || n >= MAX_ATTEMPTS) throw error;
        await sleep(Math.random() * Math.min(200, 5 * 2 ** n));
      }
    }
  }
}

function isRetryable(error: unknown): boolean {
  if (error instanceof ConcurrentUpdate || error instanceof OptimisticLockError) return true;
  if (error instanceof UniqueConstraintViolationException) return true;
  const code = (error as { code?: string }).code;
  return (
    code === 'SQLITE_BUSY' ||
    code === 'SQLITE_BUSY_SNAPSHOT' ||
    // A unique key taken by a concurrent writer (the raw driver's codes; see InstanceStore).
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    code === '23505' ||
    code === '40001' ||
    code === '40P01'
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function toRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)
    : { value };
}

function toEntryView(entry: HistoryEntry): HistoryEntryView {
  return {
    seq: entry.seq,
    kind: entry.kind,
    at: entry.at,
    actor: { id: entry.actorId, role: entry.actorRole },
    event: { type: entry.eventType, payload: entry.payload },
    from: entry.fromState,
    to: entry.toState,
    definitionVersion: entry.definitionVersion,
    hash: entry.hash,
    prevHash: entry.prevHash,
  };
}
