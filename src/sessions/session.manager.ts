import { randomUUID } from 'node:crypto';
import { auditSource, recordAudit, type AuditSource } from '../audit/audit.js';
import type { Actor } from '../auth/actor.js';
import { acceptTotp, hashRecoveryCode, openTotpSecret } from '../auth/mfa.js';
import { checkPasswordPolicy, hashPassword, verifyPassword } from '../auth/passwords.js';
import type { CallScope, RequestScope } from '../auth/scope.js';
import { randomToken, sha256Hex } from '../auth/secrets.js';
import type { UserRow } from '../db/tables/users.table.js';
import { ForbiddenError, UnauthenticatedError } from '../errors.js';
import { createOrganizationIn } from '../organizations/organization.manager.js';
import * as users from '../users/user.dao.js';
import { getMe } from '../users/user.manager.js';
import { checkEmail } from '../validation.js';
import * as sessions from './session.dao.js';

/** Same words whatever went wrong, so an answer never tells whether an email is registered. */
export const INVALID_CREDENTIALS = 'Invalid email or password';
const MFA_CHALLENGE_TTL_MS = 5 * 60_000;
const MFA_MAX_ATTEMPTS = 5;

export interface SignedIn {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: UserRow;
}

export type LoginResult = ({ kind: 'signedIn' } & SignedIn) | { kind: 'mfaRequired'; challenge: string; expiresAt: Date };

const userActor = (u: UserRow): Actor => ({ kind: 'user', id: u.id, organizationId: u.organization_id!, role: u.role });
/** Sign-in work is audited as the user it signs in, from the caller's request. */
const auditFrom = (u: UserRow, scope: CallScope): AuditSource => ({
  actor: userActor(u),
  organizationId: u.organization_id,
  requestId: scope.requestId,
  clientAddress: scope.clientAddress,
});

/**
 * Issues an access token and a refresh token of a new (or the given) family;
 * the access token names the family (its session), so revoking the family
 * ends both at once.
 */
export async function issueTokens({ services }: CallScope, db: Parameters<typeof sessions.insertRefreshToken>[0], user: UserRow, familyId: string = randomUUID()): Promise<SignedIn> {
  const refreshToken = randomToken('dlxr_');
  await sessions.insertRefreshToken(db, {
    user_id: user.id,
    family_id: familyId,
    token_hash: sha256Hex(refreshToken),
    expires_at: new Date(Date.now() + services.settings.refreshTokenTtlDays * 86_400_000),
  });
  const accessToken = await services.tokens.sign({ sub: user.id, org: user.organization_id!, sid: familyId });
  return { accessToken, refreshToken, expiresIn: services.tokens.ttlSeconds, user };
}

/** Creates an organization with its owner and signs the owner in, all or nothing. */
export async function signUp(
  scope: CallScope,
  input: { organizationName: string; slug: string; email: string; password: string; displayName?: string | null },
): Promise<SignedIn> {
  if (!scope.services.settings.allowSignup) throw new ForbiddenError('Sign-up is disabled on this server; ask an operator for an account');
  const email = checkEmail(input.email, ['input', 'email']);
  checkPasswordPolicy(input.password, ['input', 'password']);
  const passwordHash = await hashPassword(input.password);
  return scope.services.system.db.transaction().execute(async (trx) => {
    const org = await createOrganizationIn(trx, scope, { name: input.organizationName, slug: input.slug });
    const owner = await users.insertUser(trx, {
      organization_id: org.id,
      email,
      password_hash: passwordHash,
      display_name: input.displayName?.trim() || null,
      role: 'owner',
    });
    await recordAudit(trx, auditFrom(owner, scope), { action: 'user.signUp', entityType: 'User', entityId: owner.id, after: { email, role: 'owner' } });
    return issueTokens(scope, trx, owner);
  });
}

/**
 * Password login. Wrong password, unknown email and a locked account all get
 * the same answer after the same work. Each attempt on an account is counted
 * before its password is checked (users.claimLoginAttempt), so parallel
 * guesses cannot outrun the lockout, and a right password is refused when
 * the account got locked while it was being checked. MFA users get a
 * challenge instead of tokens.
 */
export async function login(scope: CallScope, input: { email: string; password: string }): Promise<LoginResult> {
  const { db } = scope.services.system;
  const { logger } = scope.services;
  const email = typeof input.email === 'string' ? input.email.trim().toLowerCase() : '';
  const user = email ? await users.findUserByEmail(db, email) : undefined;
  const attempt = user ? await users.claimLoginAttempt(db, user.id) : undefined;
  const ok = await verifyPassword(user?.password_hash, input.password ?? '');
  if (!user || !attempt) throw new UnauthenticatedError(INVALID_CREDENTIALS);
  const lockLog = { userId: user.id, requestId: scope.requestId, clientAddress: scope.clientAddress };
  if (attempt.refused) {
    if (attempt.lockedUntil) logger.warn({ ...lockLog, lockedUntil: attempt.lockedUntil }, 'account locked: too many sign-in attempts');
    else logger.warn(lockLog, 'login refused: account locked');
    throw new UnauthenticatedError(INVALID_CREDENTIALS);
  }
  if (!ok) {
    const lockedUntil = await users.recordLoginFailure(db, user.id);
    if (lockedUntil) logger.warn({ ...lockLog, lockedUntil }, 'account locked after repeated failed logins');
    throw new UnauthenticatedError(INVALID_CREDENTIALS);
  }
  if (user.mfa_enabled) {
    if (!(await users.recordLoginPassed(db, user.id, { keepCounting: true }))) throw new UnauthenticatedError(INVALID_CREDENTIALS);
    const challenge = randomToken('dlxm_');
    const expiresAt = new Date(Date.now() + MFA_CHALLENGE_TTL_MS);
    await sessions.insertMfaChallenge(db, { user_id: user.id, token_hash: sha256Hex(challenge), expires_at: expiresAt });
    return { kind: 'mfaRequired', challenge, expiresAt };
  }
  const signedIn = await db
    .transaction()
    .execute(async (trx) => {
      if (!(await users.recordLoginPassed(trx, user.id, { keepCounting: false }))) return undefined;
      await recordAudit(trx, auditFrom(user, scope), { action: 'auth.login', entityType: 'User', entityId: user.id });
      return issueTokens(scope, trx, user);
    })
    .catch(async (err: unknown) => {
      // Our failure, not a guess: the attempt is given back, so nothing of it remains.
      await users.recordLoginPassed(db, user.id, { keepCounting: true }).catch(() => undefined);
      throw err;
    });
  if (!signedIn) {
    logger.warn(lockLog, 'login refused: account locked while the password was checked');
    throw new UnauthenticatedError(INVALID_CREDENTIALS);
  }
  return { kind: 'signedIn', ...signedIn };
}

/** Completes an MFA login with a TOTP code (each accepted once) or an unused recovery code. */
export async function verifyMfa(scope: CallScope, input: { challenge: string; code: string }): Promise<SignedIn> {
  // A wrong code must be counted, so it is refused after the transaction commits, not by rolling it back.
  const outcome = await scope.services.system.db.transaction().execute(async (trx): Promise<SignedIn | 'invalid code'> => {
    const challenge = await sessions.findMfaChallengeForUpdate(trx, sha256Hex(input.challenge ?? ''));
    if (!challenge || challenge.used_at || challenge.expires_at <= new Date()) throw new UnauthenticatedError('The MFA challenge is invalid or expired; sign in again');
    const user = await users.findUserById(trx, challenge.user_id);
    if (!user?.mfa_enabled || !user.mfa_secret_encrypted) throw new UnauthenticatedError('The MFA challenge is invalid or expired; sign in again');
    const code = (input.code ?? '').trim();
    const step = acceptTotp(openTotpSecret(scope.services.keyring, user.id, user.mfa_secret_encrypted), code, user.mfa_last_used_step);
    const accepted = step !== null ? await users.claimTotpStep(trx, user.id, step) : await sessions.consumeRecoveryCode(trx, user.id, hashRecoveryCode(code));
    if (!accepted) {
      const attempts = challenge.failed_attempts + 1;
      await sessions.updateMfaChallenge(trx, challenge.id, attempts >= MFA_MAX_ATTEMPTS ? { failed_attempts: attempts, used_at: new Date() } : { failed_attempts: attempts });
      return 'invalid code';
    }
    await sessions.updateMfaChallenge(trx, challenge.id, { used_at: new Date() });
    await users.recordLoginSuccess(trx, user.id);
    await recordAudit(trx, auditFrom(user, scope), { action: 'auth.login', entityType: 'User', entityId: user.id, after: { mfa: step !== null ? 'totp' : 'recovery_code' } });
    return issueTokens(scope, trx, user);
  });
  if (outcome === 'invalid code') throw new UnauthenticatedError('Invalid code');
  return outcome;
}

/**
 * Rotates a refresh token: the presented one is spent and a new one of the
 * same family issued. Presenting a spent token again means it leaked: the
 * whole family is revoked.
 */
export async function refreshSession(scope: CallScope, refreshToken: string): Promise<SignedIn> {
  const outcome = await scope.services.system.db.transaction().execute(async (trx) => {
    const row = await sessions.findRefreshTokenForUpdate(trx, sha256Hex(refreshToken ?? ''));
    if (!row || row.revoked_at || row.expires_at <= new Date()) return { error: 'invalid' as const };
    if (row.used_at) {
      await sessions.revokeRefreshFamily(trx, row.family_id);
      return { error: 'reused' as const, userId: row.user_id };
    }
    const user = await users.findUserById(trx, row.user_id);
    if (!user?.organization_id) return { error: 'invalid' as const };
    await sessions.markRefreshTokenUsed(trx, row.id);
    await recordAudit(trx, auditFrom(user, scope), { action: 'auth.refresh', entityType: 'User', entityId: user.id });
    return { signedIn: await issueTokens(scope, trx, user, row.family_id) };
  });
  if ('signedIn' in outcome && outcome.signedIn) return outcome.signedIn;
  if (outcome.error === 'reused') {
    scope.services.logger.warn({ userId: outcome.userId, requestId: scope.requestId, clientAddress: scope.clientAddress }, 'refresh token reused: session family revoked');
  }
  throw new UnauthenticatedError('Invalid refresh token');
}

/** Ends the session the refresh token belongs to (its whole family). */
export async function logout(scope: CallScope, refreshToken: string): Promise<boolean> {
  return scope.services.system.db.transaction().execute(async (trx) => {
    const row = await sessions.findRefreshTokenForUpdate(trx, sha256Hex(refreshToken ?? ''));
    if (!row) return false;
    await sessions.revokeRefreshFamily(trx, row.family_id);
    const user = await users.findUserById(trx, row.user_id);
    if (user) await recordAudit(trx, auditFrom(user, scope), { action: 'auth.logout', entityType: 'User', entityId: user.id });
    return true;
  });
}

/** Sets the password of an invited user (once: only while none is set) and signs them in. */
export async function acceptInvitation(
  scope: CallScope,
  input: { invitationToken: string; password: string; displayName?: string | null },
): Promise<SignedIn> {
  let claims;
  try {
    claims = await scope.services.tokens.verifyInvitation(input.invitationToken ?? '');
  } catch {
    throw new UnauthenticatedError('The invitation is invalid or expired');
  }
  checkPasswordPolicy(input.password, ['password']);
  const passwordHash = await hashPassword(input.password);
  return scope.services.system.db.transaction().execute(async (trx) => {
    // Locked: two acceptances of one invitation cannot both set a password.
    const user = await users.findUserByIdForUpdate(trx, claims.sub);
    if (!user || user.organization_id !== claims.org || user.password_hash) throw new UnauthenticatedError('The invitation is invalid or expired');
    const after = await users.updateUser(trx, user.id, {
      password_hash: passwordHash,
      ...(input.displayName?.trim() ? { display_name: input.displayName.trim() } : {}),
    });
    await users.recordLoginSuccess(trx, user.id);
    await recordAudit(trx, auditFrom(user, scope), { action: 'user.acceptInvitation', entityType: 'User', entityId: user.id });
    return issueTokens(scope, trx, after!);
  });
}

/** Checks the current password, stores the new one, and ends every other session. */
export async function changePassword(scope: RequestScope, input: { currentPassword: string; newPassword: string }): Promise<UserRow> {
  const me = await getMe(scope);
  if (!(await verifyPassword(me.password_hash, input.currentPassword))) throw new UnauthenticatedError('The current password is wrong');
  checkPasswordPolicy(input.newPassword, ['newPassword']);
  const passwordHash = await hashPassword(input.newPassword);
  return scope.tenant.transaction(async ({ platform }) => {
    const after = await users.updateUser(platform, me.id, { password_hash: passwordHash });
    await sessions.revokeRefreshTokensOfUser(platform, me.id, scope.sessionId);
    await recordAudit(platform, auditSource(scope), { action: 'user.changePassword', entityType: 'User', entityId: me.id, after: { password: 'changed' } });
    return after!;
  });
}
