import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import { loadConfig } from '../../src/config.js';
import type { AppServices } from '../../src/auth/scope.js';
import { createLogger } from '../../src/logger.js';
import { buildServer } from '../../src/server.js';
import { createServices } from '../../src/services.js';
import { ERROR_FIELDS, gqlData, mutate, type TypedError } from './graphql.js';
import { PASSWORD } from './seed.js';
import { createTestDb, type TestDb } from './test-db.js';
import type { TestServer } from './test-server.js';

/** Signing in, sessions, MFA, secrets at rest, and servers configured like production (keys from the environment). */

export const SESSION_FIELDS = 'accessToken refreshToken expiresIn user { id email role lastLoginAt }';

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: { id: string; email: string; role: string; lastLoginAt: string | null };
}

/** The TOTP code of a secret at a time (now by default), as an authenticator app shows it. */
export const totp = (secretBase32: string, at = Date.now()) => new TOTP({ secret: Secret.fromBase32(secretBase32), period: 30 }).generate({ timestamp: at });

/** Enrols and confirms MFA for the token's user; returns the secret and the recovery codes. */
export async function turnOnMfa(server: TestServer, token: string): Promise<{ secret: string; recoveryCodes: string[] }> {
  const enrolled = await gqlData<{ enrollMfa: { secret: string } }>(server, 'mutation { enrollMfa { ... on MfaEnrollment { secret } } }', {}, token);
  const { secret } = enrolled.enrollMfa;
  const confirmed = await gqlData<{ confirmMfa: { recoveryCodes: string[] } }>(
    server,
    'mutation($c: String!) { confirmMfa(code: $c) { ... on MfaRecoveryCodes { recoveryCodes } } }',
    { c: totp(secret) },
    token,
  );
  return { secret, recoveryCodes: confirmed.confirmMfa.recoveryCodes };
}

/** Turns MFA off and forgets any enrolment, so each MFA case starts the same way. */
export async function resetMfa(server: TestServer, userId: string): Promise<void> {
  // test arrangement: MFA off
  await sql`update datalinx_platform.users set mfa_enabled = false, mfa_secret_encrypted = null, mfa_pending_secret_encrypted = null, mfa_last_used_step = null where id = ${userId}`.execute(server.db.db);
  await sql`delete from datalinx_platform.mfa_recovery_codes where user_id = ${userId}`.execute(server.db.db);
}

export const LOGIN = `mutation($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    __typename
    ... on LoginPayload { mfaRequired session { ${SESSION_FIELDS} } mfaChallenge { challenge expiresAt } }
    ${ERROR_FIELDS}
  }
}`;

export type LoginResult =
  | { __typename: 'LoginPayload'; mfaRequired: boolean; session: Session | null; mfaChallenge: { challenge: string; expiresAt: string } | null }
  | TypedError;

export const login = (server: TestServer, email: string, password: string) => mutate<LoginResult>(server, LOGIN, { email, password });

/** Signs in with a password and returns the session; fails the test otherwise. */
export async function signIn(server: TestServer, email: string, password = PASSWORD): Promise<Session> {
  const r = await login(server, email, password);
  if (r.__typename !== 'LoginPayload' || !('session' in r) || !r.session) throw new Error(`login failed: ${JSON.stringify(r)}`);
  return r.session;
}

export const REFRESH = `mutation($t: String!) {
  refreshToken(refreshToken: $t) { __typename ... on RefreshTokenPayload { session { ${SESSION_FIELDS} } } ${ERROR_FIELDS} }
}`;

export const refresh = (server: TestServer, refreshToken: string) =>
  mutate<{ __typename: string; session?: Session; message?: string }>(server, REFRESH, { t: refreshToken });

/** Rows of a platform table as JSON text, to search for a secret that must not be there. */
export async function tableText(server: TestServer, table: 'users' | 'refresh_tokens' | 'service_account_keys' | 'service_accounts' | 'audit_log' | 'mfa_challenges' | 'mfa_recovery_codes'): Promise<string> {
  // test: a whole platform table as text
  const { rows } = await sql<{ t: string }>`select coalesce(json_agg(x)::text, '') as t from ${sql.table(`datalinx_platform.${table}`)} x`.execute(server.db.db);
  return rows[0]!.t;
}

/**
 * A server whose services come from the environment the way main.ts builds
 * them (signing keys from JWT_KEYS_FILE, keyring from KEYRING), over a fresh
 * migrated database of its own.
 */
export async function startConfiguredServer(env: Record<string, string>): Promise<{ url: string; db: TestDb; services: AppServices; close(): Promise<void> }> {
  const db = await createTestDb();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', PORT: '0', KEYRING: testKeyringJson(), ...env });
  const services = await createServices(config, createLogger('silent'), db);
  const app = await buildServer({ config, services, database: db });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    db,
    services,
    async close() {
      await app.close();
      await services.jobQueue.close();
      await db.close();
    },
  };
}

/** KEYRING JSON with the given keys (id → 32 random bytes unless given), the last one current. */
export function testKeyringJson(keys: Record<string, Buffer> = { k1: randomBytes(32) }): string {
  const ids = Object.keys(keys);
  return JSON.stringify({ current: ids.at(-1), keys: ids.map((id) => ({ id, key: keys[id]!.toString('base64') })) });
}

/** Runs the admin CLI (`npm run admin -- …args`, through tsx without npm) with `env` added to this process's environment. */
export function adminCli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const lines = (text: string) => text.split('\n').filter((line) => line.trim() && !line.startsWith('npm warn'));
  const full = { ...process.env, LOG_LEVEL: 'warn', DB_POOL_MIN: '0', DB_POOL_MAX: '4', ...env };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/admin/admin.cli.ts', ...args], { env: full }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout: lines(stdout), stderr: lines(stderr) });
    });
  });
}
