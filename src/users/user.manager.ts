import { requireRole } from '../auth/actor.js';
import { checkPasswordPolicy, hashPassword } from '../auth/passwords.js';
import type { RequestScope } from '../auth/scope.js';
import { auditSource, recordAudit } from '../audit/audit.js';
import { changedColumns, isUnchanged } from '../db/changes.js';
import type { Page, PageArgs } from '../db/pagination.js';
import type { UserRole, UserRow } from '../db/tables/users.table.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import { checkEmail } from '../validation.js';
import * as dao from './user.dao.js';

const audited = (u: UserRow | undefined) => u && { email: u.email, display_name: u.display_name, role: u.role };

/** Users of the caller's organization only. */
export function findUsersByIds(scope: RequestScope, ids: readonly string[]): Promise<UserRow[]> {
  return dao.findUsersByIds(scope.services.system.db, scope.tenant.organizationId, ids);
}

export async function getMe(scope: RequestScope): Promise<UserRow> {
  if (scope.actor.kind !== 'user') throw new ForbiddenError('A service account has no user profile; this needs a signed-in user');
  const [me] = await findUsersByIds(scope, [scope.actor.id]);
  if (!me) throw new NotFoundError('User', scope.actor.id);
  return me;
}

export function listUsers(scope: RequestScope, args: PageArgs): Promise<Page<UserRow>> {
  return dao.listUsersOfOrganization(scope.services.system.db, scope.tenant.organizationId, args);
}

export function countUsers(scope: RequestScope): Promise<number> {
  return dao.countUsersOfOrganization(scope.services.system.db, scope.tenant.organizationId);
}

async function memberOf(scope: RequestScope, db: Parameters<typeof dao.findUsersByIds>[0], id: string): Promise<UserRow> {
  const [user] = await dao.findUsersByIds(db, scope.tenant.organizationId, [id]);
  if (!user) throw new NotFoundError('User', id);
  return user;
}

/** Only owners grant or take away ownership; admins manage everyone else. */
function checkRoleChange(scope: RequestScope, from: UserRole | null, to: UserRole | null): void {
  if ((from === 'owner' || to === 'owner') && scope.actor.kind !== 'system' && scope.actor.role !== 'owner') {
    throw new ForbiddenError('Only an owner can grant or remove the owner role');
  }
}

/**
 * Adds a user to the caller's organization: with a password (createUser) or
 * without one, to set it through an invitation (inviteUser).
 */
export async function createUser(
  scope: RequestScope,
  input: { email: string; displayName?: string | null; role: UserRole; password?: string | null },
): Promise<UserRow> {
  requireRole(scope.actor, 'admin', 'add users');
  checkRoleChange(scope, null, input.role);
  const email = checkEmail(input.email, ['input', 'email']);
  if (input.password != null) checkPasswordPolicy(input.password, ['input', 'password']);
  const passwordHash = input.password != null ? await hashPassword(input.password) : null;
  return scope.tenant.transaction(async ({ platform }) => {
    const user = await dao.insertUser(platform, {
      organization_id: scope.tenant.organizationId,
      email,
      display_name: input.displayName?.trim() || null,
      role: input.role,
      password_hash: passwordHash,
    });
    await recordAudit(platform, auditSource(scope), { action: passwordHash ? 'user.create' : 'user.invite', entityType: 'User', entityId: user.id, after: audited(user) });
    return user;
  });
}

export async function updateUserRole(scope: RequestScope, id: string, role: UserRole): Promise<UserRow> {
  requireRole(scope.actor, 'admin', 'change roles');
  return scope.tenant.transaction(async ({ platform }) => {
    const owners = await dao.lockOwners(platform, scope.tenant.organizationId);
    const before = await memberOf(scope, platform, id);
    checkRoleChange(scope, before.role, role);
    if (before.role === role) return before;
    if (before.role === 'owner' && role !== 'owner' && owners.length <= 1) {
      throw new ConflictError('An organization must keep an owner: transfer ownership first', { currentStatus: 'owner' });
    }
    const after = await dao.updateUser(platform, id, { role });
    await recordAudit(platform, auditSource(scope), { action: 'user.updateRole', entityType: 'User', entityId: id, before: audited(before), after: audited(after) });
    return after!;
  });
}

/**
 * Removes a member. Their jobs and mapping versions stay listed, with no
 * author: `created_by` and `changed_by` have no foreign key into the shared
 * users table (a tenant schema never references one), so they are cleared
 * here, in this organization only.
 */
export async function removeUser(scope: RequestScope, id: string): Promise<UserRow> {
  requireRole(scope.actor, 'admin', 'remove users');
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const owners = await dao.lockOwners(platform, scope.tenant.organizationId);
    const user = await memberOf(scope, platform, id);
    checkRoleChange(scope, user.role, null);
    if (user.role === 'owner' && owners.length <= 1) throw new ConflictError('An organization must keep an owner: transfer ownership first');
    await dao.deleteUser(platform, id);
    await dao.clearJobCreator(tenant, id);
    await dao.clearMappingVersionAuthor(tenant, id);
    await recordAudit(platform, auditSource(scope), { action: 'user.remove', entityType: 'User', entityId: id, before: audited(user) });
    return user;
  });
}

/** The caller gives the owner role to another member and becomes an admin. */
export async function transferOwnership(scope: RequestScope, toUserId: string): Promise<UserRow> {
  requireRole(scope.actor, 'owner', 'transfer ownership');
  if (scope.actor.kind !== 'user') throw new ForbiddenError('Only a signed-in owner can transfer ownership');
  if (scope.actor.id === toUserId) throw new ValidationError('You already own this organization', ['userId']);
  const actorId = scope.actor.id;
  return scope.tenant.transaction(async ({ platform }) => {
    await dao.lockOwners(platform, scope.tenant.organizationId);
    const target = await memberOf(scope, platform, toUserId);
    const after = await dao.updateUser(platform, toUserId, { role: 'owner' });
    await dao.updateUser(platform, actorId, { role: 'admin' });
    await recordAudit(platform, auditSource(scope), { action: 'organization.transferOwnership', entityType: 'User', entityId: toUserId, before: audited(target), after: audited(after) });
    return after!;
  });
}

/** An omitted displayName keeps the stored one; null or blank clears it. */
export async function updateMe(scope: RequestScope, input: { displayName?: string | null }): Promise<UserRow> {
  const me = await getMe(scope);
  const changes = changedColumns(me, { display_name: input.displayName === undefined ? undefined : input.displayName?.trim() || null });
  if (isUnchanged(changes)) return me;
  return scope.tenant.transaction(async ({ platform }) => {
    const after = await dao.updateUser(platform, me.id, changes);
    await recordAudit(platform, auditSource(scope), { action: 'user.updateMe', entityType: 'User', entityId: me.id, before: audited(me), after: audited(after) });
    return after!;
  });
}

/** An invited user (no password yet) and the token that lets them set one. */
export async function inviteUser(
  scope: RequestScope,
  input: { email: string; displayName?: string | null; role: UserRole },
): Promise<{ user: UserRow; invitationToken: string }> {
  const user = await createUser(scope, { ...input, password: null });
  return { user, invitationToken: await scope.services.tokens.signInvitation({ sub: user.id, org: user.organization_id! }) };
}
