import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { toDomainError } from '../db/pg-errors.js';
import { DomainError, ValidationError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { GraphQLContext } from './context.js';

export const INTERNAL_ERROR_MESSAGE = 'Internal server error';

/**
 * Every `extensions.code` a response can carry (the README's error table).
 * The first group is the client's doing; INTERNAL_SERVER_ERROR is ours.
 */
export const CLIENT_ERROR_CODES = [
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'PERSISTED_QUERY_NOT_FOUND',
  'VALIDATION',
  'NOT_FOUND',
  'CONFLICT',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'QUERY_LIMIT',
  'SOURCE_CONNECTION',
  'UNSUPPORTED_SOURCE',
  'RATE_LIMITED',
] as const;
export const SERVER_ERROR_CODES = ['INTERNAL_SERVER_ERROR', 'TIMEOUT', 'SERVICE_UNAVAILABLE'] as const;
export const ERROR_CODES: readonly string[] = [...CLIENT_ERROR_CODES, ...SERVER_ERROR_CODES];
const CLIENT_CODES: ReadonlySet<string> = new Set(CLIENT_ERROR_CODES);

const STATUS_OF: Record<string, number> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, NOT_FOUND: 404, RATE_LIMITED: 429, TIMEOUT: 503, SERVICE_UNAVAILABLE: 503, INTERNAL_SERVER_ERROR: 500 };

/** The HTTP status of a request that fails as a whole with this code. */
export const httpStatusOf = (code: string): number => STATUS_OF[code] ?? 400;

export type ClassifiedError =
  /** A typed domain error (also a driver error about bad input, translated). */
  | { kind: 'domain'; error: DomainError }
  /** A GraphQLError raised on purpose with a client code: parse, validation, variables, protocol. */
  | { kind: 'client'; error: GraphQLError; code: string }
  /** A GraphQLError raised on purpose for a passing server condition (TIMEOUT, SERVICE_UNAVAILABLE): kept, retryable. */
  | { kind: 'unavailable'; error: GraphQLError; code: string }
  /** Anything else: a bug or an outage. Masked for the client, logged with its stack. */
  | { kind: 'unexpected'; error: unknown };

/**
 * The one place that decides whose fault an error is. A GraphQLError counts
 * as the client's only when it carries a client code of its own: graphql-js
 * also raises code-less GraphQLErrors for server bugs ("Cannot return null
 * for non-nullable field"), and those must be masked and logged.
 */
export function classifyError(err: unknown): ClassifiedError {
  const original = toDomainError(unwrapResolverError(err));
  if (original instanceof DomainError) return { kind: 'domain', error: original };
  if (original instanceof GraphQLError) {
    const code = original.extensions?.code;
    if (typeof code === 'string' && CLIENT_CODES.has(code)) return { kind: 'client', error: original, code };
    if (code === 'TIMEOUT' || code === 'SERVICE_UNAVAILABLE') return { kind: 'unavailable', error: original, code };
  }
  return { kind: 'unexpected', error: original };
}

/**
 * What a client may see of an error: domain errors and request errors keep
 * their message; anything else becomes "Internal server error" (with the
 * request id added by the logging plugin), never SQL or a stack.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const classified = classifyError(error);
  if (classified.kind === 'domain') {
    const original = classified.error;
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { code: original.code, ...(original instanceof ValidationError ? { path: original.path } : {}) },
    };
  }
  if (classified.kind === 'client' || classified.kind === 'unavailable') {
    const { stacktrace: _stack, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions: { ...extensions, code: classified.code } };
  }
  // Already masked on purpose (e.g. a failure while authenticating): keep its request id.
  const requestId = error instanceof GraphQLError && formatted.message === INTERNAL_ERROR_MESSAGE ? formatted.extensions?.requestId : undefined;
  return {
    message: INTERNAL_ERROR_MESSAGE,
    locations: formatted.locations,
    path: formatted.path,
    extensions: { code: 'INTERNAL_SERVER_ERROR', ...(requestId ? { requestId } : {}) },
  };
}

const MAX_LOGGED_MESSAGE = 200;

/**
 * Logging by fault: client mistakes are one debug line per request (codes,
 * count, the first message, cut short) with no stack, however many errors the
 * request had; unexpected errors are logged at error level with their stack.
 * Masked errors get the request id, so a report can be matched to the log.
 */
export function errorLoggingPlugin(logger: Logger): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          const clientCodes = new Set<string>();
          let clientErrors = 0;
          let firstMessage: string | undefined;
          for (const err of errors) {
            const classified = classifyError(err);
            if (classified.kind === 'unexpected') {
              logger.error({ requestId: contextValue.requestId, err: classified.error, path: err.path }, 'unexpected error while resolving');
              continue;
            }
            if (classified.kind === 'unavailable') {
              logger.warn({ requestId: contextValue.requestId, code: classified.code }, classified.error.message);
              continue;
            }
            clientErrors++;
            clientCodes.add(classified.kind === 'domain' ? classified.error.code : classified.code);
            firstMessage ??= classified.error.message.slice(0, MAX_LOGGED_MESSAGE);
          }
          if (clientErrors > 0) {
            logger.debug({ requestId: contextValue.requestId, codes: [...clientCodes], count: clientErrors, first: firstMessage }, 'client error');
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
