import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261128034512_initial } from './Migration20261128034512_initial';
import { Migration20261128040010_tokens } from './Migration20261128040010_tokens';
import { Migration20261128041551_outbox } from './Migration20261128041551_outbox';
import { Migration20261128050618_sparse_snapshots } from './Migration20261128050618_sparse_snapshots';

/** Applied in order; `npm run migration:create` appends new ones. */
export const sqliteMigrations: MigrationObject[] = [
  { name: 'Migration20261128034512_initial', class: Migration20261128034512_initial },
  { name: 'Migration20261128040010_tokens', class: Migration20261128040010_tokens },
  { name: 'Migration20261128041551_outbox', class: Migration20261128041551_outbox },
  {
    name: 'Migration20261128050618_sparse_snapshots',
    class: Migration20261128050618_sparse_snapshots,
  },
];
