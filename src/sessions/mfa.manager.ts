import { auditSource, recordAudit } from '../audit/audit.js';
import { acceptTotp, newRecoveryCodes, newTotpSecret, openTotpSecret, sealTotpSecret, totpUri } from '../auth/mfa.js';
import type { RequestScope } from '../auth/scope.js';
import { ConflictError, UnauthenticatedError } from '../errors.js';
import * as users from '../users/user.dao.js';
import { getMe } from '../users/user.manager.js';
import * as sessions from './session.dao.js';

/** Starts enrolment: a new secret (stored encrypted, pending) and its otpauth:// URI for an authenticator app. */
export async function enrollMfa(scope: RequestScope): Promise<{ secret: string; otpauthUri: string }> {
  const me = await getMe(scope);
  const { keyring } = scope.services;
  if (me.mfa_enabled) throw new ConflictError('MFA is already on; disable it first to enrol a new authenticator');
  const secret = newTotpSecret();
  await scope.tenant.transaction(async ({ platform }) => {
    await users.updateUser(platform, me.id, { mfa_pending_secret_encrypted: sealTotpSecret(keyring, me.id, secret) });
    await recordAudit(platform, auditSource(scope), { action: 'user.enrollMfa', entityType: 'User', entityId: me.id });
  });
  return { secret, otpauthUri: totpUri(secret, me.email) };
}

/** Turns MFA on once the user proves the authenticator works; returns recovery codes, shown once. */
export async function confirmMfa(scope: RequestScope, code: string): Promise<{ recoveryCodes: string[] }> {
  const me = await getMe(scope);
  const { keyring } = scope.services;
  if (me.mfa_enabled) throw new ConflictError('MFA is already on');
  if (!me.mfa_pending_secret_encrypted) throw new ConflictError('Start with enrollMfa');
  const secret = openTotpSecret(keyring, me.id, me.mfa_pending_secret_encrypted);
  const step = acceptTotp(secret, code ?? '', null);
  if (step === null) throw new UnauthenticatedError('Invalid code');
  const { codes, hashes } = newRecoveryCodes();
  await scope.tenant.transaction(async ({ platform }) => {
    await users.updateUser(platform, me.id, {
      mfa_enabled: true,
      mfa_secret_encrypted: sealTotpSecret(keyring, me.id, secret),
      mfa_pending_secret_encrypted: null,
      mfa_last_used_step: step,
    });
    await sessions.insertRecoveryCodes(platform, me.id, hashes);
    await recordAudit(platform, auditSource(scope), { action: 'user.confirmMfa', entityType: 'User', entityId: me.id, after: { mfa_enabled: true } });
  });
  return { recoveryCodes: codes };
}

/** Turns MFA off; needs a current code, so a stolen session alone cannot. */
export async function disableMfa(scope: RequestScope, code: string): Promise<void> {
  const me = await getMe(scope);
  const { keyring } = scope.services;
  if (!me.mfa_enabled || !me.mfa_secret_encrypted) throw new ConflictError('MFA is not on');
  const step = acceptTotp(openTotpSecret(keyring, me.id, me.mfa_secret_encrypted), code ?? '', me.mfa_last_used_step);
  if (step === null) throw new UnauthenticatedError('Invalid code');
  await scope.tenant.transaction(async ({ platform }) => {
    // The same code sent twice at once: only one request may spend it.
    if (!(await users.claimTotpStep(platform, me.id, step))) throw new UnauthenticatedError('Invalid code');
    await users.updateUser(platform, me.id, { mfa_enabled: false, mfa_secret_encrypted: null });
    await sessions.deleteRecoveryCodes(platform, me.id);
    await recordAudit(platform, auditSource(scope), { action: 'user.disableMfa', entityType: 'User', entityId: me.id, before: { mfa_enabled: true }, after: { mfa_enabled: false } });
  });
}
