import { Migration } from '@mikro-orm/migrations';

export class Migration20261128050618_sparse_snapshots extends Migration {

  override async up(): Promise<void> {
    this.addSql(`alter table "history_entry" alter column "snapshot" type jsonb using ("snapshot"::jsonb);`);
    this.addSql(`alter table "history_entry" alter column "snapshot" drop not null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table "history_entry" alter column "snapshot" type jsonb using ("snapshot"::jsonb);`);
    this.addSql(`alter table "history_entry" alter column "snapshot" set not null;`);
  }

}
