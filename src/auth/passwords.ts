import { hash, verify, type Options } from '@node-rs/argon2';
import { ValidationError } from '../errors.js';

/** argon2id at OWASP's recommended minimum or stronger: 19 MiB, t=2, p=1. */
// The package's Algorithm is a const enum (not importable here); 2 is Argon2id.
export const ARGON2_OPTIONS: Options = { algorithm: 2 as Options['algorithm'], memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

export function checkPasswordPolicy(password: string, path: string[] = ['password']): void {
  if (typeof password !== 'string' || [...password].length < PASSWORD_MIN) {
    throw new ValidationError(`Password must be at least ${PASSWORD_MIN} characters`, path);
  }
  if ([...password].length > PASSWORD_MAX) throw new ValidationError(`Password must be at most ${PASSWORD_MAX} characters`, path);
}

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

// Verifying against this when the email is unknown makes both answers take as long.
const DUMMY_HASH = hash('datalinx-dummy-password-for-timing', ARGON2_OPTIONS);

/** True when the password matches; with no stored hash it still spends the same work and says no. */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (!stored) {
    await verify(await DUMMY_HASH, password).catch(() => false);
    return false;
  }
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}
