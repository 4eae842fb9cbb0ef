import fastifyApollo, { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { GraphQLError } from 'graphql';
import { sql } from 'kysely';
import type { Config } from './config.js';
import { GRAPHIQL_ASSETS_PREFIX, GRAPHIQL_CSP, graphiqlHtml, loadGraphiqlAssets } from './graphiql/graphiql.assets.js';
import { createApollo } from './graphql/apollo.js';
import { classifyError, httpStatusOf, INTERNAL_ERROR_MESSAGE } from './graphql/error-policy.js';
import { withinTokenBudget } from './graphql/request-rules.js';
import type { AppServices } from './auth/scope.js';
import { RequestLoaders, type GraphQLContext } from './graphql/context.js';
import { authenticate } from './sessions/authentication.js';

export interface ServerDeps {
  config: Config;
  services: AppServices;
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
 * and gives the request its own loaders and limits.
 */
export async function createContext(
  config: Config,
  services: AppServices,
  request: { requestId: string; clientAddress: string | null; authorization: string | undefined; logger: FastifyBaseLogger },
): Promise<GraphQLContext> {
  const { requestId, clientAddress } = request;
  let auth;
  try {
    auth = await authenticate({ db: services.system.db, tokens: services.tokens }, request.authorization);
  } catch (err) {
    throw authenticationFailure(err, requestId, request.logger);
  }
  return {
    requestId,
    clientAddress,
    logger: request.logger,
    services,
    scope: auth ? { ...auth, services, requestId, clientAddress } : null,
    loaders: new RequestLoaders(),
    credentialChecks: 0,
    limits: auth
      ? { depth: config.graphql.limits.depth, complexity: config.graphql.limits.complexity }
      : { depth: config.graphql.anonymousLimits.depth, complexity: config.graphql.anonymousLimits.complexity, breadth: config.graphql.anonymousLimits.fields },
  };
}

/** HTTP: GraphQL (Apollo on Fastify), GraphiQL from bundled assets, and health endpoints. */
export async function buildServer({ config, services }: ServerDeps) {
  const { logger, system } = services;
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
  app.get('/readyz', async (_req, reply) => {
    try {
      await sql`select 1`.execute(system.db);
      return { status: 'ready', database: 'reachable' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: 'unreachable' });
    }
  });

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

  // A request that runs past the limit gets a 503; the statement timeout
  // (DB_STATEMENT_TIMEOUT_MS) ends its database work.
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.split('?')[0] !== GRAPHQL_PATH) return;
    const timer = setTimeout(() => {
      if (reply.sent) return;
      request.log.warn({ requestId: request.id }, 'GraphQL request timed out');
      void reply
        .code(503)
        .header('x-request-id', request.id)
        .send({ errors: [{ message: 'The request took too long', extensions: { code: 'TIMEOUT', requestId: request.id } }] });
    }, config.graphql.limits.timeoutMs);
    reply.raw.once('close', () => clearTimeout(timer));
  });

  // Without credentials, a document longer than the anonymous budget is refused
  // before it is parsed: sign-in and sign-up need little, so a large
  // anonymous query is only ever amplification.
  app.addHook('preHandler', async (request, reply) => {
    if (request.url.split('?')[0] !== GRAPHQL_PATH || request.headers.authorization) return;
    const source = request.method === 'GET' ? request.query : request.body;
    const query = source && typeof source === 'object' ? (source as { query?: unknown }).query : undefined;
    const max = config.graphql.anonymousLimits.tokens;
    if (typeof query !== 'string' || withinTokenBudget(query, max)) return;
    return reply.code(400).send({
      errors: [{ message: `A request without credentials may have at most ${max} tokens; sign in for more`, extensions: { code: 'QUERY_LIMIT' } }],
    });
  });

  const apollo = createApollo({
    logger,
    introspection: config.graphql.introspection,
    hideSuggestions: config.isProduction,
    limits: config.graphql.limits,
    jit: config.graphql.jit,
    plugins: [fastifyApolloDrainPlugin(app)],
  });
  await apollo.start();
  await app.register(fastifyApollo(apollo), {
    path: GRAPHQL_PATH,
    context: async (request) =>
      createContext(config, services, { requestId: request.id, clientAddress: request.ip ?? null, authorization: request.headers.authorization, logger: request.log }),
  });
  return app;
}

export type Server = Awaited<ReturnType<typeof buildServer>>;
