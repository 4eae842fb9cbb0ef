import type { ApolloServerPlugin } from '@apollo/server';
import type { SessionCache } from '../sessions/session-cache.js';
import type { GraphQLContext } from './context.js';

/**
 * A mutation may have ended sessions (logout, a revoked session or key, a
 * changed role, a removed user): once it has run, the remembered sessions of
 * the caller's organization are forgotten before the response leaves, so the
 * caller's next request is checked against what it committed. Other API
 * processes learn of it from the `datalinx_credentials` notice. A mutation
 * without credentials (a password reset, a reused refresh token) can end a
 * session of any organization: every remembered session is forgotten.
 */
export function sessionCachePlugin(sessions: SessionCache): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, contextValue }) {
          if (operation?.operation !== 'mutation') return;
          sessions.invalidate(contextValue.scope?.tenant.organizationId ?? null);
        },
      };
    },
  };
}
