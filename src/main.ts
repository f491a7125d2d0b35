import 'reflect-metadata';
import { ConfigurationError, loadSettings } from '../config/settings';
import { createApp, listen } from './bootstrap';

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
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
