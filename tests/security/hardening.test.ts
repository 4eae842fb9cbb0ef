import { SignJWT } from 'jose';
import { sql } from 'kysely';
import { toDomainError } from '../../src/db/pg-errors.js';
import { ValidationError } from '../../src/errors.js';
import {
  auditMark,
  auditRowsSince,
  createDataSource,
  createMapping,
  createWorkspace,
  globalId,
  mutationNames,
  newUser,
  seedWorld,
  startTestServer,
  type TestServer,
  unique,
  type World,
} from '../support/index.js';

/**
 * Reproductions of an outside attack run (issue 14): every bad input is a
 * typed 4xx, client mistakes carry a client code and stay out of the error
 * log, failures while authenticating carry a request id, updates with nothing
 * to change are no-ops, and anonymous callers get a small budget.
 */

let server: TestServer;
let world: World;
const logLines: string[] = [];

beforeAll(async () => {
  server = await startTestServer({}, { logLines });
  world = await seedWorld(server);
});
afterAll(() => server?.close());

interface Answer {
  status: number;
  requestId: string | null;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[] };
}

/** POSTs a raw body (a string is sent as is). */
async function post(body: unknown, token?: string): Promise<Answer> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, requestId: res.headers.get('x-request-id'), body: (await res.json()) as Answer['body'] };
}

const editor = () => world.callers.editor.token;
const codes = (a: Answer) => (a.body.errors ?? []).map((e) => e.extensions?.code);
const logged = () => logLines.map((l) => JSON.parse(l) as { level: number; msg: string; requestId?: string; reqId?: string; err?: { stack?: string } });
const errorLinesOf = (requestId: string | null) => logged().filter((l) => l.level >= 50 && (l.requestId === requestId || l.reqId === requestId));

/**
 * A refused input, with the path of the bad value and nothing written: a
 * mutation answers its typed ValidationError, a query a VALIDATION error.
 */
function expectRefusedInput(a: Answer, path: unknown[]) {
  const typed = Object.values(a.body.data ?? {})[0] as { __typename?: string; code?: string; path?: unknown[] } | null | undefined;
  const refusal = typed?.__typename
    ? { status: a.status, typename: typed.__typename, code: typed.code, path: typed.path }
    : { status: a.status, typename: 'ValidationError', code: a.body.errors?.[0]?.extensions?.code, path: a.body.errors?.[0]?.extensions?.path };
  expect(refusal).toEqual({ status: 200, typename: 'ValidationError', code: 'VALIDATION', path });
  expect(errorLinesOf(a.requestId)).toEqual([]);
}

const REFUSED_FIELDS = '__typename ... on Error { message code } ... on ValidationError { path }';

const nested = (levels: number, leaf: unknown = 1): unknown => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};

/** A request body with JSON nested `levels` deep at `$i.settings.extra` (written by hand: JSON.stringify itself overflows). */
const deepBody = (query: string, input: (deep: string) => string, levels: number) =>
  `{"query":${JSON.stringify(query)},"variables":{"i":${input(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`)}}}`;

const CREATE_WORKSPACE = `mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { ${REFUSED_FIELDS} } }`;

describe('text PostgreSQL cannot store (lone surrogates, NUL) is refused at the edge with its path', () => {
  it('in free-form JSON: workspace settings.extra', async () => {
    const mark = await auditMark(server);
    expectRefusedInput(await post({ query: CREATE_WORKSPACE, variables: { i: { name: 'x', settings: { extra: { a: '\ud800' } } } } }, editor()), ['input', 'settings', 'extra', 'a']);
    expect(await auditRowsSince(server, mark)).toEqual([]);
  });

  it('in a key of free-form JSON', async () => {
    expectRefusedInput(await post({ query: CREATE_WORKSPACE, variables: { i: { name: 'x', settings: { extra: { 'k\u0000': 1 } } } } }, editor()), ['input', 'settings', 'extra']);
  });

  it('in a filter: mappings(fieldMappingsContain:)', async () => {
    const q = 'query($f: FieldMappingContainsInput) { mappings(fieldMappingsContain: $f) { totalCount } }';
    expectRefusedInput(await post({ query: q, variables: { f: { targetField: '\ud800' } } }, editor()), ['fieldMappingsContain', 'targetField']);
  });

  it('in signUp organizationName (anonymous)', async () => {
    const q = `mutation($i: SignUpInput!) { signUp(input: $i) { ${REFUSED_FIELDS} } }`;
    const input = { organizationName: '\ud800', slug: unique('s'), email: `${unique('e')}@x.test`, password: 'a long passphrase' };
    expectRefusedInput(await post({ query: q, variables: { i: input } }), ['input', 'organizationName']);
  });

  it('in a Snowflake account', async () => {
    const workspaceId = await createWorkspace(server, editor());
    const q = `mutation($i: CreateDataSourceInput!) { createDataSource(input: $i) { ${REFUSED_FIELDS} } }`;
    const snowflake = { account: 'ab\udc00', database: 'd', warehouse: 'w', user: 'u', password: 'p' };
    expectRefusedInput(await post({ query: q, variables: { i: { workspaceId, name: 'sf', connectionConfig: { snowflake } } } }, editor()), [
      'input',
      'connectionConfig',
      'snowflake',
      'account',
    ]);
  });

  it('in a literal of the document (a NUL written as \\u0000)', async () => {
    const a = await post({ query: `mutation { createWorkspace(input: { name: "a\\u0000b" }) { ${REFUSED_FIELDS} } }` }, editor());
    expectRefusedInput(a, ['input', 'name']);
  });

  it('any other data exception PostgreSQL raises (class 22) becomes a ValidationError', async () => {
    const err = await sql`select ${'not a number'}::int`.execute(server.db.db).catch((e: unknown) => e);
    expect(toDomainError(err)).toEqual(new ValidationError('A value is not valid for its field'));
    const range = await sql`select ${'2026-13-45'}::date`.execute(server.db.db).catch((e: unknown) => e);
    expect(toDomainError(range)).toBeInstanceOf(ValidationError);
  });
});

describe('free-form JSON is bounded in depth and size', () => {
  it('5,000 levels in settings.extra are a ValidationError, not a stack overflow', async () => {
    const a = await post(deepBody(CREATE_WORKSPACE, (deep) => `{"name":"deep","settings":{"extra":${deep}}}`, 5000), editor());
    expect(a.body.data).toEqual({ createWorkspace: expect.objectContaining({ __typename: 'ValidationError', message: expect.stringMatching(/nested more than 32 levels/) }) });
  });

  it('5,000 levels in a generic decorator config', async () => {
    const workspaceId = await createWorkspace(server, editor());
    const q = `mutation($i: CreateMappingInput!) { createMapping(input: $i) { ${REFUSED_FIELDS} } }`;
    const input = (deep: string) =>
      `{"workspaceId":"${workspaceId}","sourceTable":"s","targetTable":"t","fieldMappings":[{"targetField":"a","source":"b"}],"decorators":[{"generic":{"type":"x","config":${deep}}}]}`;
    const a = await post(deepBody(q, input, 5000), editor());
    expect(a.body.data).toEqual({ createMapping: expect.objectContaining({ __typename: 'ValidationError', code: 'VALIDATION' }) });
  });

  it('50,000 levels of arrays in a body are refused the same way', async () => {
    const body = `{"query":${JSON.stringify(CREATE_WORKSPACE)},"variables":{"i":{"name":"x","settings":{"extra":{"a":${'['.repeat(50_000)}${']'.repeat(50_000)}}}}}}`;
    const a = await post(body, editor());
    expect(a.body.data).toEqual({ createWorkspace: expect.objectContaining({ __typename: 'ValidationError', code: 'VALIDATION' }) });
  });

  it('more than 10,000 values in one request are refused', async () => {
    const extra = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`k${i}`, 0]));
    const a = await post({ query: CREATE_WORKSPACE, variables: { i: { name: 'wide', settings: { extra } } } }, editor());
    expect(a.body.data).toEqual({ createWorkspace: expect.objectContaining({ __typename: 'ValidationError', message: expect.stringMatching(/more than 10000 input values/) }) });
  });

  it('a reasonable settings.extra still goes through', async () => {
    const a = await post({ query: CREATE_WORKSPACE, variables: { i: { name: 'fine', settings: { extra: nested(20, 'é😀') } } } }, editor());
    expect(a.body).toEqual({ data: { createWorkspace: { __typename: 'CreateWorkspacePayload' } } });
    // a query's refusal is a VALIDATION error with the path
    const q = 'query($t: String) { mappings(hasTargetField: $t) { totalCount } }';
    const refused = await post({ query: q, variables: { t: 'x\u0000' } }, editor());
    expect(refused.body.errors?.map((e) => e.extensions)).toEqual([{ code: 'VALIDATION', path: ['hasTargetField'] }]);
  });
});

describe('client mistakes carry a client code, never INTERNAL_SERVER_ERROR', () => {
  it('a subscription over HTTP (they are served over WebSocket) is a validation failure', async () => {
    const a = await post({ query: 'subscription { me { id } }' }, editor());
    expect({ status: a.status, codes: codes(a) }).toEqual({ status: 400, codes: ['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_VALIDATION_FAILED'] });
    const b = await post({ query: 'subscription($id: ID!) { pipelineJobChanged(id: $id) { id } }', variables: { id: 'x' } }, editor());
    expect({ status: b.status, codes: codes(b) }).toEqual({ status: 400, codes: ['GRAPHQL_VALIDATION_FAILED'] });
  });

  it('node(id:) with the id of an AuditEntry or a ServiceAccountKey is not found (null), like any unknown id', async () => {
    const [audit] = await auditRowsSince(server, new Set());
    const ids = [globalId('AuditEntry', audit!.id), globalId('ServiceAccountKey', audit!.id)];
    for (const id of ids) {
      expect((await post({ query: 'query($id: ID!) { node(id: $id) { id } }', variables: { id } }, world.callers.admin.token)).body).toEqual({ data: { node: null } });
    }
    const workspaceId = await createWorkspace(server, editor());
    const many = await post({ query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: { ids: [...ids, workspaceId] } }, world.callers.admin.token);
    expect(many.body).toEqual({ data: { nodes: [null, null, { id: workspaceId }] } });
  });

  it.each([
    ['a bad version', { version: 2, sha256Hash: 'abc' }],
    ['a hash that does not match', { version: 1, sha256Hash: 'abc' }],
    ['no query', { version: 1, sha256Hash: 'a'.repeat(64) }],
    ['a malformed extension', 'x'],
  ])('persisted-query extensions with %s: PERSISTED_QUERY_NOT_SUPPORTED', async (_what, persistedQuery) => {
    const a = await post({ query: _what === 'no query' ? undefined : '{ __typename }', extensions: { persistedQuery } });
    expect(codes(a)).toEqual(['PERSISTED_QUERY_NOT_SUPPORTED']);
    expect(a.status).toBeLessThan(500);
  });
});

describe('failures while authenticating', () => {
  const signed = (claims: Record<string, string>) =>
    new SignJWT({ org: claims.org, sid: claims.sid })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.sub!)
      .setIssuer(server.config.jwt.issuer)
      .setAudience(server.config.jwt.audience)
      .setIssuedAt()
      .setNotBefore('0s')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(server.config.jwt.secret!));

  it.each([
    ['sub', { sub: 'not-a-uuid', org: '00000000-0000-4000-8000-000000000000', sid: '00000000-0000-4000-8000-000000000000' }],
    ['org', { sub: '00000000-0000-4000-8000-000000000000', org: "1' or '1'='1", sid: '00000000-0000-4000-8000-000000000000' }],
    ['sid', { sub: '00000000-0000-4000-8000-000000000000', org: '00000000-0000-4000-8000-000000000000', sid: 'x' }],
  ])('a validly signed token whose %s is not a UUID is UNAUTHENTICATED (401) with a request id', async (_claim, claims) => {
    const a = await post({ query: '{ me { id } }' }, await signed(claims));
    expect({ status: a.status, codes: codes(a) }).toEqual({ status: 401, codes: ['UNAUTHENTICATED'] });
    expect(a.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('a database failure while authenticating is a 500 with requestId, x-request-id and an error log line', async () => {
    const db = server.db.db;
    // test arrangement: the sessions table vanishes behind the application's back
    await sql`alter table datalinx_platform.refresh_tokens rename to refresh_tokens_away`.execute(db);
    let a: Answer;
    try {
      a = await post({ query: '{ me { id } }' }, editor());
    } finally {
      await sql`alter table datalinx_platform.refresh_tokens_away rename to refresh_tokens`.execute(db);
    }
    expect(a.status).toBe(500);
    expect(a.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.body).toEqual({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: a.requestId } }] });
    expect(errorLinesOf(a.requestId)).toEqual([expect.objectContaining({ msg: 'unexpected error while authenticating', err: expect.objectContaining({ stack: expect.any(String) }) })]);
  });
});

describe('client errors are logged as one debug line, without a stack', () => {
  it.each([
    ['a parse error', { query: '{ me { id' }],
    ['a validation error', { query: '{ noSuchField }' }],
    ['a bad variable', { query: 'query($n: Int) { workspaces(first: $n) { totalCount } }', variables: { n: 'many' } }],
    ['a typed domain error', { query: CREATE_WORKSPACE, variables: { i: { name: '   ' } } }],
    ['a field error', { query: '{ workspaces(first: 1000) { totalCount } }' }],
  ])('%s', async (_what, body) => {
    const a = await post(body, editor());
    expect(a.status).toBeLessThan(500);
    const lines = logged().filter((l) => l.requestId === a.requestId || l.reqId === a.requestId);
    expect(lines.filter((l) => l.level >= 40)).toEqual([]);
    expect(JSON.stringify(lines)).not.toMatch(/\n\s+at /);
  });

  it('a 4.3 KB query with 150 unused fragments writes a bounded log (signed in: 150 errors; anonymous: refused before parsing)', async () => {
    const fragments = Array.from({ length: 150 }, (_, i) => `fragment F${i} on Query { __typename }`).join(' ');
    for (const token of [editor(), undefined]) {
      const before = logLines.length;
      const a = await post({ query: `{ __typename } ${fragments}` }, token);
      expect({ status: a.status, codes: [...new Set(codes(a))] }).toEqual({ status: 400, codes: [token ? 'GRAPHQL_VALIDATION_FAILED' : 'QUERY_LIMIT'] });
      if (token) expect(a.body.errors!.length).toBeGreaterThanOrEqual(100); // graphql-js stops at 100
      const written = logLines.slice(before).join('');
      expect(written.length).toBeLessThan(2_000);
      expect(errorLinesOf(a.requestId)).toEqual([]);
    }
  });
});

describe('an update with nothing to change', () => {
  it('every update mutation answers with the unchanged object: no write, no version bump, no audit entry', async () => {
    const { editor: ed, admin, owner } = world.callers;
    const workspaceId = await createWorkspace(server, ed.token);
    const dataSourceId = await createDataSource(server, ed.token, workspaceId);
    const mappingId = await createMapping(server, ed.token, workspaceId);
    const member = await newUser(server, world.org, 'viewer');
    const cases: Record<string, { query: string; variables: Record<string, unknown>; token: string; select: (r: Record<string, unknown>) => unknown }> = {
      updateWorkspace: {
        query: 'mutation($i: UpdateWorkspaceInput!) { r: updateWorkspace(input: $i) { __typename ... on UpdateWorkspacePayload { workspace { id name updatedAt } } } }',
        variables: { i: { id: workspaceId } },
        token: ed.token,
        select: (r) => r.workspace,
      },
      updateDataSource: {
        query: 'mutation($i: UpdateDataSourceInput!) { r: updateDataSource(input: $i) { __typename ... on UpdateDataSourcePayload { dataSource { id name lastSchemaRefresh } } } }',
        variables: { i: { id: dataSourceId } },
        token: ed.token,
        select: (r) => r.dataSource,
      },
      updateMapping: {
        query: 'mutation($i: UpdateMappingInput!) { r: updateMapping(input: $i) { __typename ... on UpdateMappingPayload { mapping { id version updatedAt } } } }',
        variables: { i: { id: mappingId, expectedVersion: 1 } },
        token: ed.token,
        select: (r) => r.mapping,
      },
      updateOrganization: {
        query: 'mutation($i: UpdateOrganizationInput!) { r: updateOrganization(input: $i) { __typename ... on UpdateOrganizationPayload { organization { id name } } } }',
        variables: { i: {} },
        token: admin.token,
        select: (r) => r.organization,
      },
      updateMe: {
        query: 'mutation { r: updateMe { __typename ... on UpdateMePayload { user { id displayName } } } }',
        variables: {},
        token: ed.token,
        select: (r) => r.user,
      },
      updateUserRole: {
        query: 'mutation($u: ID!) { r: updateUserRole(userId: $u, role: VIEWER) { __typename ... on UpdateUserRolePayload { user { id role } } } }',
        variables: { u: member.globalId },
        token: owner.token,
        select: (r) => r.user,
      },
    };
    // Walks them all: a new update mutation must be added here.
    expect(Object.keys(cases).sort()).toEqual(mutationNames().filter((n) => n.startsWith('update')));

    for (const [name, c] of Object.entries(cases)) {
      const again = async () => {
        const a = await post({ query: c.query, variables: c.variables }, c.token);
        expect({ name, status: a.status, errors: a.body.errors }).toEqual({ name, status: 200, errors: undefined });
        return a.body.data!.r as Record<string, unknown>;
      };
      const mark = await auditMark(server);
      const first = await again();
      const second = await again();
      expect({ name, typename: first.__typename }).toEqual({ name, typename: `${name[0]!.toUpperCase()}${name.slice(1)}Payload` });
      expect(c.select(second)).toEqual(c.select(first));
      expect({ name, audit: await auditRowsSince(server, mark) }).toEqual({ name, audit: [] });
    }
  });
});

describe('requests without credentials get a small budget', () => {
  const copies = (n: number) => `{ ${Array.from({ length: n }, () => 'me { id }').join(' ')} }`;

  it('1,249 copies of me { id } are refused before parsing, as QUERY_LIMIT (400)', async () => {
    const a = await post({ query: copies(1249) });
    expect({ status: a.status, codes: codes(a) }).toEqual({ status: 400, codes: ['QUERY_LIMIT'] });
    expect(a.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('200 copies: refused without credentials, answered for a signed-in caller (a larger budget, within GRAPHQL_MAX_SELECTIONS)', async () => {
    expect(codes(await post({ query: copies(200) }))).toEqual(['QUERY_LIMIT']);
    const a = await post({ query: copies(200) }, editor());
    expect({ status: a.status, errors: a.body.errors }).toEqual({ status: 200, errors: undefined });
  });

  it('deep anonymous queries are refused by depth, before any resolver runs', async () => {
    const deep = '{ me { organization { users { edges { node { organization { users { edges { node { id } } } } } } } } } }';
    const a = await post({ query: deep });
    expect({ status: a.status, codes: codes(a) }).toEqual({ status: 200, codes: ['QUERY_LIMIT'] });
  });

  it('the introspection query GraphiQL sends still fits', async () => {
    const { getIntrospectionQuery } = await import('graphql');
    const a = await post({ query: getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true }) });
    expect({ status: a.status, errors: a.body.errors }).toEqual({ status: 200, errors: undefined });
  });
});
