import 'reflect-metadata';
import { ConfigurationError, loadSettings } from '../config/settings';
import { createApp, listen } from './bootstrap';
import { DatabaseReadiness } from './database/readiness';

async function main(): Promise<void> {
  let settings;
  try {
    settings = loadSettings();
  } catch (error) {
    if (error instanceof ConfigurationError) {
      console.error(error.message);
      process.exit(78); // EX_CONFIG
    }
    throw error;
  }
  const app = await createApp({ settings });
  await listen(app, settings);
  // PostgreSQL was not reachable at start and, once reached, cannot be migrated: nothing will
  // mend that by waiting, so stop (the error is logged) rather than answer 503 for ever.
  app.get(DatabaseReadiness).onFatal(() => {
    void app.close().finally(() => process.exit(1));
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
