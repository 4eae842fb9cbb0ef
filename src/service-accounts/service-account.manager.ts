import { requireRole } from '../auth/actor.js';
import { newApiKey } from '../auth/api-keys.js';
import type { RequestScope } from '../auth/scope.js';
import { auditSource, recordAudit } from '../audit/audit.js';
import type { Page, PageArgs } from '../db/pagination.js';
import type { ServiceAccountKeyRow, ServiceAccountRow } from '../db/tables/service-accounts.table.js';
import type { UserRole } from '../db/tables/users.table.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import { checkName } from '../validation.js';
import * as dao from './service-account.dao.js';

const audited = (a: ServiceAccountRow | undefined) => a && { name: a.name, role: a.role, revoked_at: a.revoked_at };

export function findServiceAccountsByIds(scope: RequestScope, ids: readonly string[]) {
  return dao.findServiceAccountsByIds(scope.services.system.db, scope.tenant.organizationId, ids);
}

export function listServiceAccounts(scope: RequestScope, args: PageArgs): Promise<Page<ServiceAccountRow>> {
  requireRole(scope.actor, 'admin', 'list service accounts');
  return dao.listServiceAccounts(scope.services.system.db, scope.tenant.organizationId, args);
}

export function countServiceAccounts(scope: RequestScope): Promise<number> {
  return dao.countServiceAccounts(scope.services.system.db, scope.tenant.organizationId);
}

export async function keysByAccount(scope: RequestScope, accountIds: readonly string[]): Promise<ServiceAccountKeyRow[][]> {
  const keys = await dao.keysOfAccounts(scope.services.system.db, accountIds);
  return accountIds.map((id) => keys.filter((k) => k.service_account_id === id));
}

/** A service account and its first API key; the key is returned this once and stored only hashed. */
export async function createServiceAccount(
  scope: RequestScope,
  input: { name: string; role: UserRole },
): Promise<{ serviceAccount: ServiceAccountRow; apiKey: string }> {
  requireRole(scope.actor, 'admin', 'create service accounts');
  if (input.role === 'owner') throw new ForbiddenError('A service account cannot be an owner');
  const name = checkName(input.name, 'Name', ['input', 'name']);
  const key = newApiKey();
  return scope.tenant.transaction(async ({ platform }) => {
    const account = await dao.insertServiceAccount(platform, {
      organization_id: scope.tenant.organizationId,
      name,
      role: input.role,
      created_by: scope.actor.kind === 'user' ? scope.actor.id : null,
    });
    await dao.insertKey(platform, { service_account_id: account.id, key_prefix: key.prefix, key_hash: key.hash });
    await recordAudit(platform, auditSource(scope), { action: 'serviceAccount.create', entityType: 'ServiceAccount', entityId: account.id, after: { ...audited(account), key_prefix: key.prefix } });
    return { serviceAccount: account, apiKey: key.key };
  });
}

async function activeAccount(scope: RequestScope, db: Parameters<typeof dao.findServiceAccountsByIds>[0], id: string) {
  const [account] = await dao.findServiceAccountsByIds(db, scope.tenant.organizationId, [id]);
  if (!account) throw new NotFoundError('ServiceAccount', id);
  return account;
}

export async function createServiceAccountKey(scope: RequestScope, accountId: string): Promise<{ serviceAccount: ServiceAccountRow; apiKey: string }> {
  requireRole(scope.actor, 'admin', 'create API keys');
  const key = newApiKey();
  return scope.tenant.transaction(async ({ platform }) => {
    const account = await activeAccount(scope, platform, accountId);
    if (account.revoked_at) throw new ValidationError('This service account is revoked', ['serviceAccountId']);
    await dao.insertKey(platform, { service_account_id: account.id, key_prefix: key.prefix, key_hash: key.hash });
    await recordAudit(platform, auditSource(scope), { action: 'serviceAccount.createKey', entityType: 'ServiceAccount', entityId: account.id, after: { key_prefix: key.prefix } });
    return { serviceAccount: account, apiKey: key.key };
  });
}

export async function revokeServiceAccountKey(scope: RequestScope, keyId: string): Promise<ServiceAccountKeyRow> {
  requireRole(scope.actor, 'admin', 'revoke API keys');
  return scope.tenant.transaction(async ({ platform }) => {
    const key = await dao.findKeyInOrganization(platform, scope.tenant.organizationId, keyId);
    if (!key) throw new NotFoundError('ServiceAccountKey', keyId);
    const after = await dao.revokeKey(platform, keyId);
    await recordAudit(platform, auditSource(scope), { action: 'serviceAccount.revokeKey', entityType: 'ServiceAccount', entityId: key.service_account_id, after: { key_prefix: key.key_prefix, revoked: true } });
    return after!;
  });
}

export async function revokeServiceAccount(scope: RequestScope, accountId: string): Promise<ServiceAccountRow> {
  requireRole(scope.actor, 'admin', 'revoke service accounts');
  return scope.tenant.transaction(async ({ platform }) => {
    const before = await activeAccount(scope, platform, accountId);
    const after = await dao.revokeServiceAccount(platform, accountId);
    await recordAudit(platform, auditSource(scope), { action: 'serviceAccount.revoke', entityType: 'ServiceAccount', entityId: accountId, before: audited(before), after: audited(after) });
    return after!;
  });
}
