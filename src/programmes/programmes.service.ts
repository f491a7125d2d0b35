import { MikroORM, type EntityManager } from '@mikro-orm/core';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { osloDay } from '../../workflows/kit';
import { actorOf, canSee, type Principal } from '../auth/principal';
import { Clock } from '../common/clock';
import { InvalidRequest, ScopeTooNarrow, UnknownProgramme } from '../common/errors';
import { queryFor, readSql, runBuilt } from '../database/sql';
import { DeadlineRow } from '../engine/deadline.entity';
import {
  EngineService,
  type AcceptedEvent,
  type EventInput,
  type HistoryEntryView,
} from '../engine/engine.service';
import { withField, type InstanceView } from '../engine/view';
import { WorkflowInstance } from '../engine/workflow-instance.entity';
import type { Verification } from '../history/hash-chain';
import type { CreateProgrammeDto, PatchProgrammeDto } from './programme.dto';
import { Programme } from './programme.entity';

export const PROGRAMME_DEFINITION = 'videreforing';

export interface NextDeadline {
  kind: string;
  key: string;
  due: string;
  overdue: boolean;
  label: { nb: string; en: string };
}

export interface ProgrammeView {
  id: string;
  municipality: string;
  municipalityNumber: string;
  programmeStart: string;
  programmeEnd: string;
  board: Programme['board'];
  administrators: Programme['administrators'];
  mayor: Programme['mayor'];
  instanceId: string;
  phase: string;
  state: string;
  status: string;
  version: number;
  nextDeadline: NextDeadline | null;
  createdAt: string;
  updatedAt: string;
}

export interface WorkflowView extends InstanceView {
  programmeId: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface HistoryItem extends Omit<HistoryEntryView, 'actor'> {
  actor: { tokenId: string; role: string };
}

/** Programmes whose instance id is kept (a few hundred KB at most). */
const PROGRAMMES_KEPT = 10_000;

interface ProgrammeContext {
  programme?: { start?: string; end?: string };
}

/**
 * Municipalities' programmes and the videreføring instance each runs. Every read and write goes
 * through the caller's scope: a programme the token may not see does not exist for it.
 */
@Injectable()
export class ProgrammesService implements OnModuleInit {
  /** Programme id → its instance id: fixed when the programme is made, and none is ever deleted. */
  private readonly instances = new Map<string, string>();

  constructor(
    private readonly orm: MikroORM,
    private readonly engine: EngineService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.engine.onAccepted((accepted) => this.syncPeriod(accepted));
  }

  async create(
    body: CreateProgrammeDto,
    principal: Principal,
    idempotencyKey?: string,
  ): Promise<ProgrammeView> {
    // A new programme would lie outside a bound token's scope at once.
    if (principal.programmeIds !== null) throw new ScopeTooNarrow('Å opprette programmer');
    assertPeriod(body.programmeStart, body.programmeEnd);
    const id = randomUUID();
    const now = this.clock.now().toISOString();
    const input = {
      programme: {
        municipality: body.municipality,
        start: body.programmeStart,
        end: body.programmeEnd,
      },
    };
    const view = await this.engine.create(PROGRAMME_DEFINITION, input, actorOf(principal), {
      idempotencyKey,
      requestScope: `POST /api/programmes ${JSON.stringify(body)}`,
      within: async (tx, instance) => {
        await runBuilt(
          tx,
          queryFor(this.orm.em, Programme).insert({
            id,
            municipality: body.municipality,
            municipalityNumber: body.municipalityNumber,
            programmeStart: body.programmeStart,
            programmeEnd: body.programmeEnd,
            board: body.board.map(({ name, email, role }) => ({
              name,
              email,
              ...(role ? { role } : {}),
            })),
            administrators: (body.administrators ?? []).map(({ name, email }) => ({ name, email })),
            mayor: body.mayor ? { name: body.mayor.name, email: body.mayor.email } : null,
            instanceId: instance.id,
            createdAt: now,
            updatedAt: now,
          }),
        );
      },
    });
    // Found by its instance: a replayed creation returns the programme made the first time.
    const em = this.orm.em.fork();
    const row = await em.findOne(Programme, { instanceId: view.instanceId });
    if (!row) throw new UnknownProgramme(id);
    const [programme] = await this.views(em, [row]);
    return programme!;
  }

  async list(
    principal: Principal,
    page: { cursor?: string; limit?: number },
  ): Promise<Page<ProgrammeView>> {
    const limit = clampLimit(page.limit);
    const em = this.orm.em.fork();
    const after = decodeCursor(page.cursor);
    const where: Record<string, unknown> = {};
    if (principal.programmeIds !== null) where.id = { $in: [...principal.programmeIds] };
    if (after) {
      where.$or = [
        { createdAt: { $gt: after.createdAt } },
        { createdAt: after.createdAt, id: { $gt: after.id } },
      ];
    }
    const rows = await em.find(Programme, where, {
      orderBy: { createdAt: 'asc', id: 'asc' },
      limit: limit + 1,
    });
    const pageRows = rows.slice(0, limit);
    const views = await this.views(em, pageRows);
    const last = pageRows[pageRows.length - 1];
    return {
      items: views,
      nextCursor: rows.length > limit && last ? encodeCursor(last.createdAt, last.id) : null,
    };
  }

  async get(id: string, principal: Principal): Promise<ProgrammeView> {
    const em = this.orm.em.fork();
    const row = await this.load(em, id, principal);
    const [view] = await this.views(em, [row]);
    return view!;
  }

  async patch(id: string, body: PatchProgrammeDto, principal: Principal): Promise<ProgrammeView> {
    const em = this.orm.em.fork();
    const row = await this.load(em, id, principal);
    const now = this.clock.now().toISOString();
    const contacts: Partial<Programme> = { updatedAt: now };
    if (body.municipality !== undefined) contacts.municipality = body.municipality;
    if (body.board)
      contacts.board = body.board.map(({ name, email, role }) => ({
        name,
        email,
        ...(role ? { role } : {}),
      }));
    if (body.administrators)
      contacts.administrators = body.administrators.map(({ name, email }) => ({ name, email }));
    if (body.mayor !== undefined)
      contacts.mayor = body.mayor ? { name: body.mayor.name, email: body.mayor.email } : null;

    const datesChanged =
      (body.programmeStart !== undefined && body.programmeStart !== row.programmeStart) ||
      (body.programmeEnd !== undefined && body.programmeEnd !== row.programmeEnd);
    if (datesChanged) {
      assertPeriod(
        body.programmeStart ?? row.programmeStart,
        body.programmeEnd ?? row.programmeEnd,
      );
      // The period is part of the audited record: it changes through an event in the history.
      await this.engine.send(
        row.instanceId,
        {
          type: 'programme.reschedule',
          ...(body.programmeStart !== undefined ? { programmeStart: body.programmeStart } : {}),
          ...(body.programmeEnd !== undefined ? { programmeEnd: body.programmeEnd } : {}),
          ...(body.reason ? { reason: body.reason } : {}),
        },
        actorOf(principal),
        {
          // The period itself is written by syncPeriod, in the same transaction.
          within: (tx) =>
            runBuilt(tx, queryFor(this.orm.em, Programme).update(contacts).where({ id })),
        },
      );
    } else {
      await em.nativeUpdate(Programme, { id }, contacts);
    }
    return this.get(id, principal);
  }

  async workflow(id: string, principal: Principal): Promise<WorkflowView> {
    const row = await this.load(this.orm.em.fork(), id, principal);
    return { programmeId: id, ...(await this.engine.view(row.instanceId)) };
  }

  async send(
    id: string,
    event: EventInput,
    principal: Principal,
    options: { expectedVersion?: number; idempotencyKey?: string },
  ): Promise<WorkflowView> {
    const instanceId = await this.instanceOf(id, principal);
    const view = await this.engine.send(instanceId, event, actorOf(principal), {
      ...options,
      requestScope: `POST /api/programmes/${id}/workflow/events`,
    });
    return withField('programmeId', id, view);
  }

  async history(
    id: string,
    principal: Principal,
    page: { cursor?: string; limit?: number },
  ): Promise<Page<HistoryItem>> {
    const row = await this.load(this.orm.em.fork(), id, principal);
    const after = page.cursor === undefined ? 0 : Number(page.cursor);
    if (!Number.isInteger(after) || after < 0) {
      throw new InvalidRequest([
        { field: 'cursor', message: 'er ugyldig', messageEn: 'is invalid' },
      ]);
    }
    const result = await this.engine.history(row.instanceId, {
      after,
      limit: clampLimit(page.limit),
    });
    return {
      items: result.items.map(({ actor, ...entry }) => ({
        ...entry,
        actor: { tokenId: actor.id, role: actor.role },
      })),
      nextCursor: result.nextCursor,
    };
  }

  async verify(id: string, principal: Principal): Promise<Verification> {
    const row = await this.load(this.orm.em.fork(), id, principal);
    return this.engine.verify(row.instanceId);
  }

  async at(id: string, principal: Principal, time: Date): Promise<WorkflowView> {
    const row = await this.load(this.orm.em.fork(), id, principal);
    return { programmeId: id, ...(await this.engine.at(row.instanceId, time)) };
  }

  /** Open deadlines due before `before` across the programmes the caller may see. */
  async deadlines(
    principal: Principal,
    before: string,
    page: { cursor?: string; limit?: number },
  ): Promise<Page<Record<string, unknown>>> {
    const limit = clampLimit(page.limit);
    const offset = page.cursor === undefined ? 0 : Number(page.cursor);
    if (!Number.isInteger(offset) || offset < 0) {
      throw new InvalidRequest([
        { field: 'cursor', message: 'er ugyldig', messageEn: 'is invalid' },
      ]);
    }
    const em = this.orm.em.fork();
    const programmes = await em.find(
      Programme,
      principal.programmeIds === null ? {} : { id: { $in: [...principal.programmeIds] } },
      { fields: ['id', 'municipality', 'instanceId'] },
    );
    const byInstance = new Map(programmes.map((p) => [p.instanceId, p]));
    if (byInstance.size === 0) return { items: [], nextCursor: null };
    const rows = await em.find(
      DeadlineRow,
      { met: false, due: { $lt: before }, instanceId: { $in: [...byInstance.keys()] } },
      { orderBy: { due: 'asc', instanceId: 'asc', key: 'asc' }, limit: limit + 1, offset },
    );
    const today = osloDay(this.clock.now());
    const items = rows.slice(0, limit).map((d) => {
      const programme = byInstance.get(d.instanceId)!;
      return {
        programmeId: programme.id,
        municipality: programme.municipality,
        kind: d.kind,
        key: d.key,
        label: d.label,
        due: d.due,
        met: d.met,
        overdue: d.due < today,
        recipients: d.recipients,
      };
    });
    return { items, nextCursor: rows.length > limit ? String(offset + limit) : null };
  }

  /** The instance of a programme the caller may see; anything else is unknown to them. */
  private async instanceOf(id: string, principal: Principal): Promise<string> {
    if (!canSee(principal, id)) throw new UnknownProgramme(id);
    const known = this.instances.get(id);
    if (known) return known;
    const [row] = await readSql(this.orm.em).all<{ instance_id: string }>(
      'select instance_id from programme where id = ?',
      [id],
    );
    if (!row) throw new UnknownProgramme(id);
    if (this.instances.size >= PROGRAMMES_KEPT) this.instances.clear();
    this.instances.set(id, row.instance_id);
    return row.instance_id;
  }

  /**
   * Keeps the programme row's period equal to the workflow's, in the transaction of the event that
   * changed it, whichever way it was sent.
   */
  private async syncPeriod(accepted: AcceptedEvent): Promise<void> {
    if (accepted.definitionId !== PROGRAMME_DEFINITION) return;
    const before = (accepted.before.context as ProgrammeContext).programme;
    const after = (accepted.after.context as ProgrammeContext).programme;
    if (!after?.start || !after.end) return;
    if (before?.start === after.start && before.end === after.end) return;
    await runBuilt(
      accepted.tx,
      queryFor(this.orm.em, Programme)
        .update({ programmeStart: after.start, programmeEnd: after.end, updatedAt: accepted.at })
        .where({ instanceId: accepted.instanceId }),
    );
  }

  /** Loads a programme the caller may see; anything else is unknown to them. */
  private async load(em: EntityManager, id: string, principal: Principal): Promise<Programme> {
    if (!canSee(principal, id)) throw new UnknownProgramme(id);
    const row = await em.findOne(Programme, { id });
    if (!row) throw new UnknownProgramme(id);
    return row;
  }

  private async views(em: EntityManager, rows: Programme[]): Promise<ProgrammeView[]> {
    if (rows.length === 0) return [];
    const instanceIds = rows.map((r) => r.instanceId);
    const instances = await em.find(
      WorkflowInstance,
      { id: { $in: instanceIds } },
      { fields: ['id', 'state', 'status', 'version'] },
    );
    const deadlines = await em.find(
      DeadlineRow,
      { instanceId: { $in: instanceIds }, met: false },
      { orderBy: { due: 'asc', key: 'asc' } },
    );
    const byId = new Map(instances.map((i) => [i.id, i]));
    const next = new Map<string, DeadlineRow>();
    for (const d of deadlines) if (!next.has(d.instanceId)) next.set(d.instanceId, d);
    const today = osloDay(this.clock.now());
    return rows.map((row) => {
      const instance = byId.get(row.instanceId);
      const deadline = next.get(row.instanceId);
      return {
        id: row.id,
        municipality: row.municipality,
        municipalityNumber: row.municipalityNumber,
        programmeStart: row.programmeStart,
        programmeEnd: row.programmeEnd,
        board: row.board,
        administrators: row.administrators,
        mayor: row.mayor,
        instanceId: row.instanceId,
        phase: instance?.state.split('.')[0] ?? 'unknown',
        state: instance?.state ?? 'unknown',
        status: instance?.status ?? 'unknown',
        version: instance?.version ?? 0,
        nextDeadline: deadline
          ? {
              kind: deadline.kind,
              key: deadline.key,
              due: deadline.due,
              overdue: deadline.due < today,
              label: deadline.label,
            }
          : null,
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
      };
    });
  }
}

function assertPeriod(start: string, end: string): void {
  if (start >= end) {
    throw new InvalidRequest([
      {
        field: 'programmeEnd',
        message: `må være etter programstart (${start})`,
        messageEn: `must be after the programme start (${start})`,
      },
    ]);
  }
}

function clampLimit(limit: number | undefined): number {
  return Math.min(Math.max(limit ?? 50, 1), 200);
}

function encodeCursor(createdAt: string, id: string): string {
  return Buffer.from(`${createdAt}|${id}`).toString('base64url');
}

function decodeCursor(cursor: string | undefined): { createdAt: string; id: string } | undefined {
  if (cursor === undefined) return undefined;
  const [createdAt, id] = Buffer.from(cursor, 'base64url').toString().split('|');
  if (!createdAt || !id || !/^\d{4}-\d{2}-\d{2}T/.test(createdAt)) {
    throw new InvalidRequest([{ field: 'cursor', message: 'er ugyldig', messageEn: 'is invalid' }]);
  }
  return { createdAt, id };
}
