import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded.js';

export interface ScratchDatabase {
  url: string;
  /** "embedded PostgreSQL" or the external server's host. */
  where: string;
  /** The embedded server's data directory (null for an external server). */
  dataDir: string | null;
  drop(): Promise<void>;
}

/**
 * A throwaway database for tooling and benchmarks: a temporary embedded
 * PostgreSQL, or with DATABASE_URL a new database on that server (dropped after).
 */
export async function openScratchDatabase(opts: { port?: number; postgresFlags?: string[] } = {}): Promise<ScratchDatabase> {
  const external = process.env.DATABASE_URL;
  if (external) {
    const name = `datalinx_scratch_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: external });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(external);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      where: url.host,
      dataDir: null,
      drop: async () => {
        const client = new pg.Client({ connectionString: external });
        await client.connect();
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await client.end();
      },
    };
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), 'datalinx-scratch-pg-'));
  await chmod(dir, 0o755); // the server runs as the postgres user, not root
  const port = opts.port ?? 30000 + Math.floor(Math.random() * 20000);
  const server = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port, persistent: false, postgresFlags: opts.postgresFlags });
  return {
    url: server.connectionString(),
    where: 'embedded PostgreSQL',
    dataDir: path.join(dir, 'pg'),
    drop: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
