import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import type { Config } from '../config.js';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLFormattedError, ValidationRule } from 'graphql';
import type { Logger } from '../logger.js';
import type { GraphQLContext } from './context.js';
import { errorLoggingPlugin, formatError } from './error-policy.js';
import { jitGateway } from './jit-executor.js';
import { responseText } from './response-text.js';
import { knownOperationTypesRule, noSubscriptionsOverHttpRule } from './request-rules.js';
import { schema } from './schema.js';

export interface ApolloOptions {
  logger: Logger;
  introspection: boolean;
  plugins?: ApolloServerPlugin<GraphQLContext>[];
  hideSuggestions?: boolean;
  limits: Config['graphql']['limits'];
  /** Execute with graphql-jit (GRAPHQL_JIT); graphql-js otherwise. */
  jit?: boolean;
}

/** Drops graphql-js' "Did you mean …?" hints, which name schema members. */
const withoutSuggestions = (e: GraphQLFormattedError): GraphQLFormattedError => ({ ...e, message: e.message.replace(/ *Did you mean [^?]*\?/g, '') });

/** The validation rules of every GraphQL request beyond graphql-js' own, over HTTP and WebSocket alike. */
export function requestValidationRules(limits: Config['graphql']['limits']): ValidationRule[] {
  return [knownOperationTypesRule, maxAliasesRule({ n: limits.aliases, exposeLimits: true, propagateOnRejection: false, onReject: [(ctx, err) => ctx?.reportError(err)] })];
}

export function createApollo(opts: ApolloOptions): ApolloServer<GraphQLContext> {
  return new ApolloServer<GraphQLContext>({
    ...(opts.jit ? { gateway: jitGateway(schema) } : { schema }),
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
    // Automatic persisted queries are off: the app does not use them, and their
    // cache would be memory any anonymous caller could fill.
    persistedQueries: false,
    validationRules: [...requestValidationRules(opts.limits), noSubscriptionsOverHttpRule],
    stringifyResult: responseText,
    plugins: [
      // GraphiQL is served by our own routes, from bundled assets.
      ApolloServerPluginLandingPageDisabled(),
      // No cache hints are used; the plugin's willResolveField hook would wrap every resolver (bench/README.md).
      ApolloServerPluginCacheControlDisabled(),
      errorLoggingPlugin(opts.logger),
      ...(opts.plugins ?? []),
    ],
  });
}
