import { sql } from 'kysely';
import type { PlatformDb, TenantDb } from '../db/database.js';
import { platform } from '../db/database.js';
import { countRows, fetchPage, type Page, type PageArgs } from '../db/pagination.js';
import { mapDbErrors } from '../db/pg-errors.js';
import type { NewUserRow, UserRow, UserUpdate } from '../db/tables/users.table.js';
import { anyOf, compiledOnce } from '../db/compiled-once.js';

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
  const users = platform(db);
  return compiledOnce(users, 'users by ids', () => users.selectFrom('users').selectAll().where('organization_id', '=', organizationId).where('id', '=', anyOf(ids)), [organizationId, ids]);
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

/** Forgets a removed user as the author of mapping versions (no foreign key does it either). */
export async function clearMappingVersionAuthor(db: TenantDb, userId: string): Promise<number> {
  const res = await db.updateTable('mapping_versions').set({ changed_by: null }).where('changed_by', '=', userId).executeTakeFirst();
  return Number(res.numUpdatedRows);
}

export const LOCKOUT_THRESHOLD = 5;
const LOCKOUT_BASE_MINUTES = 1;
const LOCKOUT_MAX_MINUTES = 24 * 60;

const notLocked = sql<boolean>`(locked_until is null or locked_until <= now())`;
/** Locks the account for 1, 2, 4 … minutes (at most a day), doubling with each lockout. */
const lockFor = sql<Date>`now() + make_interval(mins => least(${LOCKOUT_BASE_MINUTES} * power(2, least(lockout_count, 20))::int, ${LOCKOUT_MAX_MINUTES}))`;

export interface LoginAttempt {
  /** The account was already locked: refuse without counting. */
  refused: boolean;
  /** This attempt reached the threshold and locked the account. */
  lockedUntil: Date | null;
}

/**
 * Counts a sign-in attempt before its password is checked, in one statement
 * (the row lock serializes parallel attempts): an attempt made while locked is
 * refused; one that finds LOCKOUT_THRESHOLD attempts already failed or in
 * flight locks the account and is refused too. So a burst of parallel guesses
 * gets at most LOCKOUT_THRESHOLD password checks, however it is timed.
 */
export async function claimLoginAttempt(db: PlatformDb, id: string): Promise<LoginAttempt> {
  // login attempt: count, and lock when the threshold is passed
  const passed = sql<boolean>`failed_login_count + 1 > ${LOCKOUT_THRESHOLD}`;
  const row = await platform(db)
    .updateTable('users')
    .set({
      failed_login_count: sql<number>`case when ${passed} then 0 else failed_login_count + 1 end`,
      locked_until: sql<Date | null>`case when ${passed} then ${lockFor} else locked_until end`,
      lockout_count: sql<number>`case when ${passed} then lockout_count + 1 else lockout_count end`,
    })
    .where('id', '=', id)
    .where(notLocked)
    .returning(['locked_until'])
    .executeTakeFirst();
  if (!row) return { refused: true, lockedUntil: null };
  const lockedUntil = row.locked_until && row.locked_until > new Date() ? row.locked_until : null;
  return { refused: lockedUntil !== null, lockedUntil };
}

/**
 * A claimed attempt whose password was wrong: it stays counted; the one that
 * makes LOCKOUT_THRESHOLD failures locks the account at once.
 */
export async function recordLoginFailure(db: PlatformDb, id: string): Promise<Date | null> {
  // login failure: lock at the threshold
  const row = await platform(db)
    .updateTable('users')
    .set({ failed_login_count: 0, locked_until: lockFor, lockout_count: sql<number>`lockout_count + 1` })
    .where('id', '=', id)
    .where('failed_login_count', '>=', LOCKOUT_THRESHOLD)
    .where(notLocked)
    .returning(['locked_until'])
    .executeTakeFirst();
  return row?.locked_until ?? null;
}

/**
 * A claimed attempt whose password was right: the counters reset, unless
 * parallel attempts locked the account meanwhile (then false: refuse it).
 * `keepCounting` (an MFA step follows) only gives the attempt back.
 */
export async function recordLoginPassed(db: PlatformDb, id: string, opts: { keepCounting: boolean }): Promise<boolean> {
  const res = await platform(db)
    .updateTable('users')
    .set(
      opts.keepCounting
        ? { failed_login_count: sql<number>`greatest(failed_login_count - 1, 0)` }
        : { failed_login_count: 0, lockout_count: 0, locked_until: null, last_login_at: sql`now()` },
    )
    .where('id', '=', id)
    .where(notLocked)
    .executeTakeFirst();
  return res.numUpdatedRows > 0n;
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

/** The organization's longest-standing owner. */
export function findOwner(db: PlatformDb, organizationId: string): Promise<UserRow | undefined> {
  return usersOf(db, organizationId).selectAll().where('role', '=', 'owner').orderBy('created_at').orderBy('id').limit(1).executeTakeFirst();
}
