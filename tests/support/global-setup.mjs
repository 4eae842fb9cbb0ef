import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';

/**
 * One real PostgreSQL for the whole run; each test file creates its own
 * database in it (tests/support/test-db.ts). Jest loads global setup outside
 * its transform, so the TypeScript module is imported through tsx.
 */
export default async function globalSetup() {
  const { startEmbeddedPostgres } = await tsImport('../../src/db/embedded.ts', import.meta.url);
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'datalinx-test-pg-'));
  await chmod(dataDir, 0o755); // the server runs as the postgres user, not root
  const port = 20000 + Math.floor(Math.random() * 20000);
  const server = await startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), port, persistent: false });
  process.env.DATALINX_TEST_PG_URL = server.connectionString();
  globalThis.__datalinxPg = server;
  globalThis.__datalinxPgFolder = dataDir;
}
