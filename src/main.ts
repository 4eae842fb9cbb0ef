import { ConfigError, loadConfig } from './config.js';
import { openSystemDb } from './db/system.js';
import { createLogger } from './logger.js';
import { buildServer } from './server.js';
import { createServices } from './services.js';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  console.error(err.message);
  process.exit(1);
}
const logger = createLogger(config.logLevel);
const system = await openSystemDb(config, logger, { migrate: config.migrations.onStart });
const services = await createServices(config, logger, system);
const app = await buildServer({ config, services });

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await app.close();
  await system.close();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

await app.listen({ host: config.http.host, port: config.http.port });
logger.info(`Datalinx system API listening on http://${config.http.host}:${config.http.port}`);
