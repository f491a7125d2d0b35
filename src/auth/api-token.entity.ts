import { EntitySchema } from '@mikro-orm/core';

/** A bearer token. Only the SHA-256 of the secret is stored; the secret is shown once. */
export class ApiToken {
  id!: string;
  secretHash!: string;
  role!: string;
  label!: string;
  /** The programmes the token may see; null for all. */
  programmeIds!: string[] | null;
  createdAt!: string;
  createdBy!: string;
  revokedAt!: string | null;
}

export const ApiTokenSchema = new EntitySchema<ApiToken>({
  class: ApiToken,
  tableName: 'api_token',
  uniques: [{ properties: ['secretHash'], name: 'api_token_secret_hash_unique' }],
  properties: {
    id: { type: 'uuid', primary: true },
    secretHash: { type: 'string', length: 64 },
    role: { type: 'string', length: 20 },
    label: { type: 'string', length: 200 },
    programmeIds: { type: 'json', nullable: true },
    createdAt: { type: 'string', length: 30 },
    createdBy: { type: 'string', length: 100 },
    revokedAt: { type: 'string', length: 30, nullable: true },
  },
});
