import { sql } from 'kysely';
import type { PlatformDb, TenantDb } from '../db/database.js';
import { platform } from '../db/database.js';
import { countRows, fetchPage, type Page, type PageArgs } from '../db/pagination.js';
import { mapDbErrors } from '../db/pg-errors.js';
import type { NewUserRow, UserRow, UserUpdate } from '../db/tables/users.table.js';

export function insertUser(db: PlatformDb, row: NewUserRow): Promise<UserRow> {
  return mapDbErrors(() =>
    platform(db)
      .insertInto('users')
      .values({ ...row, email: row.email.toLowerCase() })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

export function findUserById(db: PlatformDb, id: string): Promise<UserRow | undefined> {
  return platform(db).selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findUserByIdForUpdate(db: PlatformDb, id: string): Promise<UserRow | undefined> {
  return platform(db).selectFrom('users').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

export function findUserByEmail(db: PlatformDb, email: string): Promise<UserRow | undefined> {
  return platform(db).selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
}

/** Users of one organization by id: rows of other organizations are never returned. */
export function findUsersByIds(db: PlatformDb, organizationId: string, ids: readonly string[]): Promise<UserRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return platform(db)
    .selectFrom('users')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', 'in', ids)
    .execute();
}

const usersOf = (db: PlatformDb, organizationId: string) => platform(db).selectFrom('users').where('organization_id', '=', organizationId);

/** One page of an organization's users, newest first. */
export function listUsersOfOrganization(db: PlatformDb, organizationId: string, args: PageArgs): Promise<Page<UserRow>> {
  return fetchPage(usersOf(db, organizationId).selectAll(), 'users', args);
}

export function countUsersOfOrganization(db: PlatformDb, organizationId: string): Promise<number> {
  return countRows(usersOf(db, organizationId));
}

export function updateUser(db: PlatformDb, id: string, patch: UserUpdate): Promise<UserRow | undefined> {
  return mapDbErrors(() => platform(db).updateTable('users').set(patch).where('id', '=', id).returningAll().executeTakeFirst());
}

export async function deleteUser(db: PlatformDb, id: string): Promise<boolean> {
  const res = await platform(db).deleteFrom('users').where('id', '=', id).executeTakeFirst();
  return res.numDeletedRows > 0n;
}

/** Forgets a removed user as the creator of their organization's jobs (no foreign key does it). */
export async function clearJobCreator(db: TenantDb, userId: string): Promise<number> {
  const res = await db.updateTable('pipeline_jobs').set({ created_by: null }).where('created_by', '=', userId).executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export const LOCKOUT_THRESHOLD = 5;
const LOCKOUT_BASE_MINUTES = 1;
const LOCKOUT_MAX_MINUTES = 24 * 60;

/**
 * Counts a failed login atomically; at the threshold the account is locked for
 * a time that doubles with each lockout (1, 2, 4 … minutes, at most a day).
 */
export function recordLoginFailure(db: PlatformDb, id: string) {
  // login failure: count, and lock at the threshold
  const reached = sql<boolean>`failed_login_count + 1 >= ${LOCKOUT_THRESHOLD}`;
  return platform(db)
    .updateTable('users')
    .set({
      failed_login_count: sql<number>`case when ${reached} then 0 else failed_login_count + 1 end`,
      locked_until: sql<Date | null>`case when ${reached}
        then now() + make_interval(mins => least(${LOCKOUT_BASE_MINUTES} * power(2, least(lockout_count, 20))::int, ${LOCKOUT_MAX_MINUTES}))
        else locked_until end`,
      lockout_count: sql<number>`case when ${reached} then lockout_count + 1 else lockout_count end`,
    })
    .where('id', '=', id)
    .returning(['locked_until', 'lockout_count'])
    .executeTakeFirst();
}

export async function recordLoginSuccess(db: PlatformDb, id: string): Promise<void> {
  await platform(db)
    .updateTable('users')
    .set({ failed_login_count: 0, lockout_count: 0, locked_until: null, last_login_at: sql`now()` })
    .where('id', '=', id)
    .execute();
}

/**
 * Marks a TOTP step used unless it or a later one already is, in one statement,
 * so two concurrent logins cannot both spend the same code. False: already spent.
 */
export async function claimTotpStep(db: PlatformDb, id: string, step: number): Promise<boolean> {
  // TOTP replay guard: each step is accepted once
  const res = await platform(db)
    .updateTable('users')
    .set({ mfa_last_used_step: step })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('mfa_last_used_step', 'is', null), eb('mfa_last_used_step', '<', step)]))
    .executeTakeFirst();
  return res.numUpdatedRows > 0n;
}

/** Owners of an organization, locked so that the last one cannot be removed concurrently. */
export function lockOwners(db: PlatformDb, organizationId: string): Promise<{ id: string }[]> {
  return platform(db)
    .selectFrom('users')
    .select('id')
    .where('organization_id', '=', organizationId)
    .where('role', '=', 'owner')
    .forUpdate()
    .execute();
}

export function usersWithMfaSecrets(db: PlatformDb): Promise<UserRow[]> {
  return platform(db)
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb.or([eb('mfa_secret_encrypted', 'is not', null), eb('mfa_pending_secret_encrypted', 'is not', null)]))
    .execute();
}
