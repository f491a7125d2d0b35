import { Migration } from '@mikro-orm/migrations';

export class Migration20261128041551_outbox extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`mail_outbox\` (\`id\` text not null, \`dedupe_key\` text not null, \`kind\` text not null, \`instance_id\` text not null, \`programme_id\` text null, \`recipients\` json not null, \`subject\` text not null, \`text_body\` text not null, \`html_body\` text not null, \`ics\` text null, \`message_id\` text not null, \`status\` text not null, \`attempts\` integer not null, \`next_attempt_at\` text not null, \`lease_owner\` text null, \`lease_until\` text null, \`last_error\` text null, \`created_at\` text not null, \`sent_at\` text null, primary key (\`id\`));`);
    this.addSql(`create index \`mail_outbox_status_next_index\` on \`mail_outbox\` (\`status\`, \`next_attempt_at\`);`);
    this.addSql(`create index \`mail_outbox_created_index\` on \`mail_outbox\` (\`created_at\`);`);
    this.addSql(`create unique index \`mail_outbox_dedupe_key_unique\` on \`mail_outbox\` (\`dedupe_key\`);`);
  }

}
