import { Migration } from '@mikro-orm/migrations';

export class Migration20261128034512_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "deadline" ("id" uuid not null, "instance_id" uuid not null, "key" varchar(100) not null, "kind" varchar(50) not null, "due" varchar(10) not null, "met" boolean not null, "recipients" jsonb not null, "label" jsonb not null, "source" text not null, constraint "deadline_pkey" primary key ("id"));`);
    this.addSql(`create index "deadline_met_due_index" on "deadline" ("met", "due");`);
    this.addSql(`alter table "deadline" add constraint "deadline_instance_key_unique" unique ("instance_id", "key");`);

    this.addSql(`create table "history_entry" ("id" uuid not null, "instance_id" uuid not null, "seq" int not null, "kind" varchar(20) not null, "at" varchar(30) not null, "actor_id" varchar(100) not null, "actor_role" varchar(50) not null, "event_type" varchar(100) not null, "payload" jsonb not null, "from_state" varchar(200) null, "to_state" varchar(200) not null, "definition_version" varchar(64) not null, "snapshot" jsonb not null, "prev_hash" varchar(64) not null, "hash" varchar(64) not null, constraint "history_entry_pkey" primary key ("id"));`);
    this.addSql(`create index "history_entry_instance_at_index" on "history_entry" ("instance_id", "at");`);
    this.addSql(`alter table "history_entry" add constraint "history_entry_instance_seq_unique" unique ("instance_id", "seq");`);

    this.addSql(`create table "idempotency_record" ("actor_id" varchar(100) not null, "key" varchar(255) not null, "request_hash" varchar(64) not null, "outcome" text not null, "created_at" varchar(30) not null, constraint "idempotency_record_pkey" primary key ("actor_id", "key"));`);
    this.addSql(`create index "idempotency_record_created_at_index" on "idempotency_record" ("created_at");`);

    this.addSql(`create table "programme" ("id" uuid not null, "municipality" varchar(200) not null, "municipality_number" varchar(4) not null, "programme_start" varchar(10) not null, "programme_end" varchar(10) not null, "board" jsonb not null, "administrators" jsonb not null, "mayor" jsonb null, "instance_id" uuid not null, "created_at" varchar(30) not null, "updated_at" varchar(30) not null, constraint "programme_pkey" primary key ("id"));`);
    this.addSql(`create index "programme_municipality_index" on "programme" ("municipality");`);
    this.addSql(`alter table "programme" add constraint "programme_instance_unique" unique ("instance_id");`);

    this.addSql(`create table "workflow_instance" ("id" uuid not null, "definition_id" varchar(100) not null, "definition_version" varchar(64) not null, "snapshot" jsonb not null, "state" varchar(200) not null, "status" varchar(20) not null, "version" int not null, "last_seq" int not null, "head_hash" varchar(64) not null, "created_at" varchar(30) not null, "updated_at" varchar(30) not null, constraint "workflow_instance_pkey" primary key ("id"));`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "deadline" cascade;`);

    this.addSql(`drop table if exists "history_entry" cascade;`);

    this.addSql(`drop table if exists "idempotency_record" cascade;`);

    this.addSql(`drop table if exists "programme" cascade;`);

    this.addSql(`drop table if exists "workflow_instance" cascade;`);
  }

}
