import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { migrationStatus } from './migrator.js';
import { openSystemDb } from './system.js';

/** `npm run migrate` applies pending migrations; `npm run migrate -- status` only reports. */
const config = loadConfig();
const logger = createLogger(config.logLevel);
const statusOnly = process.argv.includes('status');
const system = await openSystemDb(config, logger, { migrate: !statusOnly });
try {
  const status = await migrationStatus(system.db, config.migrations.dir);
  console.log(JSON.stringify(status));
} finally {
  await system.close();
}
