import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { hashPassword } from '../../src/auth/passwords.js';
import { loadConfig } from '../../src/config.js';
import type { UserRow } from '../../src/db/tables/users.table.js';
import type { AppServices } from '../../src/auth/scope.js';
import { createLogger } from '../../src/logger.js';
import { buildServer } from '../../src/server.js';
import { createServices } from '../../src/services.js';
import { platform } from '../../src/db/database.js';
import { createTestDb, type TestDb } from './test-db.js';
import type { GraphQLResponse, TestServer } from './test-server.js';

/** A password that meets the policy (12 to 128 characters). */
export const PASSWORD = 'correct horse battery';

/** What every member of a mutation's result union can say about itself as an error. */
export const ERROR_FIELDS = `... on Error { __typename message code }
  ... on ValidationError { path }`;

export const SESSION_FIELDS = 'accessToken refreshToken expiresIn user { id email role lastLoginAt }';

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: { id: string; email: string; role: string; lastLoginAt: string | null };
}

/** A typed error as a mutation returns it. */
export interface TypedError {
  __typename: string;
  message: string;
  code: string;
  path?: string[];
}

export const globalId = (typename: string, id: string) => Buffer.from(`${typename}:${id}`).toString('base64url');
export const localId = (id: string) => Buffer.from(id, 'base64url').toString('utf8').split(':')[1]!;

/** Runs a request that must not fail as a whole and returns its data. */
export async function data<T = Record<string, unknown>>(server: TestServer, query: string, variables?: Record<string, unknown>, token?: string): Promise<T> {
  const res = await server.gql<T>(query, variables, token);
  if (res.status !== 200 || res.body.errors?.length) throw new Error(`GraphQL request failed (${res.status}): ${JSON.stringify(res.body.errors)}`);
  return res.body.data as T;
}

/** Runs a mutation and returns its only root field: a payload or a typed error. */
export async function mutate<T = Record<string, unknown>>(server: TestServer, query: string, variables?: Record<string, unknown>, token?: string): Promise<T> {
  return Object.values(await data<Record<string, T>>(server, query, variables, token))[0]!;
}

/** The errors of a response, reduced to what a client acts on, with the HTTP status. */
export function failure(res: GraphQLResponse<unknown>): { status: number; codes: unknown[] } {
  return { status: res.status, codes: (res.body.errors ?? []).map((e) => e.extensions?.code) };
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

/** Gives a seeded (password-less) user a password, as acceptInvitation would. */
export async function setPassword(server: TestServer, userId: string, password = PASSWORD): Promise<void> {
  await platform(server.db.db).updateTable('users').set({ password_hash: await hashPassword(password) }).where('id', '=', userId).execute();
}

export function userRow(server: TestServer, id: string): Promise<UserRow> {
  return platform(server.db.db).selectFrom('users').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

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
      await db.close();
    },
  };
}

/** KEYRING JSON with the given keys (id → 32 random bytes unless given), the last one current. */
export function testKeyringJson(keys: Record<string, Buffer> = { k1: randomBytes(32) }): string {
  const ids = Object.keys(keys);
  return JSON.stringify({ current: ids.at(-1), keys: ids.map((id) => ({ id, key: keys[id]!.toString('base64') })) });
}

/** Runs `npx tsx src/admin/admin.cli.ts …args` with `env` added to this process's environment. */
export function adminCli(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const lines = (text: string) => text.split('\n').filter((line) => line.trim() && !line.startsWith('npm warn'));
  const full = { ...process.env, LOG_LEVEL: 'warn', DB_POOL_MIN: '0', DB_POOL_MAX: '4', ...env };
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'src/admin/admin.cli.ts', ...args], { env: full }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout: lines(stdout), stderr: lines(stderr) });
    });
  });
}
