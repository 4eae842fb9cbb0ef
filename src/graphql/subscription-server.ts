import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { complexityFromQuery } from '@pothos/plugin-complexity';
import {
  createSourceEventStream,
  execute,
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFormattedError,
} from 'graphql';
import { CloseCode, type Context as WsContext } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { decodeJwt } from 'jose';
import { Gauge, type Registry } from 'prom-client';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Config } from '../config.js';
import { isUnavailableError } from '../db/availability.js';
import type { Logger } from '../logger.js';
import { requestValidationRules } from './apollo.js';
import { queryLimitError } from './builder.js';
import { RequestLoaders, type GraphQLContext } from './context.js';
import { classifyError, formatError, INTERNAL_ERROR_MESSAGE } from './error-policy.js';
import { selectionCount } from './request-rules.js';
import { schema } from './schema.js';

/** Close codes this endpoint uses (graphql-ws' own plus the WebSocket standard ones). */
export const WS_CLOSE = {
  /** connection_init without a token, a bad or revoked one, the access token expired, or the credential revoked or its role changed while open. */
  forbidden: CloseCode.Forbidden,
  /** The database could not be reached to check the token; retry. */
  tryAgainLater: 1013,
  /** The server is shutting down (or restarting). */
  goingAway: 1001,
  /** An unexpected failure while checking the token. */
  internalError: CloseCode.InternalServerError,
} as const;

/** setTimeout's largest delay; a token valid for longer is re-armed when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SubscriptionServerOptions {
  server: HttpServer;
  path: string;
  logger: Logger;
  limits: Config['graphql']['limits'];
  subscriptions: Config['subscriptions'];
  maxPayloadBytes: number;
  hideSuggestions: boolean;
  /** The context of a connection for its Authorization value, exactly as an HTTP request gets it; throws like it. */
  createContext(request: { requestId: string; clientAddress: string | null; authorization: string }): Promise<GraphQLContext>;
  /** True while the process drains: new sockets are refused. */
  isDraining(): boolean;
  /** Credential changes (src/live): each open socket of the organization is checked again when told. */
  credentials?: { watchCredentials(watcher: (organizationId: string | null) => void): () => void };
  registry?: Registry | null;
}

type ConnectionExtra = {
  requestId: string;
  context: GraphQLContext;
  expiry: NodeJS.Timeout;
  /** The connection_init credential, checked again when the organization's credentials change. */
  authorization: string;
  organizationId: string;
};
type Ctx = WsContext<Record<string, unknown> | undefined, Extra & Partial<ConnectionExtra>>;

const pathOf = (url: string | undefined) => (url ?? '').split('?')[0];

/** The connection_init payload's token: `{ authorization: "Bearer …" }` (any case of the key, as HTTP headers). */
function authorizationOf(params: Record<string, unknown> | undefined): string | undefined {
  for (const [key, value] of Object.entries(params ?? {})) {
    if (key.toLowerCase() === 'authorization' && typeof value === 'string' && value.trim() !== '') return value;
  }
  return undefined;
}

/** When a bearer JWT expires (already verified by authenticate); null for an API key, which does not. */
function expiresAt(authorization: string): number | null {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization.trim())?.[1];
  if (!token || token.startsWith('dlx_')) return null;
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' ? exp * 1000 : null;
  } catch {
    return null;
  }
}

/** The client code a failure to authenticate maps to (as over HTTP). */
function errorCodeOf(err: unknown): string {
  const classified = classifyError(err);
  return classified.kind === 'domain' ? classified.error.code : classified.kind !== 'unexpected' ? classified.code : 'INTERNAL_SERVER_ERROR';
}

/** Who a context acts as, with which role: a socket whose credential now says otherwise is closed. */
const identityOf = (context: GraphQLContext) => {
  const actor = context.scope?.actor;
  return actor ? `${actor.kind}:${'id' in actor ? actor.id : ''}:${'role' in actor ? actor.role : ''}` : null;
};

/** A request error (parse, validation, variables) keeps its message and gets the code Apollo gives it over HTTP. */
const requestError = (err: GraphQLError, code: string) =>
  err.extensions?.code ? err : new GraphQLError(err.message, { nodes: err.nodes, source: err.source, positions: err.positions, extensions: { ...err.extensions, code } });

/**
 * The source stream's events, each executed with a context of its own (fresh
 * loaders, so no event is answered from an earlier one's cache).
 */
type ResultStream = AsyncIterableIterator<ExecutionResult> & Required<Pick<AsyncIterableIterator<ExecutionResult>, 'return' | 'throw'>>;

function executePerEvent(stream: AsyncIterator<unknown>, args: ExecutionArgs, base: GraphQLContext): ResultStream {
  const iterator: ResultStream = {
    async next() {
      const event = await stream.next();
      if (event.done) return { value: undefined, done: true };
      const contextValue: GraphQLContext = { ...base, loaders: new RequestLoaders(), credentialChecks: 0 };
      return { value: await execute({ ...args, rootValue: event.value, contextValue }), done: false };
    },
    async return() {
      await stream.return?.();
      return { value: undefined, done: true };
    },
    async throw(err: unknown) {
      await stream.return?.();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

async function subscribePerEvent(args: ExecutionArgs): Promise<ResultStream | ExecutionResult> {
  const stream = await createSourceEventStream(args);
  if (!(Symbol.asyncIterator in Object(stream))) {
    // Before any resolver ran (variables): the client's mistake, like BAD_USER_INPUT over HTTP.
    const result = stream as ExecutionResult;
    return { ...result, errors: result.errors?.map((e) => (e.path ? e : requestError(e, 'BAD_USER_INPUT'))) };
  }
  return executePerEvent((stream as AsyncIterable<unknown>)[Symbol.asyncIterator](), args, args.contextValue as GraphQLContext);
}

/**
 * GraphQL subscriptions over WebSocket (graphql-ws protocol) on the HTTP
 * server's own port and GraphQL path. The token in connection_init's payload
 * is checked with the same `authenticate` as HTTP; the socket is closed when
 * the access token expires. Documents get HTTP's parse limit, validation
 * rules, depth/complexity limits and error masking. Only subscriptions are
 * served here: queries and mutations stay on HTTP.
 */
export function attachSubscriptionServer(opts: SubscriptionServerOptions): { close(): Promise<void>; connections(): number } {
  const { logger, limits } = opts;
  const wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayloadBytes });
  let activeSubscriptions = 0;

  // Open sockets per organization, re-checked when its credentials change (a revoked session or key,
  // a changed role): the same check as connection_init, so a socket never outlives its credential.
  const byOrganization = new Map<string, Set<Ctx>>();
  let unwatch: (() => void) | null = null;
  const rechecking = new Map<string, boolean>();
  const recheckSocket = async (ctx: Ctx): Promise<void> => {
    const { socket, request, authorization, context, requestId } = ctx.extra;
    if (!authorization || !context || socket.readyState !== socket.OPEN) return;
    try {
      const fresh = await opts.createContext({ requestId: requestId!, clientAddress: request.socket.remoteAddress ?? null, authorization });
      if (identityOf(fresh) !== identityOf(context)) socket.close(WS_CLOSE.forbidden, 'Permissions changed; reconnect');
    } catch (err) {
      const code = errorCodeOf(err);
      if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') socket.close(WS_CLOSE.forbidden, 'Credentials revoked');
      // Not known to be valid still: the client reconnects, and connection_init checks it again.
      else socket.close(WS_CLOSE.tryAgainLater, 'Service unavailable; retry shortly');
    }
  };
  /** Re-checks an organization's sockets (all after a reconnect); a change during a check runs one more. */
  const recheck = (organizationId: string | null): void => {
    const orgs = organizationId === null ? [...byOrganization.keys()] : [organizationId];
    for (const org of orgs) {
      if (!byOrganization.has(org)) continue;
      if (rechecking.has(org)) {
        rechecking.set(org, true);
        continue;
      }
      rechecking.set(org, false);
      void (async () => {
        do {
          rechecking.set(org, false);
          await Promise.all([...(byOrganization.get(org) ?? [])].map(recheckSocket));
        } while (rechecking.get(org));
        rechecking.delete(org);
      })();
    }
  };
  const track = (ctx: Ctx, organizationId: string) => {
    let set = byOrganization.get(organizationId);
    if (!set) byOrganization.set(organizationId, (set = new Set()));
    set.add(ctx);
    unwatch ??= opts.credentials?.watchCredentials(recheck) ?? null;
  };
  const untrack = (ctx: Ctx) => {
    const org = ctx.extra.organizationId;
    const set = org ? byOrganization.get(org) : undefined;
    set?.delete(ctx);
    if (org && set?.size === 0) byOrganization.delete(org);
  };

  const format = (ctx: Ctx, errors: readonly GraphQLError[]): GraphQLFormattedError[] =>
    errors.map((err) => {
      const unavailable = isUnavailableError(err.originalError);
      const error = unavailable ? new GraphQLError('The database is unavailable; try again shortly', { extensions: { code: 'SERVICE_UNAVAILABLE' } }) : err;
      const classified = classifyError(error);
      const requestId = ctx.extra.requestId;
      if (classified.kind === 'unexpected') logger.error({ requestId, err: classified.error, path: err.path }, 'unexpected error in a subscription');
      const formatted = formatError(error.toJSON(), error);
      const message = opts.hideSuggestions ? formatted.message.replace(/ *Did you mean [^?]*\?/g, '') : formatted.message;
      const masked = formatted.message === INTERNAL_ERROR_MESSAGE;
      return { ...formatted, message, ...(masked ? { extensions: { ...formatted.extensions, requestId } } : {}) };
    });

  const disposable = useServer<Record<string, unknown> | undefined, ConnectionExtra>(
    {
      schema,
      isProd: true,
      connectionInitWaitTimeout: opts.subscriptions.initTimeoutMs,
      subscribe: subscribePerEvent,
      onConnect: async (ctx: Ctx) => {
        const requestId = randomUUID();
        ctx.extra.requestId = requestId;
        const authorization = authorizationOf(ctx.connectionParams);
        if (!authorization) return false;
        const { socket, request } = ctx.extra;
        let context: GraphQLContext;
        try {
          context = await opts.createContext({ requestId, clientAddress: request.socket.remoteAddress ?? null, authorization });
        } catch (err) {
          const code = errorCodeOf(err);
          if (code === 'UNAUTHENTICATED' || code === 'FORBIDDEN') return false;
          if (code === 'SERVICE_UNAVAILABLE') socket.close(WS_CLOSE.tryAgainLater, 'Service unavailable; retry shortly');
          else socket.close(WS_CLOSE.internalError, 'Internal server error');
          return false;
        }
        if (!context.scope) return false;
        ctx.extra.context = { ...context, requestId };
        ctx.extra.authorization = authorization;
        ctx.extra.organizationId = context.scope.tenant.organizationId;
        track(ctx, context.scope.tenant.organizationId);
        const exp = expiresAt(authorization);
        if (exp !== null) {
          const arm = () => {
            const left = exp - Date.now();
            if (left <= 0) return socket.close(WS_CLOSE.forbidden, 'Token expired');
            ctx.extra.expiry = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
            ctx.extra.expiry.unref();
          };
          arm();
        }
        logger.debug({ requestId, organizationId: context.scope.tenant.organizationId }, 'subscription socket connected');
        return true;
      },
      onSubscribe: (ctx: Ctx, _id, payload) => {
        const context = ctx.extra.context!;
        // This one is already reserved among them.
        const max = opts.subscriptions.maxPerSocket;
        if (Object.keys(ctx.subscriptions).length > max) {
          return [new GraphQLError(`At most ${max} subscriptions may run on one connection; complete one first`, { extensions: { code: 'QUERY_LIMIT' } })];
        }
        // As over HTTP: a document of too many selections is refused before validation (whose cost grows with their square).
        const selections = selectionCount(payload.query, limits.tokens);
        if (selections !== null && selections > limits.selections) {
          return [new GraphQLError(`The document makes ${selections} selections; at most ${limits.selections} are allowed per request`, { extensions: { code: 'QUERY_LIMIT' } })];
        }
        let document: DocumentNode;
        try {
          document = parse(payload.query, { maxTokens: limits.tokens });
        } catch (err) {
          return [requestError(err as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
        }
        const invalid = validate(schema, document, [...specifiedRules, ...requestValidationRules(limits)]);
        if (invalid.length > 0) return invalid.map((e) => requestError(e, 'GRAPHQL_VALIDATION_FAILED'));
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [new GraphQLError('Name the operation to run (operationName)', { extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } })];
        if (operation.operation !== 'subscription') {
          return [new GraphQLError('Only subscriptions are served over WebSocket; send queries and mutations over HTTP', { extensions: { code: 'BAD_REQUEST' } })];
        }
        // Checked once, before the subscription starts (the complexity plugin checks again at each event).
        const variables = payload.variables ?? {};
        let cost: { depth: number; breadth: number; complexity: number };
        try {
          cost = complexityFromQuery(document, { schema, ctx: context, variables });
        } catch {
          // Variables that do not fit: execution refuses them (BAD_USER_INPUT) before any resolver runs.
          return { schema, document, operationName: payload.operationName, variableValues: variables, contextValue: context };
        }
        const limit = context.limits;
        const kind = cost.depth > limit.depth ? 'Depth' : limit.breadth !== undefined && cost.breadth > limit.breadth ? 'Breadth' : cost.complexity > limit.complexity ? 'Complexity' : null;
        if (kind) {
          const error = queryLimitError(kind, { ...cost, maxDepth: limit.depth, maxBreadth: limit.breadth, maxComplexity: limit.complexity });
          return [new GraphQLError(error.message, { extensions: { code: error.code } })];
        }
        return { schema, document, operationName: payload.operationName, variableValues: variables, contextValue: context };
      },
      onOperation: () => {
        activeSubscriptions++;
      },
      onComplete: () => {
        activeSubscriptions = Math.max(0, activeSubscriptions - 1);
      },
      onNext: (ctx: Ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: format(ctx, result.errors) } : undefined),
      onError: (ctx: Ctx, _id, _payload, errors) => format(ctx, errors),
      onClose: (ctx: Ctx, code) => {
        if (ctx.extra.expiry) clearTimeout(ctx.extra.expiry);
        untrack(ctx);
        logger.debug({ requestId: ctx.extra.requestId, code }, 'subscription socket closed');
      },
    },
    wss,
    opts.subscriptions.keepAliveMs,
  );

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (pathOf(request.url) !== opts.path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (opts.isDraining()) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  opts.server.on('upgrade', onUpgrade);

  if (opts.registry) {
    new Gauge({ name: 'datalinx_websocket_connections', help: 'Open GraphQL WebSocket connections.', registers: [opts.registry], collect() { this.set(wss.clients.size); } });
    new Gauge({ name: 'datalinx_graphql_subscriptions', help: 'GraphQL subscriptions running.', registers: [opts.registry], collect() { this.set(activeSubscriptions); } });
  }

  return {
    connections: () => wss.clients.size,
    /** Ends every subscription and closes every socket (1001 Going away); a socket that does not answer is cut after a second. */
    async close() {
      opts.server.off('upgrade', onUpgrade);
      unwatch?.();
      const sockets: WebSocket[] = [...wss.clients];
      // dispose() closes every socket with 1001 and resolves once all have closed.
      const disposed = disposable.dispose();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([disposed, new Promise((resolve) => (timer = setTimeout(resolve, 1000)))]);
      clearTimeout(timer);
      for (const s of sockets) if (s.readyState !== s.CLOSED) s.terminate();
      await disposed;
    },
  };
}
