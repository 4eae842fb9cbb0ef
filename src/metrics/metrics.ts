import { timingSafeEqual } from 'node:crypto';
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import Fastify, { type FastifyPluginAsync, type FastifyReply, type FastifyRequest } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import pg from 'pg';
import { createDb } from '../db/connection.js';
import { latestAppliedVersion } from '../db/schema-version.dao.js';
import { countOrganizations } from '../organizations/organization.dao.js';
import type { SystemDb } from '../db/system.js';
import type { ServerLifecycle } from '../lifecycle.js';
import type { Logger } from '../logger.js';

/** Distinct operation names kept as label values; later ones count as "other". Names are client-chosen. */
const MAX_OPERATION_NAMES = 100;
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Organizations and the schema version are read at most this often, on a connection of their own. */
const DATABASE_FACTS_TTL_MS = 15_000;

/** Organizations and schema version on a one-connection pool of their own with 1 s timeouts: a scrape never waits for the main pool. */
async function readDatabaseFacts(url: string): Promise<{ organizations: number; version: string } | null> {
  const pool = new pg.Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 1000, query_timeout: 1000, application_name: 'datalinx-metrics' });
  pool.on('error', () => undefined);
  const db = createDb(pool);
  try {
    const [organizations, version] = await Promise.all([countOrganizations(db), latestAppliedVersion(db)]);
    return { organizations, version: version ?? 'none' };
  } catch {
    return null;
  } finally {
    await db.destroy();
  }
}

export type Outcome = 'success' | 'client_error' | 'server_error' | 'unavailable';

/** How a response's error codes sum up: the worst one wins. */
export function outcomeOf(codes: readonly string[]): Outcome {
  if (codes.includes('INTERNAL_SERVER_ERROR')) return 'server_error';
  if (codes.some((c) => c === 'SERVICE_UNAVAILABLE' || c === 'TIMEOUT')) return 'unavailable';
  return codes.length > 0 ? 'client_error' : 'success';
}

/**
 * The process's Prometheus metrics. Labels hold only bounded, non-tenant
 * values: HTTP route patterns, status codes, error codes, and operation names
 * (at most MAX_OPERATION_NAMES of them; anonymous and unparsed operations
 * collapse to "anonymous" / "invalid"). No organization name or id is a label.
 */
export function createMetrics(deps: { database: Pick<SystemDb, 'url' | 'pool'>; lifecycle: ServerLifecycle }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });

  const httpDuration = new Histogram({
    name: 'datalinx_http_request_duration_seconds',
    help: 'HTTP requests by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const httpRequests = new Counter({
    name: 'datalinx_http_requests_total',
    help: 'HTTP requests by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const operations = new Counter({
    name: 'datalinx_graphql_operations_total',
    help: 'GraphQL operations by name, type and outcome',
    labelNames: ['operation_name', 'operation_type', 'outcome'] as const,
    registers: [registry],
  });
  const operationDuration = new Histogram({
    name: 'datalinx_graphql_operation_duration_seconds',
    help: 'GraphQL operations by name, type and outcome (success, client_error, server_error, unavailable)',
    labelNames: ['operation_name', 'operation_type', 'outcome'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'datalinx_graphql_errors_total',
    help: 'GraphQL errors sent to clients, by code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const { pool } = deps.database;
  new Gauge({
    name: 'datalinx_db_pool_connections',
    help: 'Database pool connections: total, idle, and requests waiting for one',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  new Gauge({
    name: 'datalinx_draining',
    help: '1 while the process shuts down (readiness is 503)',
    registers: [registry],
    collect() {
      this.set(deps.lifecycle.draining ? 1 : 0);
    },
  });

  let facts: Promise<{ organizations: number; version: string } | null> | null = null;
  let factsAt = 0;
  const databaseFacts = () => {
    if (!facts || Date.now() - factsAt > DATABASE_FACTS_TTL_MS) {
      factsAt = Date.now();
      facts = readDatabaseFacts(deps.database.url);
    }
    return facts;
  };
  new Gauge({
    name: 'datalinx_organizations',
    help: 'Organizations (tenants) in the system database',
    registers: [registry],
    async collect() {
      const f = await databaseFacts();
      if (f) this.set(f.organizations);
    },
  });
  new Gauge({
    name: 'datalinx_schema_version_info',
    help: 'The newest applied migration version (value 1)',
    labelNames: ['version'] as const,
    registers: [registry],
    async collect() {
      const f = await databaseFacts();
      if (!f) return;
      this.reset();
      this.set({ version: f.version }, 1);
    },
  });

  const knownNames = new Set<string>();
  const operationLabel = (name: string | null | undefined, resolved: boolean) => {
    if (!resolved) return 'invalid';
    if (!name) return 'anonymous';
    if (knownNames.has(name)) return name;
    if (knownNames.size >= MAX_OPERATION_NAMES || name.length > 64) return 'other';
    knownNames.add(name);
    return name;
  };

  const apolloPlugin: ApolloServerPlugin<BaseContext> = {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      let name: string | null | undefined;
      let type = 'unknown';
      let resolved = false;
      return {
        async didResolveOperation(ctx) {
          resolved = true;
          name = ctx.operationName;
          type = ctx.operation?.operation ?? 'unknown';
        },
        async willSendResponse({ response }) {
          const formatted = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const codes = formatted.map((e) => String(e.extensions?.code ?? 'UNKNOWN'));
          for (const code of codes) errors.inc({ code });
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          const labels = { operation_name: operationLabel(name, resolved), operation_type: type, outcome: outcomeOf(codes) };
          operations.inc(labels);
          operationDuration.observe(labels, seconds);
        },
      };
    },
  };

  const onResponse = async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const labels = { method: request.method, route, status_code: String(reply.statusCode) };
    httpRequests.inc(labels);
    httpDuration.observe(labels, reply.elapsedTime / 1000);
  };

  return { registry, apolloPlugin, onResponse };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Bearer check in constant time; no token configured means open. */
export function metricsAuthorized(authorization: string | undefined, token: string | undefined): boolean {
  if (!token) return true;
  const given = Buffer.from(authorization?.startsWith('Bearer ') ? authorization.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A Fastify plugin serving GET /metrics, optionally behind a bearer token. */
export function metricsRoute(metrics: Metrics, token?: string): FastifyPluginAsync {
  return async (app) => {
    app.get('/metrics', async (request, reply) => {
      if (!metricsAuthorized(request.headers.authorization, token)) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'metrics need a bearer token' });
      }
      return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    });
  };
}

/** The metrics listener of METRICS_PORT: only /metrics, nothing of the API. */
export async function buildMetricsServer(metrics: Metrics, logger: Logger, token?: string) {
  const app = Fastify({ loggerInstance: logger.child({ component: 'metrics' }), disableRequestLogging: true });
  await app.register(metricsRoute(metrics, token));
  return app;
}
