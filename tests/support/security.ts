import { getNamedType, isInputObjectType, isListType, isNonNullType, isObjectType, isUnionType, type GraphQLField, type GraphQLInputType, type GraphQLObjectType } from 'graphql';
import { sql } from 'kysely';
import type { UserRole } from '../../src/db/tables/users.table.js';
import { schema } from '../../src/graphql/schema.js';
import { createServiceAccount, seedOrganization, type SeededOrg } from './seed.js';
import { lateBound, useTestApi, type TestApiOptions } from './fixtures.js';
import type { TestServer } from './test-server.js';

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


/** `useTestApi()` for the security suite: the server and a seeded world of every kind of caller. */
export function useWorld(options: Omit<TestApiOptions, 'organization'> = {}): { server: TestServer; world: World } {
  const { server } = useTestApi({ ...options, organization: false });
  const world = lateBound<World>('the seeded world');
  beforeAll(async () => world.set(await seedWorld(server)));
  return { server, world: world.value };
}

/** The seed of every property test unless FC_SEED says otherwise. */
const DEFAULT_SEED = 20261128;

/**
 * fast-check parameters with a fixed seed, so a failure replays the same way;
 * FC_SEED=<n> runs other cases. The seed is printed with the test's output.
 */
export function propertyParams(numRuns: number): { seed: number; numRuns: number } {
  const seed = process.env.FC_SEED ? Number(process.env.FC_SEED) : DEFAULT_SEED;
  if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${process.env.FC_SEED}`);
  console.info(`fast-check: seed ${seed}, ${numRuns} runs (FC_SEED=<n> to change)`);
  return { seed, numRuns };
}
