import { AccessTokens, loadSigningKeys } from './auth/jwt.js';
import type { AppServices } from './auth/scope.js';
import { requireProductionSecrets, type Config } from './config.js';
import { connectorSettings } from './connectors/connector-settings.js';
import { JobQueue } from './jobs/job-queue.js';
import { loadKeyring } from './crypto/keyring.js';
import type { Logger } from './logger.js';

/**
 * The composition root: the long-lived services of one process (token signer,
 * credentials keyring, settings) over an open system database. The server, the
 * admin CLI and the tests all build them here.
 */
export async function createServices(config: Config, logger: Logger, system: AppServices['system'] & { url: string }): Promise<AppServices> {
  requireProductionSecrets(config);
  const [signing, keyring] = await Promise.all([loadSigningKeys(config, logger), loadKeyring(config, logger)]);
  return {
    system,
    tokens: new AccessTokens(signing, config.jwt),
    keyring,
    logger,
    settings: { allowSignup: config.allowSignup, refreshTokenTtlDays: config.refreshTokenTtlDays },
    connectors: connectorSettings(config.sources),
    jobQueue: new JobQueue(config.jobs, system.url, logger),
  };
}
