import { randomBytes } from 'node:crypto';
import type { AppServices } from '../../src/auth/scope.js';
import { loadConfig, type Config } from '../../src/config.js';
import { Keyring } from '../../src/crypto/keyring.js';
import { createLogger } from '../../src/logger.js';
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
    // Security tests call every mutation many times from one organization; rate-limit tests set their own.
    SOURCE_CONNECT_RATE_LIMIT: '0',
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
      await services.jobQueue.close();
      await db.close();
    },
  };
}
