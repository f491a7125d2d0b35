import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261128034512_initial } from './Migration20261128034512_initial';
import { Migration20261128040011_tokens } from './Migration20261128040011_tokens';
import { Migration20261128041552_outbox } from './Migration20261128041552_outbox';
import { Migration20261128050618_sparse_snapshots } from './Migration20261128050618_sparse_snapshots';

/** Applied in order; `npm run migration:create` appends new ones. */
export const postgresqlMigrations: MigrationObject[] = [
  { name: 'Migration20261128034512_initial', class: Migration20261128034512_initial },
  { name: 'Migration20261128040011_tokens', class: Migration20261128040011_tokens },
  { name: 'Migration20261128041552_outbox', class: Migration20261128041552_outbox },
  {
    name: 'Migration20261128050618_sparse_snapshots',
    class: Migration20261128050618_sparse_snapshots,
  },
];
