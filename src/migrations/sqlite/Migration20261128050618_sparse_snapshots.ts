import { Migration } from '@mikro-orm/migrations';

export class Migration20261128050618_sparse_snapshots extends Migration {

  override async up(): Promise<void> {
    this.addSql(`pragma foreign_keys = off;`);
    this.addSql(`create table \`history_entry__temp_alter\` (\`id\` text not null, \`instance_id\` text not null, \`seq\` integer not null, \`kind\` text not null, \`at\` text not null, \`actor_id\` text not null, \`actor_role\` text not null, \`event_type\` text not null, \`payload\` json not null, \`from_state\` text null, \`to_state\` text not null, \`definition_version\` text not null, \`snapshot\` json null, \`prev_hash\` text not null, \`hash\` text not null, primary key (\`id\`));`);
    this.addSql(`insert into \`history_entry__temp_alter\` select \`id\`, \`instance_id\`, \`seq\`, \`kind\`, \`at\`, \`actor_id\`, \`actor_role\`, \`event_type\`, \`payload\`, \`from_state\`, \`to_state\`, \`definition_version\`, \`snapshot\`, \`prev_hash\`, \`hash\` from \`history_entry\`;`);
    this.addSql(`drop table \`history_entry\`;`);
    this.addSql(`alter table \`history_entry__temp_alter\` rename to \`history_entry\`;`);
    this.addSql(`create index \`history_entry_instance_at_index\` on \`history_entry\` (\`instance_id\`, \`at\`);`);
    this.addSql(`create unique index \`history_entry_instance_seq_unique\` on \`history_entry\` (\`instance_id\`, \`seq\`);`);
    this.addSql(`pragma foreign_keys = on;`);
  }

}
