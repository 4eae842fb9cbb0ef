import { randomBytes } from 'node:crypto';
import { systemScope, type AppServices } from '../../src/auth/scope.js';
import { loadConfig, type Config } from '../../src/config.js';
import { Keyring } from '../../src/crypto/keyring.js';
import type { UserRole, UserRow } from '../../src/db/tables/users.table.js';
import { issueTokens } from '../../src/sessions/session.manager.js';
import { createLogger } from '../../src/logger.js';
import * as organizations from '../../src/organizations/organization.manager.js';
import { insertUser } from '../../src/users/user.dao.js';
import { buildServer, type Server } from '../../src/server.js';
import { createServices } from '../../src/services.js';
import { createTestDb, type TestDb } from './test-db.js';
import type { PoolSettings } from '../../src/db/connection.js';
import { ServerLifecycle } from '../../src/lifecycle.js';
import { createMetrics } from '../../src/metrics/metrics.js';

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] };
}

/** A real server on a random loopback port, over this test file's own database. */
export interface TestServer {
  url: string;
  db: TestDb;
  services: AppServices;
  app: Server;
  config: Config;
  lifecycle: ServerLifecycle;
  /** POSTs a GraphQL request as JSON, with a bearer token when given. */
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, token?: string): Promise<GraphQLResponse<T>>;
  close(): Promise<void>;
}

/**
 * `logLines`, when given, receives every log line the server writes (JSON
 * strings), e.g. to prove secrets never reach the log.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  opts: { logLines?: string[]; pool?: Partial<PoolSettings>; metrics?: boolean } = {},
): Promise<TestServer> {
  const db = await createTestDb({ pool: opts.pool });
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    JWT_SECRET: randomBytes(32).toString('hex'),
    KEYRING: Keyring.generate('test-1').json,
    PORT: '0',
    ...env,
  });
  const logger = opts.logLines
    ? createLogger(env.LOG_LEVEL ?? 'debug', { write: (line: string) => void opts.logLines!.push(line) })
    : createLogger(config.logLevel);
  const services = await createServices(config, logger, db);
  const lifecycle = new ServerLifecycle();
  const metrics = opts.metrics ? createMetrics({ database: db, lifecycle }) : null;
  const app = await buildServer({ config, services, database: db, lifecycle, metrics });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    db,
    services,
    app,
    config,
    lifecycle,
    async gql(query, variables, token) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, headers: res.headers, body: (await res.json()) as GraphQLResponse['body'] } as never;
    },
    async close() {
      await app.close();
      await db.close();
    },
  };
}

export interface SeededOrg {
  id: string;
  slug: string;
  schema_name: string;
  users: Record<UserRole, { id: string; email: string; token: string }>;
}

/** An access token of a real session of the user (access tokens die with their session). */
export async function sessionToken(server: Pick<TestServer, 'services' | 'db'>, user: UserRow): Promise<string> {
  return (await issueTokens(systemScope(server.services, 'test'), server.db.db, user)).accessToken;
}

let orgCounter = 0;

/** An organization with one user of each role and a token for each. */
export async function seedOrganization(server: TestServer, slug = `org-${process.pid}-${++orgCounter}`): Promise<SeededOrg> {
  const org = await organizations.createOrganization(systemScope(server.services, 'test'), { name: `Org ${slug}`, slug });
  const users = {} as SeededOrg['users'];
  for (const role of ['viewer', 'editor', 'admin', 'owner'] as const) {
    const email = `${role}@${slug}.test`;
    const user = await insertUser(server.db.db, { organization_id: org.id, email, role, display_name: `${role} of ${slug}` });
    users[role] = { id: user.id, email, token: await sessionToken(server, user) };
  }
  return { id: org.id, slug: org.slug, schema_name: org.schema_name, users };
}
