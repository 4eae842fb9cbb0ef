import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import type { Config } from '../config.js';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { GraphQLError } from 'graphql';
import { toDomainError } from '../db/pg-errors.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { GraphQLContext } from './context.js';
import { schema } from './schema.js';

export const INTERNAL_ERROR_MESSAGE = 'Internal server error';

/**
 * What a client may see of an error: domain errors and GraphQL's own request
 * errors keep their message; anything else becomes "Internal server error"
 * (with the request id added by the masking plugin), never SQL or a stack.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  // A driver error about bad input (e.g. a NUL in a filter) is the client's, not ours.
  const original = toDomainError(unwrapResolverError(error));
  if (original instanceof DomainError) {
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: {
        code: original.code,
        ...(original instanceof ValidationError ? { path: original.path } : {}),
      },
    };
  }
  // Parse/validation errors of the request, Pothos' own input errors and
  // GraphQLErrors thrown on purpose: safe, written for clients.
  if (original instanceof GraphQLError && !(original.originalError && !(original.originalError instanceof GraphQLError))) {
    const code = (formatted.extensions?.code as string | undefined) ?? 'BAD_USER_INPUT';
    const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions: { ...extensions, code } };
  }
  return { message: INTERNAL_ERROR_MESSAGE, locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

/** Logs unexpected errors with their stack and tags the masked ones with the request id. */
function errorLoggingPlugin(logger: Logger): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const err of errors) {
            const original = toDomainError(unwrapResolverError(err));
            const expected = original instanceof DomainError || (original instanceof GraphQLError && !original.originalError);
            if (!expected) {
              logger.error({ requestId: contextValue.requestId, err: original, path: err.path }, 'unexpected error while resolving');
            }
          }
        },
        async willSendResponse({ response, contextValue }) {
          response.http.headers.set('x-request-id', contextValue.requestId);
          if (response.body.kind !== 'single') return;
          for (const e of response.body.singleResult.errors ?? []) {
            if (e.extensions?.code === 'INTERNAL_SERVER_ERROR') {
              (e as { extensions: Record<string, unknown> }).extensions = { ...e.extensions, requestId: contextValue.requestId };
            }
          }
        },
      };
    },
  };
}

export interface ApolloOptions {
  logger: Logger;
  introspection: boolean;
  plugins?: ApolloServerPlugin<GraphQLContext>[];
  hideSuggestions?: boolean;
  limits: Config['graphql']['limits'];
}

/** Drops graphql-js' "Did you mean …?" hints, which name schema members. */
const withoutSuggestions = (e: GraphQLFormattedError): GraphQLFormattedError => ({ ...e, message: e.message.replace(/ *Did you mean [^?]*\?/g, '') });

export function createApollo(opts: ApolloOptions): ApolloServer<GraphQLContext> {
  return new ApolloServer<GraphQLContext>({
    schema,
    introspection: opts.introspection,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // Shutdown is ours (src/lifecycle.ts): Apollo's own handler would stop at once and re-raise the signal.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: opts.hideSuggestions ?? false,
    // Apollo hides them in validation errors only; variable coercion errors carry them too.
    formatError: opts.hideSuggestions ? (f, e) => withoutSuggestions(formatError(f, e)) : formatError,
    // Depth and complexity are checked by @pothos/plugin-complexity (limits in the context).
    parseOptions: { maxTokens: opts.limits.tokens },
    // Reported as a validation error (400); thrown, it would end the request as a 500.
    validationRules: [maxAliasesRule({ n: opts.limits.aliases, exposeLimits: true, propagateOnRejection: false, onReject: [(ctx, err) => ctx?.reportError(err)] })],
    // GraphiQL is served by our own routes, from bundled assets.
    plugins: [ApolloServerPluginLandingPageDisabled(), errorLoggingPlugin(opts.logger), ...(opts.plugins ?? [])],
  });
}
