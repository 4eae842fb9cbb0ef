import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  errors as joseErrors,
  exportJWK,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JWK,
  type JWTHeaderParameters,
  type KeyObject,
} from 'jose';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { UnauthenticatedError } from '../errors.js';
import type { Logger } from '../logger.js';
import { isUuid } from '../validation.js';

export interface AccessClaims {
  /** The user id. */
  sub: string;
  /** The organization id. */
  org: string;
}

/** An access token's claims: it belongs to one sign-in session (a refresh-token family). */
export interface SessionClaims extends AccessClaims {
  /** The session: the refresh-token family it was issued with. Revoking the family ends the token too. */
  sid: string;
}

type Key = CryptoKey | KeyObject | Uint8Array;

/** A verified access token's claims and validity window (seconds since the epoch, as in the JWT). */
interface Verified {
  claims: SessionClaims;
  exp: number;
  nbf: number;
}

/** Whole seconds, as jose compares `exp` and `nbf` (no clock tolerance). */
const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * How tokens are signed: one HS256 secret, or ES256/RS256 key pairs with a
 * `kid` each (the current one signs, all verify, so keys can rotate).
 */
export type SigningKeys =
  | { alg: 'HS256'; secret: Uint8Array }
  | { alg: 'ES256' | 'RS256'; currentKid: string; keys: Map<string, { privateKey: Key; publicKey: Key; publicJwk: JWK }> };

/**
 * Access tokens: short-lived JWTs with issuer, audience, expiry and not-before
 * checked. Verification pins the configured algorithm, so `alg: none` and
 * algorithm confusion (an HS256 token signed with a public key) are refused.
 */
export class AccessTokens {
  /**
   * Access tokens already verified, by their exact text: a client sends the
   * same token on every request until it expires, and verifying its signature
   * each time was a tenth of a small query's CPU (bench/README.md). A hit
   * still checks the expiry; the session behind the token is checked by the
   * caller on every request, so revocation is unaffected.
   */
  private readonly verified = new LRUCache<string, Verified>({ max: 10_000 });

  constructor(
    private readonly signing: SigningKeys,
    private readonly settings: Config['jwt'],
  ) {}

  get ttlSeconds(): number {
    return this.settings.accessTtlSeconds;
  }

  /** An access token for the API. */
  sign(claims: SessionClaims, ttlSeconds = this.settings.accessTtlSeconds): Promise<string> {
    return this.signFor(this.settings.audience, claims, ttlSeconds);
  }

  async verify(token: string): Promise<SessionClaims> {
    const known = this.verified.get(token);
    if (known) {
      const now = nowSeconds();
      if (known.exp <= now) {
        this.verified.delete(token);
        throw new UnauthenticatedError('Token expired');
      }
      if (known.nbf <= now) return known.claims;
    }
    const { claims, exp, nbf } = await this.verifyFor(this.settings.audience, token);
    if (!isUuid(claims.sid)) throw new UnauthenticatedError('Invalid token');
    const verified = { claims: claims as SessionClaims, exp, nbf };
    this.verified.set(token, verified);
    return verified.claims;
  }

  /** An invitation to set a password: its own audience, so it is never an access token. */
  signInvitation(claims: AccessClaims, ttlSeconds = 7 * 86_400): Promise<string> {
    return this.signFor(`${this.settings.audience}:invitation`, claims, ttlSeconds);
  }

  async verifyInvitation(token: string): Promise<AccessClaims> {
    return (await this.verifyFor(`${this.settings.audience}:invitation`, token)).claims;
  }

  private async signFor(audience: string, claims: AccessClaims & { sid?: string }, ttlSeconds: number): Promise<string> {
    const jwt = new SignJWT(claims.sid ? { org: claims.org, sid: claims.sid } : { org: claims.org })
      .setSubject(claims.sub)
      .setIssuer(this.settings.issuer)
      .setAudience(audience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${ttlSeconds}s`)
      .setJti(randomBytes(12).toString('base64url'));
    if (this.signing.alg === 'HS256') return jwt.setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(this.signing.secret);
    const key = this.signing.keys.get(this.signing.currentKid)!;
    return jwt.setProtectedHeader({ alg: this.signing.alg, kid: this.signing.currentKid, typ: 'JWT' }).sign(key.privateKey);
  }

  private async verifyFor(audience: string, token: string): Promise<{ claims: AccessClaims & { sid?: unknown }; exp: number; nbf: number }> {
    const signing = this.signing;
    const keyFor = async (header: JWTHeaderParameters): Promise<Key> => {
      if (signing.alg === 'HS256') return signing.secret;
      const key = header.kid ? signing.keys.get(header.kid) : undefined;
      if (!key) throw new UnauthenticatedError('Invalid token');
      return key.publicKey;
    };
    try {
      const { payload } = await jwtVerify(token, keyFor, {
        algorithms: [signing.alg],
        issuer: this.settings.issuer,
        audience,
        requiredClaims: ['sub', 'exp', 'iat', 'nbf'],
      });
      // Signed by us, but still checked: an id that is not a UUID must not reach SQL.
      if (!isUuid(payload.sub) || !isUuid(payload.org)) throw new UnauthenticatedError('Invalid token');
      const claims = { sub: payload.sub, org: payload.org, ...(payload.sid !== undefined ? { sid: payload.sid } : {}) };
      // Both required above; jose has checked them against the clock.
      return { claims, exp: payload.exp!, nbf: payload.nbf! };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('Token expired');
      throw new UnauthenticatedError('Invalid token');
    }
  }

  /** The public keys, for /.well-known/jwks.json (empty with HS256). */
  jwks(): { keys: JWK[] } {
    if (this.signing.alg === 'HS256') return { keys: [] };
    return { keys: [...this.signing.keys.values()].map((k) => k.publicJwk) };
  }
}

const KeyFile = z.object({
  current: z.string().min(1),
  keys: z.array(z.looseObject({ kid: z.string().min(1), kty: z.string() })).min(1),
});

/** Reads `{current, keys: [private JWK with kid]}` and derives each public key. */
export async function loadKeyPairs(alg: 'ES256' | 'RS256', json: string): Promise<SigningKeys> {
  const parsed = KeyFile.safeParse(JSON.parse(json));
  if (!parsed.success) throw new ConfigError('JWT_KEYS_FILE must hold {"current": kid, "keys": [private JWKs with kid]}');
  const keys = new Map<string, { privateKey: Key; publicKey: Key; publicJwk: JWK }>();
  for (const jwk of parsed.data.keys) {
    const privateKey = await importJWK(jwk as JWK, alg, { extractable: true });
    const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = jwk as JWK;
    const publicJwk: JWK = { ...pub, kid: jwk.kid, alg, use: 'sig' };
    keys.set(jwk.kid, { privateKey, publicKey: await importJWK(publicJwk, alg), publicJwk });
  }
  if (!keys.has(parsed.data.current)) throw new ConfigError(`JWT_KEYS_FILE has no key "${parsed.data.current}"`);
  return { alg, currentKid: parsed.data.current, keys };
}

/** A fresh key pair as a key file's entry (for `npm run admin -- generate-jwt-key`). */
export async function generateKeyPairJwk(alg: 'ES256' | 'RS256', kid: string): Promise<JWK> {
  const { generateKeyPair } = await import('jose');
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg };
}

/**
 * The signing keys from the configuration: key pairs from JWT_KEYS_FILE, or
 * JWT_SECRET, or (never in production) a secret generated once into the data
 * directory with mode 0600.
 */
export async function loadSigningKeys(config: Config, logger: Logger): Promise<SigningKeys> {
  if (config.jwt.algorithm !== 'HS256') return loadKeyPairs(config.jwt.algorithm, await readFile(config.jwt.keysFile!, 'utf8'));
  if (config.jwt.secret) return { alg: 'HS256', secret: new TextEncoder().encode(config.jwt.secret) };
  const file = path.resolve(config.dataDir, 'jwt-secret');
  try {
    return { alg: 'HS256', secret: new TextEncoder().encode((await readFile(file, 'utf8')).trim()) };
  } catch {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
    await chmod(file, 0o600);
    logger.warn({ file }, 'JWT_SECRET is unset: generated a signing secret for this data directory');
    return { alg: 'HS256', secret: new TextEncoder().encode((await readFile(file, 'utf8')).trim()) };
  }
}
