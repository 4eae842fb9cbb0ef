import type { ApolloServerPlugin } from '@apollo/server';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { SessionCache } from '../sessions/session-cache.js';
import type { GraphQLContext } from './context.js';

/** Mutations without credentials that only open sessions: none of them ends or changes one. */
const OPENING_SESSIONS = new Set(['login', 'signUp', 'verifyMfa', 'acceptInvitation']);

const onlyOpensSessions = (operation: OperationDefinitionNode): boolean =>
  operation.selectionSet.selections.every((s) => s.kind === Kind.FIELD && (OPENING_SESSIONS.has(s.name.value) || s.name.value === '__typename'));

/**
 * A mutation may have ended sessions (logout, a revoked session or key, a
 * changed role, a removed user): once it has run, the remembered sessions of
 * the caller's organization are forgotten before the response leaves, so the
 * caller's next request is checked against what it committed. Other API
 * processes learn of it from the `datalinx_credentials` notice. A mutation
 * without credentials (`logout(refreshToken:)`, a reused refresh token) can
 * end a session of any organization: every remembered session is forgotten,
 * unless it only signs in or up.
 */
export function sessionCachePlugin(sessions: SessionCache): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operation, contextValue }) {
          if (operation?.operation !== 'mutation') return;
          const organizationId = contextValue.scope?.tenant.organizationId ?? null;
          if (organizationId === null && onlyOpensSessions(operation)) return;
          sessions.invalidate(organizationId);
        },
      };
    },
  };
}
