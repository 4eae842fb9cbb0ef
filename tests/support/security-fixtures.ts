import { randomUUID } from 'node:crypto';
import { getNamedType, isInputObjectType, isListType, isNonNullType, isObjectType, isUnionType, type GraphQLField, type GraphQLInputType, type GraphQLObjectType } from 'graphql';
import { sql } from 'kysely';
import { Secret, TOTP } from 'otpauth';
import { hashPassword } from '../../src/auth/passwords.js';
import type { UserRole } from '../../src/db/tables/users.table.js';
import { schema } from '../../src/graphql/schema.js';
import { insertUser } from '../../src/users/user.dao.js';
import { seedOrganization, sessionToken, type GraphQLResponse, type SeededOrg, type TestServer } from './test-server.js';

/**
 * Helpers of the security suite (tests/security): callers of every kind, the
 * served schema's mutations, and database snapshots that prove "nothing changed".
 */

export type CallerKind = 'viewer' | 'editor' | 'admin' | 'owner' | 'serviceAccount';
export const CALLER_KINDS: readonly CallerKind[] = ['viewer', 'editor', 'admin', 'owner', 'serviceAccount'];

export interface Caller {
  kind: CallerKind;
  role: UserRole;
  token: string;
  /** null for the service account. */
  userId: string | null;
  /** The actor id the audit log records. */
  actorId: string;
}

export interface World {
  server: TestServer;
  org: SeededOrg;
  callers: Record<CallerKind, Caller>;
}

let counter = 0;
/** A name no other test used, e.g. for emails and slugs (lowercase, digits, hyphens). */
export const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}-${randomUUID().slice(0, 6)}`;

export const globalId = (typename: string, id: string) => Buffer.from(`${typename}:${id}`).toString('base64url');
export const localId = (id: string) => Buffer.from(id, 'base64url').toString('utf8').split(':')[1]!;
export const typenameOf = (id: string) => Buffer.from(id, 'base64url').toString('utf8').split(':')[0]!;

/** The result of a mutation in a response: the one field of `data`. */
export type Result = Record<string, unknown> & { __typename?: string };

/** Runs a request that must not fail at the GraphQL level; returns `data`. */
export async function gqlOk<T = Record<string, unknown>>(server: TestServer, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const res = await server.gql<T>(query, variables, token);
  if (res.status !== 200 || res.body.errors?.length) throw new Error(`request failed (${res.status}): ${JSON.stringify(res.body.errors)}`);
  return res.body.data as T;
}

/** The (only) root field of a response's data. */
export const resultOf = (res: GraphQLResponse): Result | boolean | null =>
  (res.body.data ? (Object.values(res.body.data)[0] as Result | boolean) : null);

/** An organization with a user of each role and an editor service account. */
export async function seedWorld(server: TestServer, slug?: string): Promise<World> {
  const org = await seedOrganization(server, slug);
  const callers = {} as Record<CallerKind, Caller>;
  for (const role of ['viewer', 'editor', 'admin', 'owner'] as const) {
    const u = org.users[role];
    callers[role] = { kind: role, role, token: u.token, userId: u.id, actorId: u.id };
  }
  const sa = await createServiceAccount(server, org.users.admin.token, 'EDITOR');
  callers.serviceAccount = { kind: 'serviceAccount', role: 'editor', token: sa.apiKey, userId: null, actorId: sa.id };
  return { server, org, callers };
}

// ---- entities, created through the API as their owners would --------------------------------

export async function createServiceAccount(server: TestServer, adminToken: string, role = 'EDITOR') {
  const data = await gqlOk<{ createServiceAccount: { apiKey: string; serviceAccount: { id: string; keys: { id: string }[] } } }>(
    server,
    'mutation($input: CreateServiceAccountInput!) { createServiceAccount(input: $input) { ... on ApiKeyPayload { apiKey serviceAccount { id keys { id } } } } }',
    { input: { name: unique('robot'), role } },
    adminToken,
  );
  const { apiKey, serviceAccount } = data.createServiceAccount;
  return { apiKey, globalId: serviceAccount.id, id: localId(serviceAccount.id), keyId: serviceAccount.keys[0]!.id };
}

async function created(server: TestServer, token: string, field: string, query: string, variables: Record<string, unknown>): Promise<string> {
  const data = await gqlOk<Record<string, Record<string, { id: string } | undefined>>>(server, query, variables, token);
  const node = Object.values(data[field]!).find((v) => typeof v === 'object' && v && 'id' in v);
  if (!node) throw new Error(`${field} failed: ${JSON.stringify(data)}`);
  return node.id;
}

export const newWorkspace = (server: TestServer, token: string, name = unique('ws')) =>
  created(server, token, 'createWorkspace', 'mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { ... on CreateWorkspacePayload { workspace { id } } } }', { i: { name } });

export const POSTGRES_CONFIG = { postgresql: { host: 'db.example.com', port: 5432, database: 'crm', user: 'reader', sslMode: 'require', password: 'pg-password' } };

export const newDataSource = (server: TestServer, token: string, workspaceId: string, connectionConfig: object = POSTGRES_CONFIG, name = unique('ds')) =>
  created(server, token, 'createDataSource', 'mutation($i: CreateDataSourceInput!) { createDataSource(input: $i) { ... on CreateDataSourcePayload { dataSource { id } } } }', {
    i: { workspaceId, name, connectionConfig },
  });

export const newMapping = (server: TestServer, token: string, workspaceId: string, targetTable = 'dim_customer') =>
  created(server, token, 'createMapping', 'mutation($i: CreateMappingInput!) { createMapping(input: $i) { ... on CreateMappingPayload { mapping { id } } } }', {
    i: { workspaceId, targetTable, sourceTable: 'customers', fieldMappings: [{ targetField: 'customer_id', source: 'cust_id' }] },
  });

export const newJob = (server: TestServer, token: string, workspaceId: string) =>
  created(server, token, 'createPipelineJob', 'mutation($w: ID!) { createPipelineJob(workspaceId: $w, jobType: INCREMENTAL) { ... on CreatePipelineJobPayload { pipelineJob { id } } } }', { w: workspaceId });

export const PASSWORD = 'correct horse battery staple';

/** A user of the organization, inserted directly; with a password when given. */
export async function newUser(server: TestServer, org: SeededOrg, role: UserRole = 'editor', password?: string) {
  const email = `${unique('user')}@example.test`;
  const user = await insertUser(server.db.db, {
    organization_id: org.id,
    email,
    role,
    display_name: 'New user',
    password_hash: password ? await hashPassword(password) : null,
  });
  return { id: user.id, globalId: globalId('User', user.id), email, token: await sessionToken(server, user) };
}

export async function setPassword(server: TestServer, userId: string, password: string): Promise<void> {
  // test arrangement: a known password
  await sql`update datalinx_platform.users set password_hash = ${await hashPassword(password)} where id = ${userId}`.execute(server.db.db);
}

/** Turns MFA off and forgets any enrolment, so each MFA case starts the same way. */
export async function resetMfa(server: TestServer, userId: string): Promise<void> {
  // test arrangement: MFA off
  await sql`update datalinx_platform.users set mfa_enabled = false, mfa_secret_encrypted = null, mfa_pending_secret_encrypted = null, mfa_last_used_step = null where id = ${userId}`.execute(server.db.db);
  await sql`delete from datalinx_platform.mfa_recovery_codes where user_id = ${userId}`.execute(server.db.db);
}

// ---- the served schema ------------------------------------------------------------------------

const mutationType = () => schema.getMutationType()!;

/** Every mutation the server serves, by name. */
export const mutationNames = (): string[] => Object.keys(mutationType().getFields()).sort();

export const mutationField = (name: string): GraphQLField<unknown, unknown> => {
  const field = mutationType().getFields()[name];
  if (!field) throw new Error(`no mutation ${name}`);
  return field;
};

const implementsError = (t: GraphQLObjectType) => t.getInterfaces().some((i) => i.name === 'Error');

/** The success type of a mutation: the union member that is not an Error (or the object it returns); null for a scalar. */
export function payloadTypeOf(name: string): string | null {
  const type = getNamedType(mutationField(name).type);
  if (isUnionType(type)) {
    const ok = type.getTypes().filter((t) => !implementsError(t));
    if (ok.length !== 1) throw new Error(`${name}: expected one success type, got ${ok.map((t) => t.name).join(', ')}`);
    return ok[0]!.name;
  }
  return isObjectType(type) ? type.name : null;
}

/** `mutation($a: T!) { name(a: $a) { __typename … } }` from the schema's own argument list. */
export function mutationDocument(name: string, select: string): string {
  const field = mutationField(name);
  const defs = field.args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
  const args = field.args.map((a) => `${a.name}: $${a.name}`).join(', ');
  const payload = payloadTypeOf(name);
  const body = payload ? `{ __typename ... on Error { code message } ... on ${payload} { ${select} } }` : '';
  return `mutation${defs ? `(${defs})` : ''} { ${name}${args ? `(${args})` : ''} ${body} }`;
}

/** A leaf of a mutation's arguments: its path (`[]` for list items) and scalar or enum type. */
export interface InputLeaf {
  path: string[];
  type: string;
}

/** Every leaf a mutation's arguments can hold, input objects unfolded. */
export function inputLeaves(name: string): InputLeaf[] {
  const leaves: InputLeaf[] = [];
  const walk = (type: GraphQLInputType, path: string[]): void => {
    let t: GraphQLInputType = type;
    while (isNonNullType(t) || isListType(t)) {
      if (isListType(t)) path = [...path, '[]'];
      t = t.ofType as GraphQLInputType;
    }
    if (isInputObjectType(t)) for (const f of Object.values(t.getFields())) walk(f.type, [...path, f.name]);
    else leaves.push({ path, type: t.name });
  };
  for (const arg of mutationField(name).args) walk(arg.type, [arg.name]);
  return leaves;
}

// ---- the database -----------------------------------------------------------------------------

type Snapshot = Record<string, { rows: number; digest: string }>;

/**
 * Every platform and tenant table: its row count and a digest of its content.
 * Equal snapshots mean nothing was written.
 */
export async function snapshot(server: TestServer, schemas?: readonly string[]): Promise<Snapshot> {
  const { rows: tables } = await sql<{ s: string; t: string }>`
    select table_schema as s, table_name as t from information_schema.tables
    where table_type = 'BASE TABLE' and (table_schema = 'datalinx_platform' or table_schema like 'org\\_%')
    order by 1, 2`.execute(server.db.db);
  const out: Snapshot = {};
  for (const { s, t } of tables) {
    if (schemas && !schemas.includes(s)) continue;
    const ident = sql.table(`${s}.${t}`);
    // test probe: row count and content digest of one table
    const { rows } = await sql<{ n: string; d: string | null }>`select count(*) as n, md5(string_agg(x::text, '|' order by x::text)) as d from ${ident} x`.execute(server.db.db);
    out[`${s}.${t}`] = { rows: Number(rows[0]!.n), digest: rows[0]!.d ?? '' };
  }
  return out;
}

/** Row counts of the platform tables and of the given tenant schemas, and how many tenant schemas exist: one statement. */
export async function rowCounts(server: TestServer, tenantSchemas: readonly string[]): Promise<Record<string, number>> {
  const { rows: tables } = await sql<{ name: string }>`select table_schema || '.' || table_name as name from information_schema.tables
    where table_type = 'BASE TABLE' and (table_schema = 'datalinx_platform' or table_schema = any(${[...tenantSchemas]}))`.execute(server.db.db);
  const counts = tables.map(({ name }) => sql`select ${name} as name, count(*)::int as n from ${sql.table(name)}`);
  const schemas = sql`select 'tenant schemas' as name, count(*)::int as n from information_schema.schemata where schema_name like 'org\_%'`;
  // test probe: row counts of every table
  const { rows } = await sql<{ name: string; n: number }>`${sql.join([...counts, schemas], sql` union all `)}`.execute(server.db.db);
  return Object.fromEntries(rows.map((r) => [r.name, r.n]));
}

export interface AuditRow {
  id: string;
  organization_id: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  request_id: string | null;
  changes: Record<string, unknown>;
}

/** The ids of every audit entry so far: a mark to find the entries a step adds. */
export async function auditMark(server: TestServer): Promise<Set<string>> {
  // test probe: audit entry ids
  const { rows } = await sql<{ id: string }>`select id from datalinx_platform.audit_log`.execute(server.db.db);
  return new Set(rows.map((r) => r.id));
}

/** The audit entries written since the mark. */
export async function auditRowsSince(server: TestServer, mark: Set<string>): Promise<AuditRow[]> {
  // test probe: the audit entries of a step
  const { rows } = await sql<AuditRow>`select id, organization_id, actor_type, actor_id, action, entity_type, entity_id, request_id, changes
    from datalinx_platform.audit_log order by created_at, id`.execute(server.db.db);
  return rows.filter((r) => !mark.has(r.id));
}

/** Text a client or a log must never see: SQL, driver or stack text. */
export const INTERNALS = ['SELECT', 'syntax error', 'pg_', 'relation', 'at /', '.ts:'];

/** The internals found in `text`, after taking out what the caller sent (an echo of input is not a leak). */
export function internalsIn(text: string, sent: readonly string[] = []): string[] {
  let rest = text;
  for (const s of sent) {
    if (!s) continue;
    rest = rest.split(s).join('').split(JSON.stringify(s).slice(1, -1)).join('');
  }
  return INTERNALS.filter((needle) => rest.includes(needle));
}

// ---- sign-in helpers ----------------------------------------------------------------------------

/** The TOTP code of a secret at a time (now by default), as an authenticator app shows it. */
export const totp = (secretBase32: string, at = Date.now()) => new TOTP({ secret: Secret.fromBase32(secretBase32), period: 30 }).generate({ timestamp: at });

/** Enrols and confirms MFA for the token's user; returns the secret and the recovery codes. */
export async function turnOnMfa(server: TestServer, token: string): Promise<{ secret: string; recoveryCodes: string[] }> {
  const enrolled = await gqlOk<{ enrollMfa: { secret: string } }>(server, 'mutation { enrollMfa { ... on MfaEnrollment { secret } } }', {}, token);
  const { secret } = enrolled.enrollMfa;
  const confirmed = await gqlOk<{ confirmMfa: { recoveryCodes: string[] } }>(
    server,
    'mutation($c: String!) { confirmMfa(code: $c) { ... on MfaRecoveryCodes { recoveryCodes } } }',
    { c: totp(secret) },
    token,
  );
  return { secret, recoveryCodes: confirmed.confirmMfa.recoveryCodes };
}

export interface LoginAnswer {
  mfaRequired: boolean;
  session: { accessToken: string; refreshToken: string } | null;
  mfaChallenge: { challenge: string } | null;
}

export async function login(server: TestServer, email: string, password: string): Promise<LoginAnswer> {
  const data = await gqlOk<{ login: LoginAnswer }>(
    server,
    'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { ... on LoginPayload { mfaRequired session { accessToken refreshToken } mfaChallenge { challenge } } } }',
    { e: email, p: password },
  );
  return data.login;
}
