import { Migration } from '@mikro-orm/migrations';

export class Migration20261128040010_tokens extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`api_token\` (\`id\` text not null, \`secret_hash\` text not null, \`role\` text not null, \`label\` text not null, \`programme_ids\` json null, \`created_at\` text not null, \`created_by\` text not null, \`revoked_at\` text null, primary key (\`id\`));`);
    this.addSql(`create unique index \`api_token_secret_hash_unique\` on \`api_token\` (\`secret_hash\`);`);
  }

}
