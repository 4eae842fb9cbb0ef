import type { Server as HttpServer } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import fastifyApollo from '@as-integrations/fastify';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import { Counter, Gauge } from 'prom-client';
import type { Config } from './config.js';
import { createDatabaseProbe, isUnavailableError } from './db/availability.js';
import { scopedDb } from './db/connection.js';
import { abandonScope, DbWorkScope } from './db/work-scope.js';
import { ServiceUnavailableError } from './errors.js';
import { ExecutionGate } from './execution-gate.js';
import { GRAPHIQL_ASSETS_PREFIX, GRAPHIQL_CSP, graphiqlHtml, loadGraphiqlAssets } from './graphiql/graphiql.assets.js';
import { createApollo } from './graphql/apollo.js';
import { costGatePlugin } from './graphql/cost-gate.plugin.js';
import { classifyError, httpStatusOf, INTERNAL_ERROR_MESSAGE } from './graphql/error-policy.js';
import { rememberedSelectionCount, withinTokenBudget } from './graphql/request-rules.js';
import type { AppServices } from './auth/scope.js';
import type { SystemDb } from './db/system.js';
import { RequestLoaders, type GraphQLContext } from './graphql/context.js';
import { serviceUnavailablePlugin, unavailableGraphQLError } from './graphql/service-unavailable.plugin.js';
import { attachSubscriptionServer } from './graphql/subscription-server.js';
import { JobEventHub } from './live/job-event-hub.js';
import { ServerLifecycle } from './lifecycle.js';
import { metricsRoute, type Metrics } from './metrics/metrics.js';
import { authenticate } from './sessions/authentication.js';
import { SessionCache } from './sessions/session-cache.js';
import { sessionCachePlugin } from './graphql/session-cache.plugin.js';

export interface ServerDeps {
  config: Config;
  services: AppServices;
  /** Where the pool connects: readiness probes open connections of their own there. */
  database: Pick<SystemDb, 'url'>;
  /** Shared with main's shutdown; a fresh one when not given (tests). */
  lifecycle?: ServerLifecycle;
  metrics?: Metrics | null;
}

const GRAPHQL_PATH = '/graphql';

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return request.method === 'GET' && accept.includes('text/html') && !new URL(request.url, 'http://x').searchParams.has('query');
}

/**
 * What a failure while authenticating becomes: a bad credential is a 401; a
 * typed error keeps its code; anything else (the database failing) is logged
 * and answered like every other unexpected error, with the request id.
 */
function authenticationFailure(err: unknown, requestId: string, logger: FastifyBaseLogger): GraphQLError {
  const classified = classifyError(err);
  if (classified.kind === 'domain') {
    const { message, code } = classified.error;
    return new GraphQLError(message, { extensions: { code, http: { status: httpStatusOf(code) } } });
  }
  logger.error({ requestId, err: classified.kind === 'unexpected' ? classified.error : err }, 'unexpected error while authenticating');
  return new GraphQLError(INTERNAL_ERROR_MESSAGE, { extensions: { code: 'INTERNAL_SERVER_ERROR', requestId, http: { status: 500 } } });
}

/**
 * The per-request context: authenticates the caller (401 on a bad credential)
 * and gives the request its own loaders and limits. With a work scope (HTTP),
 * the request's database handle records its connections there, and the
 * services it passes on carry that handle.
 */
export async function createContext(
  config: Config,
  baseServices: AppServices,
  request: { requestId: string; clientAddress: string | null; authorization: string | undefined; logger: FastifyBaseLogger; dbScope?: DbWorkScope },
  sessions: SessionCache | null = null,
): Promise<GraphQLContext> {
  const { requestId, clientAddress, dbScope } = request;
  const services = dbScope ? { ...baseServices, system: { ...baseServices.system, db: scopedDb(baseServices.system.db, dbScope) } } : baseServices;
  let auth;
  try {
    auth = await authenticate({ db: services.system.db, tokens: services.tokens, sessions }, request.authorization);
  } catch (err) {
    if (err instanceof ServiceUnavailableError || isUnavailableError(err)) {
      throw unavailableGraphQLError(request.requestId, config.database.retryAfterSeconds);
    }
    throw authenticationFailure(err, requestId, request.logger);
  }
  return {
    requestId,
    clientAddress,
    logger: request.logger,
    services,
    ...(dbScope ? { dbScope } : {}),
    scope: auth ? { ...auth, services, requestId, clientAddress } : null,
    loaders: new RequestLoaders(),
    credentialChecks: 0,
    limits: auth
      ? { depth: config.graphql.limits.depth, complexity: config.graphql.limits.complexity }
      : { depth: config.graphql.anonymousLimits.depth, complexity: config.graphql.anonymousLimits.complexity, breadth: config.graphql.anonymousLimits.fields },
  };
}

/** From this many characters a response body is sent as bytes: see asBytes. */
const BODY_AS_BYTES_FROM = 8192;

/**
 * A large body as a Buffer. Node's HTTP response prepends its header to a
 * string body (`header + body`), and writing that joined string copies all of
 * it into the JavaScript heap again first: 93 KB a request on the SPA
 * dashboard, 1.5 MB on the 50×20×10 one, for the garbage collector. A Buffer
 * is written beside the header, and its bytes live outside the heap.
 */
function asBytes(payload: unknown): unknown {
  return typeof payload === 'string' && payload.length >= BODY_AS_BYTES_FROM ? Buffer.from(payload) : payload;
}

/**
 * A response without errors is sent once every resolver has finished: its
 * request's database handle goes back for the next request (connection.ts,
 * scopedDb). With errors it may not have: an error that nulls a non-null
 * parent answers while sibling resolvers still run (graphql-js and graphql-jit
 * stop waiting at the first rejection), and their statements must stay in
 * this request's scope, so its handle is left to the garbage collector.
 */
export const finishDbScope: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ contextValue, response }) {
        if (response.body.kind === 'single' && !response.body.singleResult.errors?.length) contextValue.dbScope?.finished();
      },
    };
  },
};

/** HTTP: GraphQL (Apollo on Fastify), GraphiQL from bundled assets, and health endpoints. */
export async function buildServer({ config, services, database, lifecycle = new ServerLifecycle(), metrics = null }: ServerDeps) {
  const { logger } = services;
  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: config.http.bodyLimitBytes,
    genReqId: () => crypto.randomUUID(),
    requestIdHeader: false,
    trustProxy: config.http.trustProxy,
    // Request logs name the path only: a query string can carry GraphQL variables (a password sent by GET).
    childLoggerFactory: (parent, bindings, opts) =>
      parent.child(bindings, { ...opts, serializers: { ...opts.serializers, req: (req: FastifyRequest) => ({ method: req.method, url: req.url.split('?')[0], remoteAddress: req.ip }) } }),
  });

  // Every GraphQL request's database work is scoped (src/db/work-scope.ts), so a timed-out
  // request, or one still running when the shutdown grace period ends, can be cancelled.
  const dbScopes = new WeakMap<FastifyRequest, DbWorkScope>();
  app.addHook('onRequest', (request, reply, done) => {
    const scope = new DbWorkScope();
    dbScopes.set(request, scope);
    lifecycle.inFlight.add(scope);
    reply.raw.once('close', () => lifecycle.inFlight.delete(scope));
    if (request.url.split('?')[0] === GRAPHQL_PATH) {
      const timer = setTimeout(() => {
        void abandonScope(scope);
        if (reply.sent) return;
        request.log.warn({ requestId: request.id }, 'GraphQL request timed out; its statements are cancelled');
        void reply
          .code(503)
          .header('x-request-id', request.id)
          .header('retry-after', String(config.database.retryAfterSeconds))
          .send({ errors: [{ message: 'The request took too long', extensions: { code: 'TIMEOUT', requestId: request.id } }] });
      }, config.graphql.limits.timeoutMs);
      reply.raw.once('close', () => clearTimeout(timer));
    }
    done();
  });
  if (metrics) app.addHook('onResponse', metrics.onResponse);

  // Malformed bodies and the like: a GraphQL-shaped error, nothing internal.
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err, requestId: request.id }, 'unhandled HTTP error');
    const CLIENT_MESSAGES: Record<string, string> = {
      FST_ERR_CTP_BODY_TOO_LARGE: `Request body is larger than ${config.http.bodyLimitBytes} bytes`,
      FST_ERR_CTP_INVALID_JSON_BODY: 'Request body is not valid JSON',
      FST_ERR_CTP_EMPTY_JSON_BODY: 'Request body is empty; send a JSON object with a "query"',
      FST_ERR_CTP_INVALID_MEDIA_TYPE: 'Unsupported content type: send application/json',
    };
    const message = status === 500 ? 'Internal server error' : (CLIENT_MESSAGES[err.code] ?? (status === 415 ? 'Unsupported content type: send application/json' : 'Malformed request'));
    void reply
      .code(status)
      .header('x-request-id', request.id)
      .send({ errors: [{ message, extensions: { code: status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST', requestId: request.id } }] });
  });

  // Every answer names its request, whatever route or failure produced it.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/.well-known/jwks.json', async (_req, reply) => reply.header('cache-control', 'public, max-age=300').send(services.tokens.jwks()));
  // Readiness answers within a second whatever the pool does: its probe has a connection of its own.
  const probe = createDatabaseProbe(database.url, 1000);
  app.addHook('onClose', () => probe.close());
  app.get('/readyz', async (_req, reply) => {
    if (lifecycle.draining) return reply.code(503).send({ status: 'draining' });
    if (await probe.check()) return { status: 'ready', database: 'reachable' };
    return reply.code(503).header('retry-after', String(config.database.retryAfterSeconds)).send({ status: 'unavailable', database: 'unreachable' });
  });
  // Metrics on the API port unless METRICS_PORT moves them; in production only behind METRICS_TOKEN.
  if (metrics && config.metrics.port === undefined && (config.metrics.token || !config.isProduction)) {
    await app.register(metricsRoute(metrics, config.metrics.token));
  }

  if (config.graphql.graphiql) {
    const assets = await loadGraphiqlAssets();
    const html = graphiqlHtml(GRAPHQL_PATH);
    const page = (_req: FastifyRequest, reply: FastifyReply) =>
      reply.header('content-security-policy', GRAPHIQL_CSP).type('text/html; charset=utf-8').send(html);
    app.get('/graphiql', page);
    app.get('/favicon.ico', (_req, reply) => reply.code(204).send());
    app.addHook('onRequest', async (request, reply) => {
      if (request.url.split('?')[0] === GRAPHQL_PATH && wantsHtml(request)) return page(request, reply);
    });
    app.get(`${GRAPHIQL_ASSETS_PREFIX}:file`, async (request, reply) => {
      const asset = assets.get((request.params as { file: string }).file);
      if (!asset) return reply.code(404).send({ error: 'not found' });
      return reply.type(asset.contentType).header('cache-control', 'public, max-age=3600').send(asset.body);
    });
  }

  // Without credentials, a document longer than the anonymous budget is refused
  // before it is parsed: sign-in and sign-up need little, so a large
  // anonymous query is only ever amplification.
  // Every document selecting more than GRAPHQL_MAX_SELECTIONS is refused before
  // validation, whose cost grows with the square of repeated selections.
  const selectionsOf = rememberedSelectionCount(config.graphql.limits.tokens);
  app.addHook('preHandler', async (request, reply) => {
    if (request.url.split('?')[0] !== GRAPHQL_PATH) return;
    const source = request.method === 'GET' ? request.query : request.body;
    const query = source && typeof source === 'object' ? (source as { query?: unknown }).query : undefined;
    if (typeof query !== 'string') return;
    const refuse = (message: string) => reply.code(400).send({ errors: [{ message, extensions: { code: 'QUERY_LIMIT' } }] });
    if (!request.headers.authorization) {
      const max = config.graphql.anonymousLimits.tokens;
      if (!withinTokenBudget(query, max)) return refuse(`A request without credentials may have at most ${max} tokens; sign in for more`);
    }
    const max = config.graphql.limits.selections;
    const n = selectionsOf(query);
    if (n !== null && n > max) return refuse(`The document makes ${n} selections; at most ${max} are allowed per request`);
  });

  // At most GRAPHQL_MAX_CONCURRENT requests execute at once (authentication included); the rest wait
  // their turn, still within GRAPHQL_TIMEOUT_MS. The slot is freed once the response body is
  // serialised (the objects it was built from are garbage then), not when a slow client has read it.
  const gate = new ExecutionGate(config.graphql.maxConcurrent);
  const turns = new WeakMap<FastifyRequest, ReturnType<ExecutionGate['enter']>>();
  app.addHook('preHandler', async (request, reply) => {
    if (request.url.split('?')[0] !== GRAPHQL_PATH || reply.sent) return;
    const turn = gate.enter();
    turns.set(request, turn);
    reply.raw.once('close', turn.abandon);
    await turn.ready;
  });
  app.addHook('onSend', async (request, _reply, payload) => {
    turns.get(request)?.release();
    return asBytes(payload);
  });
  const costGate = new ExecutionGate(config.graphql.maxConcurrentCost);
  if (metrics) {
    new Gauge({ name: 'datalinx_graphql_cost_executing', help: 'Query cost of the GraphQL operations executing now (at most GRAPHQL_MAX_CONCURRENT_COST).', registers: [metrics.registry], collect() { this.set(costGate.load); } });
    new Gauge({ name: 'datalinx_graphql_requests_executing', help: 'GraphQL requests executing now (at most GRAPHQL_MAX_CONCURRENT).', registers: [metrics.registry], collect() { this.set(gate.active); } });
    new Gauge({ name: 'datalinx_graphql_requests_waiting', help: 'GraphQL requests waiting for an execution slot.', registers: [metrics.registry], collect() { this.set(gate.queued); } });
  }

  // The process's one LISTEN connection: job events for live updates, credential notices for
  // them and for the session cache. It connects when the first watcher or subscriber needs it.
  const listener =
    config.subscriptions.enabled || config.sessionCache.ttlMs > 0
      ? new JobEventHub({
          // LISTEN needs a session of its own: not through a transaction-mode pooler.
          connectionString: config.database.directUrl ?? database.url,
          logger: services.logger,
          reconnect: config.subscriptions.reconnect,
          connectTimeoutMs: config.database.pool.connectionTimeoutMillis,
        })
      : null;
  const sessions = listener && config.sessionCache.ttlMs > 0 ? new SessionCache(listener, config.sessionCache) : null;
  if (metrics && sessions) {
    let counted = { hits: 0, misses: 0 };
    new Counter({
      name: 'datalinx_session_cache_lookups_total',
      help: 'Access tokens whose session was found remembered (hit) or checked in the database (miss).',
      labelNames: ['result'],
      registers: [metrics.registry],
      collect() {
        this.inc({ result: 'hit' }, sessions.hits - counted.hits);
        this.inc({ result: 'miss' }, sessions.misses - counted.misses);
        counted = { hits: sessions.hits, misses: sessions.misses };
      },
    });
    new Gauge({ name: 'datalinx_session_cache_entries', help: 'Sessions remembered now (at most SESSION_CACHE_MAX).', registers: [metrics.registry], collect() { this.set(sessions.size); } });
  }

  const apollo = createApollo({
    logger,
    introspection: config.graphql.introspection,
    hideSuggestions: config.isProduction,
    limits: config.graphql.limits,
    jit: config.graphql.jit,
    plugins: [
      serviceUnavailablePlugin(config.database.retryAfterSeconds),
      costGatePlugin(costGate),
      finishDbScope,
      ...(sessions ? [sessionCachePlugin(sessions)] : []),
      ...(metrics ? [metrics.apolloPlugin] : []),
    ],
  });
  await apollo.start();
  // Fastify's close waits for in-flight requests (src/lifecycle.ts); Apollo stops after them.
  app.addHook('onClose', async () => apollo.stop());
  await app.register(fastifyApollo(apollo), {
    path: GRAPHQL_PATH,
    context: async (request) =>
      createContext(
        config,
        services,
        { requestId: request.id, clientAddress: request.ip ?? null, authorization: request.headers.authorization, logger: request.log, dbScope: dbScopes.get(request) },
        sessions,
      ),
  });
  if (config.subscriptions.enabled && listener) {
    const live = attachLiveUpdates(app.server, app.log, { config, services, lifecycle, metrics }, listener, sessions);
    // Sockets first (before the HTTP server waits for its connections), the listener last.
    app.addHook('preClose', live.closeSockets);
  }
  if (listener) {
    app.addHook('onClose', async () => {
      sessions?.close();
      await listener.close();
    });
  }
  return app;
}

/**
 * Live updates: graphql-ws on the GraphQL path of the same port, fed by the
 * process's one job-events listener. On close, subscriptions end and sockets
 * close (1001) before the HTTP server waits for its requests; then the
 * listener's connection closes.
 */
function attachLiveUpdates(
  server: HttpServer,
  log: FastifyBaseLogger,
  { config, services, lifecycle, metrics }: Required<Omit<ServerDeps, 'metrics' | 'database'>> & { metrics: Metrics | null },
  jobEvents: JobEventHub,
  sessions: SessionCache | null,
) {
  const subscriptions = attachSubscriptionServer({
    server,
    path: GRAPHQL_PATH,
    logger: services.logger,
    limits: config.graphql.limits,
    subscriptions: config.subscriptions,
    maxPayloadBytes: config.http.bodyLimitBytes,
    hideSuggestions: config.isProduction,
    isDraining: () => lifecycle.draining,
    credentials: jobEvents,
    registry: metrics?.registry,
    createContext: async (request) => ({
      ...(await createContext(config, services, { ...request, logger: log.child({ requestId: request.requestId }) }, sessions)),
      jobEvents,
    }),
  });
  return { closeSockets: () => subscriptions.close() };
}

export type Server = Awaited<ReturnType<typeof buildServer>>;
