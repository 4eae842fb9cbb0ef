import type { Kysely } from 'kysely';
import type { PlatformDatabase } from '../db/database.js';
import { UnauthenticatedError } from '../errors.js';
import { findOrganizationById } from '../organizations/organization.dao.js';
import { Tenant } from '../tenancy/tenant.js';
import { findUserById } from '../users/user.dao.js';
import type { Actor } from './actor.js';
import type { AccessTokens } from './jwt.js';

export interface Authenticated {
  actor: Extract<Actor, { kind: 'user' | 'service_account' }>;
  tenant: Tenant;
}

/**
 * Turns an Authorization header into the acting user and their organization's
 * tenant handle. No header: anonymous (null). A bad or stale token: an error,
 * never a silent downgrade to anonymous.
 */
export async function authenticate(
  deps: { db: Kysely<PlatformDatabase>; tokens: AccessTokens },
  authorization: string | undefined,
): Promise<Authenticated | null> {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
  if (!match) throw new UnauthenticatedError('Authorization header must be "Bearer <token>"');
  const claims = await deps.tokens.verify(match[1]!);
  const [user, org] = await Promise.all([findUserById(deps.db, claims.sub), findOrganizationById(deps.db, claims.org)]);
  if (!user || !org || user.organization_id !== org.id) throw new UnauthenticatedError('Invalid token');
  return {
    actor: { kind: 'user', id: user.id, organizationId: org.id, role: user.role },
    tenant: new Tenant(deps.db, org),
  };
}
