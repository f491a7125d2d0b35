import { Migration } from '@mikro-orm/migrations';

export class Migration20261128041552_outbox extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "mail_outbox" ("id" uuid not null, "dedupe_key" varchar(300) not null, "kind" varchar(20) not null, "instance_id" uuid not null, "programme_id" uuid null, "recipients" jsonb not null, "subject" varchar(500) not null, "text_body" text not null, "html_body" text not null, "ics" text null, "message_id" varchar(200) not null, "status" varchar(20) not null, "attempts" int not null, "next_attempt_at" varchar(30) not null, "lease_owner" varchar(100) null, "lease_until" varchar(30) null, "last_error" text null, "created_at" varchar(30) not null, "sent_at" varchar(30) null, constraint "mail_outbox_pkey" primary key ("id"));`);
    this.addSql(`create index "mail_outbox_status_next_index" on "mail_outbox" ("status", "next_attempt_at");`);
    this.addSql(`create index "mail_outbox_created_index" on "mail_outbox" ("created_at");`);
    this.addSql(`alter table "mail_outbox" add constraint "mail_outbox_dedupe_key_unique" unique ("dedupe_key");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "mail_outbox" cascade;`);
  }

}
