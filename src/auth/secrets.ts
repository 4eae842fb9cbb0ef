import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random bearer secret with a recognisable prefix (e.g. dlxr_ for refresh tokens). */
export function randomToken(prefix: string, bytes = 32): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

/** High-entropy tokens are stored as their SHA-256; a slow hash adds nothing for them. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

export function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
