import { Migration } from '@mikro-orm/migrations';

export class Migration20261128040011_tokens extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "api_token" ("id" uuid not null, "secret_hash" varchar(64) not null, "role" varchar(20) not null, "label" varchar(200) not null, "programme_ids" jsonb null, "created_at" varchar(30) not null, "created_by" varchar(100) not null, "revoked_at" varchar(30) null, constraint "api_token_pkey" primary key ("id"));`);
    this.addSql(`alter table "api_token" add constraint "api_token_secret_hash_unique" unique ("secret_hash");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "api_token" cascade;`);
  }

}
