import { AccessTokens, loadSigningKeys } from './auth/jwt.js';
import type { Config } from './config.js';
import { loadKeyring } from './crypto/keyring.js';
import type { SystemDb } from './db/system.js';
import type { AppServices } from './graphql/context.js';
import type { Logger } from './logger.js';

/** The long-lived services of one process: database, token signer, credentials keyring. */
export async function createServices(config: Config, logger: Logger, system: SystemDb): Promise<AppServices> {
  const [secret, keyring] = await Promise.all([
    loadSigningKeys(config, logger),
    loadKeyring(
      { keyringJson: config.keyring.json, keyringFile: config.keyring.file, dataDir: config.dataDir, isProduction: config.isProduction },
      logger,
    ),
  ]);
  return {
    system,
    tokens: new AccessTokens(secret, config.jwt),
    keyring,
    logger,
    settings: { allowSignup: config.allowSignup, refreshTokenTtlDays: config.refreshTokenTtlDays },
  };
}
