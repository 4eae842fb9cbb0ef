import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { Keyring } from '../../src/crypto/keyring.js';
import { openSystemDb, type SystemDb } from '../../src/db/system.js';
import { createLogger } from '../../src/logger.js';
import { buildServer, type Server } from '../../src/server.js';
import { createServices } from '../../src/services.js';
import { signUp } from '../support/api-process.js';
import { startPgBouncer, pgbouncerInstalled, PGBOUNCER, type Bouncer } from '../support/pgbouncer.js';
import { createEmptyDatabase } from '../support/test-db.js';

/**
 * PgBouncer in transaction pooling: migrations (their advisory lock on
 * DATABASE_DIRECT_URL, their transactions through the pooler), sign-up, and
 * tenant reads and writes from several API processes' pools interleaving
 * organizations over three shared server connections.
 */
const describeIfBouncer = pgbouncerInstalled() ? describe : describe.skip;
if (!pgbouncerInstalled()) console.warn(`${PGBOUNCER} is not installed: skipping the PgBouncer test (apt-get install pgbouncer; CI installs it)`);

const logger = createLogger('silent');
let bouncer: Bouncer;
let directUrl: string;
const env = () => ({
  NODE_ENV: 'test' as const,
  LOG_LEVEL: 'silent',
  DATABASE_URL: bouncer.url(directUrl),
  DATABASE_DIRECT_URL: directUrl,
  DB_POOL_MIN: '0',
  DB_POOL_MAX: '4',
  DB_STATEMENT_TIMEOUT_MS: '0',
  JWT_SECRET: jwtSecret,
  KEYRING: keyringJson,
  ALLOW_SIGNUP: 'true',
});
const jwtSecret = randomBytes(32).toString('hex');
const keyringJson = Keyring.generate('k1').json;
const apis: { system: SystemDb; app: Server; url: string }[] = [];

describeIfBouncer('through PgBouncer in transaction mode', () => {
  beforeAll(async () => {
    directUrl = (await createEmptyDatabase()).url;
    bouncer = await startPgBouncer(directUrl, 3);
    // The first process migrates the empty database through the pooler.
    for (let i = 0; i < 3; i++) {
      const config = loadConfig(env());
      const system = await openSystemDb(config, logger, { migrate: i === 0 });
      const app = await buildServer({ config, services: await createServices(config, logger, system), database: system });
      await app.listen({ host: '127.0.0.1', port: 0 });
      apis.push({ system, app, url: `http://127.0.0.1:${(app.server.address() as { port: number }).port}` });
    }
  });
  afterAll(async () => {
    for (const api of apis) {
      await api.app.close();
      await api.system.close();
    }
    await bouncer?.stop();
  });

  const gql = async <T>(url: string, query: string, variables: Record<string, unknown>, token?: string) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as { data?: T; errors?: unknown[] };
  };

  it('signs up, and keeps tenants apart while three API pools interleave them over shared server connections', async () => {
    const slugs = ['bouncer-a', 'bouncer-b', 'bouncer-c'];
    const tokens = await Promise.all(slugs.map((slug, i) => signUp({ gql: (q, v, t) => gql(apis[i]!.url, q, v ?? {}, t).then((body) => ({ status: 200, headers: new Headers(), body: body as never })) }, slug)));

    const writes = [];
    for (let round = 0; round < 4; round++) {
      for (const api of apis) {
        for (const [i, slug] of slugs.entries()) {
          writes.push(
            gql<{ createWorkspace: { workspace: { name: string } } }>(
              api.url,
              'mutation ($name: String!) { createWorkspace(input: { name: $name }) { ... on CreateWorkspacePayload { workspace { name } } ... on Error { message } } }',
              { name: `${slug} ${round} ${api.url}` },
              tokens[i],
            ),
          );
        }
      }
    }
    const created = await Promise.all(writes);
    expect(created.filter((r) => r.errors || !r.data?.createWorkspace.workspace)).toEqual([]);

    for (const api of apis) {
      const reads = await Promise.all(
        tokens.map((token) => gql<{ organization: { slug: string }; workspaces: { totalCount: number; edges: { node: { name: string } }[] } }>(api.url, '{ organization { slug } workspaces(first: 100) { totalCount edges { node { name } } } }', {}, token)),
      );
      for (const [i, read] of reads.entries()) {
        expect(read.data?.organization.slug).toBe(slugs[i]);
        expect(read.data?.workspaces.totalCount).toBe(12);
        expect(read.data?.workspaces.edges.every((e) => e.node.name.startsWith(`${slugs[i]} `))).toBe(true);
      }
    }

    // Three server connections served every client: that is what transaction pooling is for.
    const admin = new pg.Client({ connectionString: directUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ pooled: number; listening: number }>(
        `select count(*) filter (where application_name <> 'datalinx-job-events')::int as pooled,
                count(*) filter (where application_name = 'datalinx-job-events')::int as listening
           from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'`,
      );
      expect(rows[0]!.pooled).toBeLessThanOrEqual(3);
      // Besides, each API process's one LISTEN connection (credential notices, live updates): direct, as LISTEN needs a session.
      expect(rows[0]!.listening).toBe(apis.length);
    } finally {
      await admin.end();
    }
  });

  it('applies a new tenant migration to every organization through the pooler', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'datalinx-migrations-'));
    await cp('migrations', dir, { recursive: true });
    const latest = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort((a, b) => a.localeCompare(b, undefined, { numeric: true })).at(-1)!;
    const from = /_to_v(\d+)\.(\d+)\.(\d+)_/.exec(latest)!;
    const next = `${from[1]}.${from[2]}.${Number(from[3]) + 1}`;
    await writeFile(
      path.join(dir, `v${from[1]}.${from[2]}.${from[3]}_to_v${next}_bouncer_probe.sql`),
      '-- A probe column added through PgBouncer.\n\n-- target: tenant\nALTER TABLE workspaces ADD COLUMN bouncer_probe text;\n',
    );
    const system = await openSystemDb(loadConfig({ ...env(), MIGRATIONS_DIR: dir }), logger, { migrate: true });
    await system.close();

    const admin = new pg.Client({ connectionString: directUrl });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ table_schema: string }>(`select table_schema from information_schema.columns where column_name = 'bouncer_probe' order by 1`);
      expect(rows.map((r) => r.table_schema)).toEqual(['org_bouncer_a', 'org_bouncer_b', 'org_bouncer_c']);
      const versions = await admin.query<{ n: number }>(`select count(*)::int as n from datalinx_platform.tenant_schema_version where version = $1`, [next]);
      expect(versions.rows[0]!.n).toBe(3);
    } finally {
      await admin.end();
    }
  });
});
