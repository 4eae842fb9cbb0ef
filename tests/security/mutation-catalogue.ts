import { randomUUID } from 'node:crypto';
import { type Caller, globalId } from '../support/index.js';
import { ACCOUNT_MUTATIONS } from './catalogue/account-mutations.js';
import { DATA_MUTATIONS } from './catalogue/data-mutations.js';
import type { Access, MutationCase } from './catalogue/types.js';

export type { Access, Arranged, AuditSpec, MutationCase } from './catalogue/types.js';

/**
 * Every mutation of the API, with what a caller needs to call it successfully
 * (`arrange`), who may (`access`), and the audit entry a success writes.
 * The security tests derive their tables from this one list.
 */
export const MUTATIONS: Record<string, MutationCase> = { ...DATA_MUTATIONS, ...ACCOUNT_MUTATIONS };

/** What the rules say a caller gets: the success type, or the typed error that refuses it. */
export function expectedOutcome(access: Access, caller: Caller): 'allowed' | 'ForbiddenError' | 'NotFoundError' {
  if (access === 'public') return 'allowed';
  // A service account is not a person: it has no "me" to change.
  if (access === 'self') return caller.userId ? 'allowed' : 'ForbiddenError';
  const rank = { viewer: 0, editor: 1, admin: 2, owner: 3 } as const;
  return rank[caller.role] >= rank[access] ? 'allowed' : 'ForbiddenError';
}

export const NO_SUCH_ID = (typename: string) => globalId(typename, randomUUID());
