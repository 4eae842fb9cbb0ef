import { loadConfig, StartupError } from '../config.js';
import { openSystemDb } from '../db/system.js';
import { createLogger } from '../logger.js';
import { compilerReady } from '../mappings/sql/index.js';
import { createServices } from '../services.js';
import { Worker } from './worker.js';

/**
 * `npm run worker`: a process that runs pipeline jobs and nothing else. SIGTERM
 * or SIGINT drains it (WORKER_SHUTDOWN_GRACE_MS); a second signal exits at once.
 */
const config = (() => {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof StartupError) {
      console.error(`datalinx worker: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
})();
const logger = createLogger(config.logLevel).child({ component: 'worker' });
const system = await openSystemDb(config, logger, { migrate: config.migrations.onStart }).catch((err: unknown) => {
  console.error(`datalinx worker: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
const services = await createServices(config, logger, system);
const worker = new Worker(services, config.jobs, system.url, logger);
// Every job compiles its mappings: a worker process loads the compiler before it claims one (compilerReady).
await compilerReady();
await worker.start();

let stopping = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (stopping) process.exit(1);
  stopping = true;
  logger.info({ signal }, 'worker draining');
  void worker
    .stop()
    .then(() => services.jobQueue.close())
    .then(() => system.close())
    .then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'worker shutdown failed');
        process.exit(1);
      },
    );
};
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
