import { MikroORM } from '@mikro-orm/core';
import { Inject, Injectable } from '@nestjs/common';
import { hash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Settings } from '../../config/settings';
import { Clock } from '../common/clock';
import { InvalidRequest } from '../common/errors';
import { SETTINGS } from '../common/tokens';
import { jsonColumn, readSql } from '../database/sql';
import { ApiToken } from './api-token.entity';
import { ENV_ADMIN_TOKEN_ID, type Principal, type Role } from './principal';

export interface CreatedToken {
  id: string;
  role: Role;
  programmeIds: string[] | null;
  label: string;
  /** The secret: shown this once, stored only as a hash. */
  token: string;
}

export interface TokenSummary {
  id: string;
  role: Role;
  programmeIds: string[] | null;
  label: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}

const PREFIX = 'vf_';

function sha256(text: string): string {
  return hash('sha256', text, 'hex');
}

@Injectable()
export class TokensService {
  private readonly adminTokenHash: Buffer | undefined;

  constructor(
    private readonly orm: MikroORM,
    private readonly clock: Clock,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.adminTokenHash = settings.adminToken
      ? Buffer.from(sha256(settings.adminToken), 'hex')
      : undefined;
  }

  async create(
    input: { role: Role; label: string; programmeIds?: string[] | null },
    createdBy: string,
  ): Promise<CreatedToken> {
    const programmeIds = input.programmeIds ?? null;
    if (programmeIds) await this.assertProgrammesExist(programmeIds);
    const token = PREFIX + randomBytes(32).toString('base64url');
    const id = randomUUID();
    await this.orm.em.fork().insert(ApiToken, {
      id,
      secretHash: sha256(token),
      role: input.role,
      label: input.label,
      programmeIds,
      createdAt: this.clock.now().toISOString(),
      createdBy,
      revokedAt: null,
    });
    return { id, role: input.role, programmeIds, label: input.label, token };
  }

  /** The principal for a bearer secret, or undefined when it is unknown or revoked. */
  async authenticate(secret: string): Promise<Principal | undefined> {
    const hash = sha256(secret);
    if (this.adminTokenHash && timingSafeEqual(Buffer.from(hash, 'hex'), this.adminTokenHash)) {
      return {
        tokenId: ENV_ADMIN_TOKEN_ID,
        role: 'admin',
        label: 'ADMIN_TOKEN',
        programmeIds: null,
      };
    }
    if (!secret.startsWith(PREFIX)) return undefined;
    // Every request comes here: a prepared statement, not the ORM's query building.
    const [row] = await readSql(this.orm.em).all<{
      id: string;
      role: string;
      label: string;
      programme_ids: unknown;
    }>(
      'select id, role, label, programme_ids from api_token where secret_hash = ? and revoked_at is null',
      [hash],
    );
    if (!row) return undefined;
    return {
      tokenId: row.id,
      role: row.role as Role,
      label: row.label,
      programmeIds: jsonColumn<string[] | null>(row.programme_ids),
    };
  }

  async list(): Promise<TokenSummary[]> {
    const rows = await this.orm.em.fork().find(ApiToken, {}, { orderBy: { createdAt: 'asc' } });
    return rows.map((r) => ({
      id: r.id,
      role: r.role as Role,
      programmeIds: r.programmeIds,
      label: r.label,
      createdAt: r.createdAt,
      createdBy: r.createdBy,
      revokedAt: r.revokedAt,
    }));
  }

  /** Revokes a token; true when it existed and was active. */
  async revoke(id: string): Promise<boolean> {
    const updated = await this.orm.em
      .fork()
      .nativeUpdate(
        ApiToken,
        { id, revokedAt: null },
        { revokedAt: this.clock.now().toISOString() },
      );
    return updated === 1;
  }

  private async assertProgrammesExist(ids: string[]): Promise<void> {
    const rows = (await this.orm.em
      .fork()
      .getConnection()
      .execute(`select id from programme where id in (${ids.map(() => '?').join(',')})`, ids)) as {
      id: string;
    }[];
    const found = new Set(rows.map((r) => r.id));
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw new InvalidRequest(
        missing.map((id) => ({
          field: 'programmeIds',
          message: `programmet ${id} finnes ikke`,
          messageEn: `programme ${id} does not exist`,
        })),
      );
    }
  }
}
