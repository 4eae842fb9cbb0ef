import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { ServiceUnavailableError } from '../errors.js';
import type { GraphQLContext } from './context.js';

const CODE = new ServiceUnavailableError().code;

/**
 * A response carrying SERVICE_UNAVAILABLE (database away, pool wait over, a
 * cancelled statement) is HTTP 503 with `Retry-After`, and its errors carry
 * the request id, so clients and proxies retry rather than treat it as a 200.
 */
export function serviceUnavailablePlugin(retryAfterSeconds: number): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response, contextValue }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors ?? [];
          if (!errors.some((e) => e.extensions?.code === CODE)) return;
          response.http.status = 503;
          response.http.headers.set('retry-after', String(retryAfterSeconds));
          for (const e of errors) {
            if (e.extensions?.code === CODE) (e as { extensions: Record<string, unknown> }).extensions = { ...e.extensions, requestId: contextValue.requestId };
          }
        },
      };
    },
  };
}

/** The same answer when the database fails while the request is being authenticated (before any resolver runs). */
export function unavailableGraphQLError(requestId: string, retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(new ServiceUnavailableError().message, {
    extensions: {
      code: CODE,
      requestId,
      http: { status: 503, headers: new Map([['retry-after', String(retryAfterSeconds)], ['x-request-id', requestId]]) },
    },
  });
}
