import type { Kysely } from 'kysely';
import type { PlatformDatabase } from '../db/database.js';
import { UnauthenticatedError } from '../errors.js';
import { findOrganizationById } from '../organizations/organization.dao.js';
import type { Actor } from '../auth/actor.js';
import { API_KEY_PATTERN, API_KEY_PREFIX } from '../auth/api-keys.js';
import type { AccessTokens } from '../auth/jwt.js';
import { safeEqualHex, sha256Hex } from '../auth/secrets.js';
import { findActiveKeyByPrefix, touchKey } from '../service-accounts/service-account.dao.js';
import { Tenant } from '../tenancy/tenant.js';
import { isSessionCheck, type SessionCache, type SessionFound } from './session-cache.js';
import { findSessionUserAndOrganization } from './session.dao.js';

export interface Authenticated {
  actor: Extract<Actor, { kind: 'user' | 'service_account' }>;
  tenant: Tenant;
  /** The session a user's access token belongs to. */
  sessionId?: string;
}

type Deps = { db: Kysely<PlatformDatabase>; tokens: AccessTokens; sessions?: SessionCache | null };

/** A service account's API key (dlx_…): found by its prefix, compared by hash in constant time. */
async function authenticateApiKey(deps: Deps, key: string): Promise<Authenticated> {
  const match = API_KEY_PATTERN.exec(key);
  const found = match ? await findActiveKeyByPrefix(deps.db, match[1]!) : undefined;
  if (!found || !safeEqualHex(found.key_hash.trim(), sha256Hex(key))) throw new UnauthenticatedError('Invalid API key');
  const org = await findOrganizationById(deps.db, found.organization_id);
  if (!org) throw new UnauthenticatedError('Invalid API key');
  await touchKey(deps.db, found.key_id, found.account_id);
  return {
    actor: { kind: 'service_account', id: found.account_id, organizationId: org.id, role: found.role },
    tenant: new Tenant(deps.db, org),
  };
}

/**
 * The user of an open session, in the organization the token names: one
 * statement, or none while the session cache remembers it.
 */
async function openSession(deps: Deps, claims: { sub: string; sid: string; org: string }): Promise<SessionFound> {
  const remembered = deps.sessions?.lookup(claims.sub, claims.sid, claims.org);
  if (remembered && !isSessionCheck(remembered)) return remembered;
  const found = await findSessionUserAndOrganization(deps.db, claims.sub, claims.sid, claims.org);
  if (!found) throw new UnauthenticatedError('Invalid token');
  if (remembered) deps.sessions?.store(remembered, found);
  return found;
}

/**
 * Turns an Authorization header into the acting user or service account and
 * their organization's tenant handle. No header: anonymous (null). A bad or
 * stale credential: an error, never a silent downgrade to anonymous.
 */
export async function authenticate(deps: Deps, authorization: string | undefined): Promise<Authenticated | null> {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) throw new UnauthenticatedError('Authorization header must be "Bearer <token>"');
  const credential = match[1]!;
  if (credential.startsWith(API_KEY_PREFIX)) return authenticateApiKey(deps, credential);
  const claims = await deps.tokens.verify(credential);
  const { user, organization: org } = await openSession(deps, claims);
  return {
    actor: { kind: 'user', id: user.id, organizationId: org.id, role: user.role },
    tenant: new Tenant(deps.db, org),
    sessionId: claims.sid,
  };
}
