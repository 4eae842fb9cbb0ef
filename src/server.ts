import Fastify from 'fastify';
import { sql } from 'kysely';
import type { Config } from './config.js';
import type { SystemDb } from './db/system.js';
import type { Logger } from './logger.js';

export interface ServerDeps {
  config: Config;
  logger: Logger;
  system: SystemDb;
}

/** Builds the HTTP server: health endpoints now, the GraphQL API on top. */
export async function buildServer(deps: ServerDeps) {
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: deps.config.http.bodyLimitBytes,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    try {
      await sql`select 1`.execute(deps.system.db);
      return { status: 'ready', database: 'reachable' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: 'unreachable' });
    }
  });
  return app;
}

export type Server = Awaited<ReturnType<typeof buildServer>>;
