/**
 * `npm run bench:fastify`: measures the GraphQL server over real HTTP with autocannon,
 * on a real (embedded) PostgreSQL, to defend the HTTP integration choice:
 * the same schema, context and database served by Apollo on Fastify (what
 * `npm start` runs) and by Apollo's standalone server (node:http).
 *
 * BENCH_SECONDS (default 10) and BENCH_CONNECTIONS (default 20) tune the runs.
 * Results are printed and written to bench/results/http-integration-<date>.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile, chmod } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startStandaloneServer } from '@apollo/server/standalone';
import autocannon from 'autocannon';
import { systemScope } from '../src/auth/scope.js';
import { issueTokens } from '../src/sessions/session.manager.js';
import { loadConfig } from '../src/config.js';
import { Keyring } from '../src/crypto/keyring.js';
import { createDb, createPool } from '../src/db/connection.js';
import { startEmbeddedPostgres } from '../src/db/embedded.js';
import { readMigrations } from '../src/db/migration-files.js';
import { migrate } from '../src/db/migrator.js';
import { createApollo } from '../src/graphql/apollo.js';
import { createLogger } from '../src/logger.js';
import { createOrganization } from '../src/organizations/organization.manager.js';
import { buildServer, createContext } from '../src/server.js';
import { createServices } from '../src/services.js';
import { Tenant } from '../src/tenancy/tenant.js';
import { insertUser } from '../src/users/user.dao.js';
import { insertWorkspace } from '../src/workspaces/workspace.dao.js';
import { insertMapping } from '../src/mappings/mapping.dao.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);

const QUERIES = {
  'me (auth + 1 row)': '{ me { email } }',
  'dashboard (20 workspaces × 10 mappings)':
    '{ workspaces(first: 20) { totalCount edges { node { name mappings(first: 10) { totalCount edges { node { targetTable status } } } } } } }',
};

async function main() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'datalinx-bench-'));
  await chmod(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: 30000 + Math.floor(Math.random() * 10000), persistent: false });
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: randomBytes(32).toString('hex'),
    KEYRING: Keyring.generate('bench').json,
    ALLOW_SIGNUP: 'false',
    DATABASE_URL: pg.connectionString(),
  });
  const logger = createLogger('silent');
  const pool = createPool(pg.connectionString(), config.database.pool, logger);
  const db = createDb(pool);
  try {
    await migrate(db, { dir: 'migrations' });
    const services = await createServices(config, logger, { db, url: pg.connectionString(), migrations: await readMigrations('migrations') });
    const org = await createOrganization(systemScope(services, 'bench'), { name: 'Bench', slug: 'bench-org' });
    const user = await insertUser(db, { organization_id: org.id, email: 'bench@example.com', role: 'viewer' });
    const tenant = new Tenant(db, org);
    for (let w = 0; w < 20; w++) {
      const ws = await insertWorkspace(tenant.db, { name: `Workspace ${w}` });
      for (let m = 0; m < 10; m++) {
        await insertMapping(tenant.db, { workspace_id: ws.id, source_table: `src_${m}`, target_table: `dim_${m}`, field_mappings: { id: { source: 'id', transform: null } } });
      }
    }
    const { accessToken: token } = await issueTokens(systemScope(services, 'bench'), db, user);

    const fastify = await buildServer({ config, services, database: { url: pg.connectionString() } });
    await fastify.listen({ host: '127.0.0.1', port: 0 });
    const fastifyUrl = `http://127.0.0.1:${(fastify.server.address() as { port: number }).port}/graphql`;

    const standaloneApollo = createApollo({ logger, introspection: false, limits: config.graphql.limits });
    const { url: standaloneUrl } = await startStandaloneServer(standaloneApollo, {
      listen: { host: '127.0.0.1', port: 0 },
      context: async ({ req }) =>
        createContext(config, services, {
          requestId: randomBytes(8).toString('hex'),
          clientAddress: req.socket.remoteAddress ?? null,
          authorization: req.headers.authorization,
          logger: logger as never,
        }),
    });

    const servers = [
      ['fastify (@as-integrations/fastify)', fastifyUrl],
      ['standalone (node:http)', standaloneUrl],
    ] as const;
    const run = (url: string, query: string, duration: number) =>
      autocannon({
        url,
        method: 'POST',
        connections: CONNECTIONS,
        duration,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
    // Warm both servers (JIT, pool, plans) before anything is measured.
    for (const [, url] of servers) for (const query of Object.values(QUERIES)) await run(url, query, 2);

    const results: Record<string, unknown>[] = [];
    for (const [name, query] of Object.entries(QUERIES)) {
      // Alternate which server goes first, so neither gains from running second.
      for (const [server, url] of Object.keys(QUERIES).indexOf(name) % 2 ? [...servers].reverse() : servers) {
        const r = await autocannon({
          url,
          method: 'POST',
          connections: CONNECTIONS,
          duration: SECONDS,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query }),
        });
        const row = { query: name, server, 'req/s': Math.round(r.requests.average), 'p50 ms': r.latency.p50, 'p99 ms': r.latency.p99, errors: r.errors + r.non2xx };
        results.push(row);
        console.log(JSON.stringify(row));
      }
    }
    console.table(results);
    await mkdir('bench/results', { recursive: true });
    await writeFile(`bench/results/http-integration-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, JSON.stringify({ seconds: SECONDS, connections: CONNECTIONS, node: process.version, results }, null, 2));
    await fastify.close();
    await standaloneApollo.stop();
  } finally {
    await db.destroy();
    await pg.stop();
  }
}

await main();
