import { Migration } from '@mikro-orm/migrations';

export class Migration20261128034512_initial extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`deadline\` (\`id\` text not null, \`instance_id\` text not null, \`key\` text not null, \`kind\` text not null, \`due\` text not null, \`met\` integer not null, \`recipients\` json not null, \`label\` json not null, \`source\` text not null, primary key (\`id\`));`);
    this.addSql(`create index \`deadline_met_due_index\` on \`deadline\` (\`met\`, \`due\`);`);
    this.addSql(`create unique index \`deadline_instance_key_unique\` on \`deadline\` (\`instance_id\`, \`key\`);`);

    this.addSql(`create table \`history_entry\` (\`id\` text not null, \`instance_id\` text not null, \`seq\` integer not null, \`kind\` text not null, \`at\` text not null, \`actor_id\` text not null, \`actor_role\` text not null, \`event_type\` text not null, \`payload\` json not null, \`from_state\` text null, \`to_state\` text not null, \`definition_version\` text not null, \`snapshot\` json not null, \`prev_hash\` text not null, \`hash\` text not null, primary key (\`id\`));`);
    this.addSql(`create index \`history_entry_instance_at_index\` on \`history_entry\` (\`instance_id\`, \`at\`);`);
    this.addSql(`create unique index \`history_entry_instance_seq_unique\` on \`history_entry\` (\`instance_id\`, \`seq\`);`);

    this.addSql(`create table \`idempotency_record\` (\`actor_id\` text not null, \`key\` text not null, \`request_hash\` text not null, \`outcome\` text not null, \`created_at\` text not null, primary key (\`actor_id\`, \`key\`));`);
    this.addSql(`create index \`idempotency_record_created_at_index\` on \`idempotency_record\` (\`created_at\`);`);

    this.addSql(`create table \`programme\` (\`id\` text not null, \`municipality\` text not null, \`municipality_number\` text not null, \`programme_start\` text not null, \`programme_end\` text not null, \`board\` json not null, \`administrators\` json not null, \`mayor\` json null, \`instance_id\` text not null, \`created_at\` text not null, \`updated_at\` text not null, primary key (\`id\`));`);
    this.addSql(`create index \`programme_municipality_index\` on \`programme\` (\`municipality\`);`);
    this.addSql(`create unique index \`programme_instance_unique\` on \`programme\` (\`instance_id\`);`);

    this.addSql(`create table \`workflow_instance\` (\`id\` text not null, \`definition_id\` text not null, \`definition_version\` text not null, \`snapshot\` json not null, \`state\` text not null, \`status\` text not null, \`version\` integer not null, \`last_seq\` integer not null, \`head_hash\` text not null, \`created_at\` text not null, \`updated_at\` text not null, primary key (\`id\`));`);
  }

}
