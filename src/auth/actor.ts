import { ForbiddenError } from '../errors.js';
import { USER_ROLES, type UserRole } from '../db/tables/users.table.js';

/** Who is acting: a signed-in user, a service account, or the operator's CLI. */
export type Actor =
  | { kind: 'user'; id: string; organizationId: string; role: UserRole }
  | { kind: 'service_account'; id: string; organizationId: string; role: UserRole }
  | { kind: 'system' };

const RANK: Record<UserRole, number> = Object.fromEntries(USER_ROLES.map((r, i) => [r, i])) as Record<UserRole, number>;

export function hasRole(actor: Actor, role: UserRole): boolean {
  return actor.kind === 'system' || RANK[actor.role] >= RANK[role];
}

/** Managers call this before doing anything a lesser role may not do. */
export function requireRole(actor: Actor, role: UserRole, what: string): void {
  if (!hasRole(actor, role)) throw new ForbiddenError(`Only ${role}s and above may ${what}`);
}

export const SYSTEM_ACTOR: Actor = { kind: 'system' };
