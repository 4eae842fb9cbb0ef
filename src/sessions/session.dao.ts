import { sql } from 'kysely';
import type { PlatformDb } from '../db/database.js';
import { platform } from '../db/database.js';
import type { OrganizationRow } from '../db/tables/organizations.table.js';
import type { MfaChallengeRow, RefreshTokenRow } from '../db/tables/sessions.table.js';
import type { UserRole } from '../db/tables/users.table.js';

export function insertRefreshToken(
  db: PlatformDb,
  row: { user_id: string; family_id: string; token_hash: string; expires_at: Date },
): Promise<RefreshTokenRow> {
  return platform(db).insertInto('refresh_tokens').values(row).returningAll().executeTakeFirstOrThrow();
}

/** Locks the token row so two concurrent refreshes cannot both rotate it. */
export function findRefreshTokenForUpdate(db: PlatformDb, tokenHash: string): Promise<RefreshTokenRow | undefined> {
  return platform(db).selectFrom('refresh_tokens').selectAll().where('token_hash', '=', tokenHash).forUpdate().executeTakeFirst();
}

export async function markRefreshTokenUsed(db: PlatformDb, id: string): Promise<void> {
  await platform(db).updateTable('refresh_tokens').set({ used_at: sql`now()` }).where('id', '=', id).execute();
}

/**
 * What an access token's check needs, in one statement: the user it names,
 * provided its session (refresh-token family) is still open — some token of
 * the family not revoked, so logout, a password change or a reused refresh
 * token end the session's access tokens at once — and the organization it
 * names, which must be the user's own. Undefined when any of it fails.
 */
export async function findSessionUserAndOrganization(
  db: PlatformDb,
  userId: string,
  familyId: string,
  organizationId: string,
): Promise<{ user: { id: string; role: UserRole }; organization: OrganizationRow } | undefined> {
  const row = await platform(db)
    .selectFrom('users')
    .innerJoin('organizations', 'organizations.id', 'users.organization_id')
    .selectAll('organizations')
    .select(['users.id as session_user_id', 'users.role as session_user_role'])
    .where('users.id', '=', userId)
    .where('organizations.id', '=', organizationId)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('refresh_tokens')
          .select('refresh_tokens.id')
          .where('refresh_tokens.family_id', '=', familyId)
          .where('refresh_tokens.user_id', '=', userId)
          .where('refresh_tokens.revoked_at', 'is', null),
      ),
    )
    .executeTakeFirst();
  if (!row) return undefined;
  const { session_user_id: id, session_user_role: role, ...organization } = row;
  return { user: { id, role }, organization: organization as OrganizationRow };
}

export async function revokeRefreshFamily(db: PlatformDb, familyId: string): Promise<number> {
  const res = await platform(db)
    .updateTable('refresh_tokens')
    .set({ revoked_at: sql`now()` })
    .where('family_id', '=', familyId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Ends every session of a user, but the one named in `except` (the caller's own). */
export async function revokeRefreshTokensOfUser(db: PlatformDb, userId: string, except?: string): Promise<void> {
  let query = platform(db).updateTable('refresh_tokens').set({ revoked_at: sql`now()` }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (except) query = query.where('family_id', '!=', except);
  await query.execute();
}

export function insertMfaChallenge(db: PlatformDb, row: { user_id: string; token_hash: string; expires_at: Date }): Promise<MfaChallengeRow> {
  return platform(db).insertInto('mfa_challenges').values(row).returningAll().executeTakeFirstOrThrow();
}

export function findMfaChallengeForUpdate(db: PlatformDb, tokenHash: string): Promise<MfaChallengeRow | undefined> {
  return platform(db).selectFrom('mfa_challenges').selectAll().where('token_hash', '=', tokenHash).forUpdate().executeTakeFirst();
}

export async function updateMfaChallenge(db: PlatformDb, id: string, patch: { used_at?: Date; failed_attempts?: number }): Promise<void> {
  await platform(db).updateTable('mfa_challenges').set(patch).where('id', '=', id).execute();
}

export async function insertRecoveryCodes(db: PlatformDb, userId: string, hashes: string[]): Promise<void> {
  await platform(db).deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
  if (hashes.length) await platform(db).insertInto('mfa_recovery_codes').values(hashes.map((code_hash) => ({ user_id: userId, code_hash }))).execute();
}

/** Uses a recovery code once: true when an unused one matched. */
export async function consumeRecoveryCode(db: PlatformDb, userId: string, codeHash: string): Promise<boolean> {
  const res = await platform(db)
    .updateTable('mfa_recovery_codes')
    .set({ used_at: sql`now()` })
    .where('user_id', '=', userId)
    .where('code_hash', '=', codeHash)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return res.numUpdatedRows > 0n;
}

export async function deleteRecoveryCodes(db: PlatformDb, userId: string): Promise<void> {
  await platform(db).deleteFrom('mfa_recovery_codes').where('user_id', '=', userId).execute();
}
