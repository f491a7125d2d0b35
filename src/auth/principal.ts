import type { Actor } from '../../workflows/kit';

export const ROLES = ['admin', 'board', 'projectLeader', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: the token's id, role, label and the programmes it may see (null = all). */
export interface Principal {
  tokenId: string;
  role: Role;
  label: string;
  programmeIds: readonly string[] | null;
}

export function canSee(principal: Principal, programmeId: string): boolean {
  return principal.programmeIds === null || principal.programmeIds.includes(programmeId);
}

export function actorOf(principal: Principal): Actor {
  return { id: principal.tokenId, role: principal.role };
}

/** The token id the history records for requests made with ADMIN_TOKEN. */
export const ENV_ADMIN_TOKEN_ID = 'env:ADMIN_TOKEN';
