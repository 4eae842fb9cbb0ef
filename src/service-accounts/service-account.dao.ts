import { sql } from 'kysely';
import type { PlatformDb } from '../db/database.js';
import { platform } from '../db/database.js';
import { countRows, fetchPage, type Page, type PageArgs } from '../db/pagination.js';
import { mapDbErrors } from '../db/pg-errors.js';
import type { NewServiceAccountRow, ServiceAccountKeyRow, ServiceAccountRow } from '../db/tables/service-accounts.table.js';
import { anyOf, compiledOnce } from '../db/compiled-once.js';

export function insertServiceAccount(db: PlatformDb, row: NewServiceAccountRow): Promise<ServiceAccountRow> {
  return mapDbErrors(() => platform(db).insertInto('service_accounts').values(row).returningAll().executeTakeFirstOrThrow());
}

export function findServiceAccountsByIds(db: PlatformDb, organizationId: string, ids: readonly string[]): Promise<ServiceAccountRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  const accounts = platform(db);
  return compiledOnce(accounts, 'service accounts by ids', () => accounts.selectFrom('service_accounts').selectAll().where('organization_id', '=', organizationId).where('id', '=', anyOf(ids)), [organizationId, ids]);
}

const accountsOf = (db: PlatformDb, organizationId: string) =>
  platform(db).selectFrom('service_accounts').where('organization_id', '=', organizationId);

/** One page of an organization's service accounts, newest first. */
export function listServiceAccounts(db: PlatformDb, organizationId: string, args: PageArgs): Promise<Page<ServiceAccountRow>> {
  return fetchPage(accountsOf(db, organizationId).selectAll(), 'service_accounts', args);
}

export function countServiceAccounts(db: PlatformDb, organizationId: string): Promise<number> {
  return countRows(accountsOf(db, organizationId));
}

export async function revokeServiceAccount(db: PlatformDb, id: string): Promise<ServiceAccountRow | undefined> {
  const row = await platform(db).updateTable('service_accounts').set({ revoked_at: sql`now()` }).where('id', '=', id).returningAll().executeTakeFirst();
  await platform(db).updateTable('service_account_keys').set({ revoked_at: sql`now()` }).where('service_account_id', '=', id).where('revoked_at', 'is', null).execute();
  return row;
}

export function insertKey(db: PlatformDb, row: { service_account_id: string; key_prefix: string; key_hash: string }): Promise<ServiceAccountKeyRow> {
  return platform(db).insertInto('service_account_keys').values(row).returningAll().executeTakeFirstOrThrow();
}

export function keysOfAccounts(db: PlatformDb, accountIds: readonly string[]): Promise<ServiceAccountKeyRow[]> {
  if (accountIds.length === 0) return Promise.resolve([]);
  return platform(db).selectFrom('service_account_keys').selectAll().where('service_account_id', 'in', accountIds).orderBy('created_at').execute();
}

export function findKeyInOrganization(db: PlatformDb, organizationId: string, keyId: string) {
  return platform(db)
    .selectFrom('service_account_keys as k')
    .innerJoin('service_accounts as a', 'a.id', 'k.service_account_id')
    .selectAll('k')
    .where('a.organization_id', '=', organizationId)
    .where('k.id', '=', keyId)
    .executeTakeFirst();
}

export function revokeKey(db: PlatformDb, keyId: string): Promise<ServiceAccountKeyRow | undefined> {
  return platform(db).updateTable('service_account_keys').set({ revoked_at: sql`now()` }).where('id', '=', keyId).returningAll().executeTakeFirst();
}

/** The key with its account, by the visible prefix (authentication). */
export function findActiveKeyByPrefix(db: PlatformDb, prefix: string) {
  return platform(db)
    .selectFrom('service_account_keys as k')
    .innerJoin('service_accounts as a', 'a.id', 'k.service_account_id')
    .select(['k.id as key_id', 'k.key_hash', 'a.id as account_id', 'a.organization_id', 'a.role'])
    .where('k.key_prefix', '=', prefix)
    .where('k.revoked_at', 'is', null)
    .where('a.revoked_at', 'is', null)
    .executeTakeFirst();
}

/** Records use at most once a minute per key, so authentication rarely writes. */
export async function touchKey(db: PlatformDb, keyId: string, accountId: string): Promise<void> {
  // key last use: throttled to one write a minute
  const stale = sql<boolean>`(last_used_at is null or last_used_at < now() - interval '1 minute')`;
  const res = await platform(db).updateTable('service_account_keys').set({ last_used_at: sql`now()` }).where('id', '=', keyId).where(stale).executeTakeFirst();
  if (res.numUpdatedRows > 0n) {
    await platform(db).updateTable('service_accounts').set({ last_used_at: sql`now()` }).where('id', '=', accountId).execute();
  }
}
