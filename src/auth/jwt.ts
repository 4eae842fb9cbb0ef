import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { UnauthenticatedError } from '../errors.js';
import type { Logger } from '../logger.js';

export const MIN_SECRET_BYTES = 32;

export interface AccessClaims {
  /** The user id. */
  sub: string;
  /** The organization id. */
  org: string;
}

/**
 * Access tokens: HS256 JWTs with issuer, audience, expiry and not-before
 * checked. Verification pins the algorithm, so `alg: none` and algorithm
 * confusion are refused.
 */
export class AccessTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: Uint8Array,
    private readonly settings: Config['jwt'],
  ) {
    if (secret.byteLength < MIN_SECRET_BYTES) {
      throw new ConfigError(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes`);
    }
    this.key = secret;
  }

  get ttlSeconds(): number {
    return this.settings.accessTtlSeconds;
  }

  async sign(claims: AccessClaims, ttlSeconds = this.settings.accessTtlSeconds): Promise<string> {
    return new SignJWT({ org: claims.org })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime(`${ttlSeconds}s`)
      .setJti(randomBytes(12).toString('base64url'))
      .sign(this.key);
  }

  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['sub', 'exp', 'iat'],
      });
      if (typeof payload.sub !== 'string' || typeof payload.org !== 'string') throw new UnauthenticatedError('Invalid token');
      return { sub: payload.sub, org: payload.org };
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new UnauthenticatedError('Token expired');
      if (err instanceof UnauthenticatedError) throw err;
      throw new UnauthenticatedError('Invalid token');
    }
  }
}

/**
 * The HS256 secret: JWT_SECRET, or (never in production) one generated once
 * into the data directory with mode 0600.
 */
export async function loadJwtSecret(config: Config, logger: Logger): Promise<Uint8Array> {
  if (config.jwt.secret) return new TextEncoder().encode(config.jwt.secret);
  if (config.isProduction) throw new ConfigError('JWT_SECRET is required when NODE_ENV=production');
  const file = path.resolve(config.dataDir, 'jwt-secret');
  try {
    return new TextEncoder().encode((await readFile(file, 'utf8')).trim());
  } catch {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, randomBytes(48).toString('base64url'), { mode: 0o600 });
    await chmod(file, 0o600);
    logger.warn({ file }, 'JWT_SECRET is unset: generated a signing secret for this data directory');
    return new TextEncoder().encode((await readFile(file, 'utf8')).trim());
  }
}
