import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import type { Keyring, Sealed } from '../crypto/keyring.js';
import { sha256Hex } from './secrets.js';

/** TOTP per RFC 6238: SHA-1, 6 digits, 30 s steps, one step of clock drift either way. */
const PERIOD = 30;
const WINDOW = 1;

export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

export function totpUri(secretBase32: string, account: string): string {
  return new TOTP({ issuer: 'Datalinx', label: account, secret: Secret.fromBase32(secretBase32), period: PERIOD }).toString();
}

/**
 * The time step a code belongs to, if it is valid now and newer than the last
 * accepted one (a code is accepted once).
 */
export function acceptTotp(secretBase32: string, code: string, lastUsedStep: number | null, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const totp = new TOTP({ secret: Secret.fromBase32(secretBase32), period: PERIOD });
  const delta = totp.validate({ token: code, timestamp: now, window: WINDOW });
  if (delta === null) return null;
  const step = Math.floor(now / 1000 / PERIOD) + delta;
  return lastUsedStep !== null && step <= lastUsedStep ? null : step;
}

/** A code for the current step (tests and tooling). */
export function currentTotp(secretBase32: string, now = Date.now()): string {
  return new TOTP({ secret: Secret.fromBase32(secretBase32), period: PERIOD }).generate({ timestamp: now });
}

const mfaAad = (userId: string) => `datalinx:user_mfa:${userId}`;

export function sealTotpSecret(keyring: Keyring, userId: string, secretBase32: string): string {
  return JSON.stringify(keyring.seal(Buffer.from(secretBase32), mfaAad(userId)));
}

export function openTotpSecret(keyring: Keyring, userId: string, sealed: string): string {
  return keyring.open(JSON.parse(sealed) as Sealed, mfaAad(userId)).toString('utf8');
}

/** Ten single-use recovery codes, shown once; stored as SHA-256 (they are random, 50 bits each). */
export function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: 10 }, () => {
    const raw = randomBytes(8).toString('hex').slice(0, 10);
    return `${raw.slice(0, 5)}-${raw.slice(5)}`;
  });
  return { codes, hashes: codes.map(hashRecoveryCode) };
}

export function hashRecoveryCode(code: string): string {
  return sha256Hex(code.trim().toLowerCase());
}
