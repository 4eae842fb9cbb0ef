import { loadConfig, StartupError } from './config.js';
import { openSystemDb } from './db/system.js';
import { applyHeapGrowth, ServerLifecycle, shutdownGracefully } from './lifecycle.js';
import { createLogger } from './logger.js';
import { buildMetricsServer, createMetrics } from './metrics/metrics.js';
import { buildServer } from './server.js';
import { createServices } from './services.js';
import { Worker } from './worker/worker.js';

/** A reason the service cannot start is one line on stderr and exit code 1, never a stack. */
function stopWith(err: unknown): never {
  if (!(err instanceof StartupError)) throw err;
  console.error(`datalinx: ${err.message}`);
  process.exit(1);
}

const config = (() => {
  try {
    return loadConfig();
  } catch (err) {
    return stopWith(err);
  }
})();
applyHeapGrowth(config.heapGrowingPercent);
const logger = createLogger(config.logLevel);
process.on('uncaughtException', (err) => {
  logger.fatal({ err }, 'uncaught exception');
  process.exit(1);
});

const system = await openSystemDb(config, logger, { migrate: config.migrations.onStart }).catch(stopWith);
const services = await createServices(config, logger, system).catch(async (err: unknown) => {
  await system.close();
  return stopWith(err);
});
const lifecycle = new ServerLifecycle();
const metrics = config.metrics.enabled ? createMetrics({ database: system, lifecycle }) : null;
const app = await buildServer({ config, services, database: system, lifecycle, metrics });
const metricsApp = metrics && config.metrics.port !== undefined ? await buildMetricsServer(metrics, logger, config.metrics.token) : null;

// The quick start runs jobs too; production usually runs `npm run worker` processes instead (WORKER_IN_PROCESS=false).
const worker = config.jobs.workerInProcess ? new Worker(services, config.jobs, system.url, logger.child({ component: 'worker' })) : null;
await worker?.start().catch(async (err: unknown) => {
  await system.close();
  return stopWith(new StartupError(`Cannot start the job worker: ${err instanceof Error ? err.message : String(err)}`));
});

let stopping = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal }, 'received signal');
  void shutdownGracefully({
    app,
    lifecycle,
    shutdown: config.shutdown,
    logger,
    closeResources: async () => {
      await metricsApp?.close();
      await worker?.stop();
      await services.jobQueue.close();
      await system.close();
    },
  }).then(
    () => process.exit(0),
    (err: unknown) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

try {
  await app.listen({ host: config.http.host, port: config.http.port });
  if (metricsApp) await metricsApp.listen({ host: config.metrics.host, port: config.metrics.port });
} catch (err) {
  await system.close();
  const e = err as NodeJS.ErrnoException;
  stopWith(new StartupError(`Cannot listen on ${config.http.host}:${config.http.port}${metricsApp ? ` or metrics ${config.metrics.host}:${config.metrics.port}` : ''}: ${e.code ?? e.message}`));
}
logger.info(`Datalinx system API listening on http://${config.http.host}:${config.http.port}`);
