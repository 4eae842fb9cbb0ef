import { randomBytes } from 'node:crypto';
import { sha256Hex } from './secrets.js';

/** API keys look like dlx_<12 hex prefix>_<secret>; the prefix is stored in clear to find the key. */
export const API_KEY_PATTERN = /^(dlx_[0-9a-f]{12})_([A-Za-z0-9_-]{43})$/;
export const API_KEY_PREFIX = 'dlx_';

/** A new API key, its stored prefix and its SHA-256 (the only form the database keeps). */
export function newApiKey(): { key: string; prefix: string; hash: string } {
  const prefix = `${API_KEY_PREFIX}${randomBytes(6).toString('hex')}`;
  const key = `${prefix}_${randomBytes(32).toString('base64url')}`;
  return { key, prefix, hash: sha256Hex(key) };
}
