import { runCommand } from '../cli.js';
import { loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { migrationProgress, summarise } from './migrate-progress.js';
import { migrate, MigrationError, migrationStatus } from './migrator.js';
import { openSystemDb } from './system.js';

/**
 * `npm run migrate` applies pending migrations with progress over the tenants
 * and ends with a summary; `npm run migrate -- status` only reports what is
 * pending (JSON). A failure is one line and exit code 1.
 */
await runCommand(async () => {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const system = await openSystemDb(config, logger, { migrate: false });
  try {
    if (!process.argv.includes('status')) {
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      const progress = migrationProgress({ stream: process.stderr, logger });
      const run = { dir: config.migrations.dir, tenantConcurrency: config.migrations.tenantConcurrency, logger, signal: stop.signal, ...progress };
      try {
        for (const line of summarise(await migrate(system.db, run))) console.log(line);
      } catch (err) {
        if (err instanceof MigrationError && err.report) for (const line of summarise(err.report)) console.log(line);
        throw err;
      }
    }
    console.log(JSON.stringify(await migrationStatus(system.db, config.migrations.dir)));
  } finally {
    await system.close();
  }
});
