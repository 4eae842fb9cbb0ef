import { decodeJwt, SignJWT } from 'jose';
import {
  createJob,
  createMapping,
  createWorkspace,
  ENTITY_ERROR_FIELDS,
  errorsOf,
  globalId,
  gqlData,
  LEAK_PATTERN,
  mutate,
  NO_SUCH_UUID,
  rawGql,
  tenantDbOf,
  useTestApi,
} from '../support/index.js';

const { server, org } = useTestApi();
let ids: { workspace: string; dataSource: string; mapping: string; job: string };

beforeAll(async () => {
  const token = org.users.editor.token;
  const workspace = await createWorkspace(server, token, 'Errors');
  const source = await mutate<{ dataSource: { id: string } }>(
    server,
    'mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { ... on CreateDataSourcePayload { dataSource { id } } } }',
    { input: { workspaceId: workspace, name: 'src', connectionConfig: { file: { format: 'csv', location: '/x' } } } },
    token,
  );
  ids = { workspace, dataSource: source.dataSource.id, mapping: await createMapping(server, token, workspace), job: await createJob(server, token, workspace) };
});

/** Every mutation of the API, with arguments that would succeed for an editor. */
const MUTATIONS: [string, string, () => Record<string, unknown>][] = [
  ['createWorkspace', '(input: $input)', () => ({ input: { name: 'New' } })],
  ['updateWorkspace', '(input: $input)', () => ({ input: { id: ids.workspace, name: 'Renamed' } })],
  ['deleteWorkspace', '(id: $id)', () => ({ id: ids.workspace })],
  ['createDataSource', '(input: $input)', () => ({ input: { workspaceId: ids.workspace, name: 'n', connectionConfig: { file: { format: 'csv', location: '/y' } } } })],
  ['updateDataSource', '(input: $input)', () => ({ input: { id: ids.dataSource, name: 'n2' } })],
  ['deactivateDataSource', '(id: $id)', () => ({ id: ids.dataSource })],
  ['createMapping', '(input: $input)', () => ({ input: { workspaceId: ids.workspace, sourceTable: 's', targetTable: 't', fieldMappings: [{ targetField: 'a', source: 'b' }] } })],
  ['updateMapping', '(input: $input)', () => ({ input: { id: ids.mapping, expectedVersion: 1, targetTable: 't2' } })],
  ['setMappingStatus', '(id: $id, status: ACTIVE)', () => ({ id: ids.mapping })],
  ['deleteMapping', '(id: $id)', () => ({ id: ids.mapping })],
  ['createPipelineJob', '(input: $input)', () => ({ input: { workspaceId: ids.workspace, jobType: 'FULL_REFRESH' } })],
  ['cancelPipelineJob', '(id: $id)', () => ({ id: ids.job })],
];
const INPUT_TYPES: Record<string, string> = { createWorkspace: 'CreateWorkspaceInput', updateWorkspace: 'UpdateWorkspaceInput', createDataSource: 'CreateDataSourceInput', updateDataSource: 'UpdateDataSourceInput', createMapping: 'CreateMappingInput', updateMapping: 'UpdateMappingInput', createPipelineJob: 'CreatePipelineJobInput' };

function mutationText(name: string, args: string): string {
  const params = [INPUT_TYPES[name] && `$input: ${INPUT_TYPES[name]}!`, args.includes('$id') && '$id: ID!', args.includes('$workspaceId') && '$workspaceId: ID!'].filter(Boolean).join(', ');
  return `mutation(${params}) { ${name}${args} { __typename ${ENTITY_ERROR_FIELDS} } }`;
}

async function tenantSnapshot() {
  const db = tenantDbOf(server, org);
  return Promise.all((['workspaces', 'data_sources', 'mappings', 'pipeline_jobs'] as const).map((t) => db.selectFrom(t).selectAll().orderBy('id').execute()));
}

describe('ValidationError names the bad value with its path', () => {
  const ws = () => ids.workspace;
  const fm = (...fields: { targetField: string; source: string }[]) => ({ workspaceId: ws(), sourceTable: 's', targetTable: 't', fieldMappings: fields });
  const pg = (config: Record<string, unknown>) => ({ workspaceId: ws(), name: 'pg', connectionConfig: config });

  it.each<[string, string, () => Record<string, unknown>, string[], string]>([
    ['an empty workspace name', 'createWorkspace', () => ({ name: '   ' }), ['input', 'name'], 'input.name'],
    ['a settings timezone that is not IANA', 'createWorkspace', () => ({ name: 'w', settings: { timezone: 'Mars/Olympus' } }), ['input', 'settings', 'timezone'], 'must be an IANA time zone'],
    ['a retention of 0 days', 'createWorkspace', () => ({ name: 'w', settings: { retentionDays: 0 } }), ['input', 'settings', 'retentionDays'], 'retentionDays'],
    ['extra settings shadowing a known key', 'createWorkspace', () => ({ name: 'w', settings: { extra: { timezone: 'UTC' } } }), ['input', 'settings', 'extra'], 'may not contain the known keys timezone'],
    ['a repository URL that is not http(s)', 'createWorkspace', () => ({ name: 'w', githubRepoUrl: 'ftp://example.com/x' }), ['input', 'githubRepoUrl'], 'githubRepoUrl'],
    ['an empty name on update', 'updateWorkspace', () => ({ id: ws(), name: '' }), ['input', 'name'], 'input.name'],
    ['two field mappings with the same target', 'createMapping', () => fm({ targetField: 'id', source: 'a' }, { targetField: 'id', source: 'b' }), ['input', 'fieldMappings'], 'target fields must be unique'],
    ['a target field that is not an identifier', 'createMapping', () => fm({ targetField: '1st-name', source: 'a' }), ['input', 'fieldMappings', '0', 'targetField'], 'must be an identifier'],
    ['no field mappings at all', 'createMapping', () => fm(), ['input', 'fieldMappings'], 'a mapping needs at least one field'],
    ['a decorator setting two kinds', 'createMapping', () => ({ ...fm({ targetField: 'id', source: 'a' }), decorators: [{ identityResolution: { matchKeys: ['k'] }, generic: { type: 'x' } }] }), ['input', 'decorators', '0'], 'set exactly one decorator kind'],
    ['two CTEs of the same name', 'createMapping', () => ({ ...fm({ targetField: 'id', source: 'a' }), cteDefinitions: [{ name: 'a', sql: 'select 1' }, { name: 'A', sql: 'select 2' }] }), ['input', 'cteDefinitions'], 'CTE names must be unique'],
    ['an out-of-range port', 'createDataSource', () => pg({ postgresql: { host: 'h', database: 'd', user: 'u', port: 99999 } }), ['input', 'connectionConfig', 'postgresql', 'port'], 'port'],
    ['an API base URL that is not http(s)', 'createDataSource', () => pg({ api: { baseUrl: 'file:///etc/passwd' } }), ['input', 'connectionConfig', 'api', 'baseUrl'], 'baseUrl'],
    ['two source types at once', 'createDataSource', () => pg({ file: { format: 'csv', location: '/a' }, api: { baseUrl: 'https://a.test' } }), ['input', 'connectionConfig'], 'exactly one of postgresql, snowflake, api, file'],
    ['an unknown file format', 'createDataSource', () => pg({ file: { format: 'xlsx', location: '/a' } }), ['input', 'connectionConfig', 'file', 'format'], 'format'],
    ['a data source name longer than 255 characters', 'createDataSource', () => ({ ...pg({ file: { format: 'csv', location: '/a' } }), name: 'n'.repeat(256) }), ['input', 'name'], 'at most 255 characters'],
  ])('%s', async (_case, name, input, path, message) => {
    const before = await tenantSnapshot();
    const result = await mutate(server, mutationText(name, '(input: $input)'), { input: input() }, org.users.editor.token);
    expect(result).toEqual({ __typename: 'ValidationError', code: 'VALIDATION', message: expect.stringContaining(message), path });
    expect(await tenantSnapshot()).toEqual(before);
  });
});

describe('NotFoundError', () => {
  it('answers a mutation on an id that does not exist', async () => {
    expect(await mutate(server, mutationText('updateWorkspace', '(input: $input)'), { input: { id: globalId('Workspace', NO_SUCH_UUID), name: 'x' } }, org.users.editor.token)).toEqual({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
      entityType: 'Workspace',
      message: `Workspace ${NO_SUCH_UUID} was not found`,
    });
  });

  it('answers a mutation given an id of another type', async () => {
    expect(await mutate(server, mutationText('deleteWorkspace', '(id: $id)'), { id: ids.mapping }, org.users.editor.token)).toEqual({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
      entityType: 'Workspace',
      message: `Workspace ${ids.mapping} was not found`,
    });
  });

  it('answers a query given an id of another type with a NOT_FOUND error', async () => {
    const res = await server.gql('query($id: ID!) { workspace(id: $id) { id } }', { id: ids.job }, org.users.viewer.token);
    expect({ data: res.body.data, errors: errorsOf(res) }).toEqual({ data: { workspace: null }, errors: [{ message: `Workspace ${ids.job} was not found`, code: 'NOT_FOUND' }] });
  });

  it.each(['workspace', 'dataSource', 'mapping', 'pipelineJob'])('answers %s(id) for an id that does not exist with null', async (field) => {
    const type = field[0]!.toUpperCase() + field.slice(1);
    expect(await gqlData(server, `query($id: ID!) { ${field}(id: $id) { id } }`, { id: globalId(type, NO_SUCH_UUID) }, org.users.viewer.token)).toEqual({ [field]: null });
  });
});

describe('ForbiddenError', () => {
  it.each(MUTATIONS)('a viewer calling %s gets a ForbiddenError and changes nothing', async (name, args, variables) => {
    const before = await tenantSnapshot();
    expect(await mutate(server, mutationText(name, args), variables(), org.users.viewer.token)).toEqual({ __typename: 'ForbiddenError', code: 'FORBIDDEN', message: 'Your role does not allow this' });
    expect(await tenantSnapshot()).toEqual(before);
  });
});

describe('unauthenticated requests', () => {
  it('a query without a token is an UNAUTHENTICATED error', async () => {
    const res = await server.gql('{ workspaces { totalCount } }');
    expect({ status: res.status, data: res.body.data, errors: errorsOf(res) }).toEqual({ status: 200, data: null, errors: [{ message: 'Authentication required', code: 'UNAUTHENTICATED' }] });
  });

  it.each(MUTATIONS)('%s without a token returns an UnauthenticatedError', async (name, args, variables) => {
    expect(await mutate(server, mutationText(name, args), variables(), '')).toEqual({ __typename: 'UnauthenticatedError', code: 'UNAUTHENTICATED', message: 'Authentication required' });
  });

  const secret = () => new TextEncoder().encode(server.config.jwt.secret!);
  const signed = (claims: { sub: string; org: string }, exp: number, key = secret()) =>
    new SignJWT({ org: claims.org, sid: decodeJwt(org.users.owner.token).sid }).setProtectedHeader({ alg: 'HS256' }).setSubject(claims.sub).setIssuer(server.config.jwt.issuer).setAudience(server.config.jwt.audience).setIssuedAt(exp - 900).setNotBefore(exp - 900).setExpirationTime(exp).sign(key);
  const now = () => Math.floor(Date.now() / 1000);

  it.each<[string, () => Promise<string>, string]>([
    ['a malformed token', async () => 'Bearer not.a.jwt', 'Invalid token'],
    ['an expired token', async () => `Bearer ${await signed({ sub: org.users.owner.id, org: org.id }, now() - 60)}`, 'Token expired'],
    ['a token signed with another key', async () => `Bearer ${await signed({ sub: org.users.owner.id, org: org.id }, now() + 600, new Uint8Array(32).fill(7))}`, 'Invalid token'],
    ['a token of a user that does not exist', async () => `Bearer ${await server.services.tokens.sign({ sub: NO_SUCH_UUID, org: org.id, sid: NO_SUCH_UUID })}`, 'Invalid token'],
    ['a token pairing a user with another organization', async () => `Bearer ${await server.services.tokens.sign({ sub: org.users.owner.id, org: NO_SUCH_UUID, sid: decodeJwt(org.users.owner.token).sid as string })}`, 'Invalid token'],
    ['a Basic authorization header', async () => 'Basic dXNlcjpwYXNz', 'Authorization header must be "Bearer <token>"'],
  ])('%s is refused with HTTP 401', async (_case, header, message) => {
    const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: await header() }, body: JSON.stringify({ query: '{ me { id } }' }) });
    expect({ status: res.status, body: await res.json() }).toEqual({ status: 401, body: { errors: [{ message, extensions: { code: 'UNAUTHENTICATED' } }] } });
  });
});

describe('an invalid global ID', () => {
  const bad = ['garbage', '', Buffer.from('Workspace:not-a-uuid').toString('base64url'), Buffer.from(`workspace:${NO_SUCH_UUID}`).toString('base64url'), "1' or '1'='1"];

  it.each(bad)('%j is a clear VALIDATION error in queries and mutations, never an internal error', async (id) => {
    for (const query of ['query($id: ID!) { workspace(id: $id) { id } }', 'query($id: ID!) { node(id: $id) { id } }', 'query($id: ID!) { mappings(workspaceId: $id) { totalCount } }']) {
      const res = await server.gql(query, { id }, org.users.viewer.token);
      expect(errorsOf(res)).toEqual([{ message: `"${id}" is not a valid ID`, code: 'VALIDATION', path: ['id'] }]);
    }
    expect(await mutate(server, mutationText('deleteWorkspace', '(id: $id)'), { id }, org.users.editor.token)).toEqual({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      message: `"${id}" is not a valid ID`,
      path: ['id'],
    });
  });
});

describe('what a client never sees', () => {
  it.each<[string, string, Record<string, unknown>, { status: number; codes: string[] }]>([
    ['SQL in a filter', 'query($s: String) { mappings(sourceTable: $s, hasTargetField: $s) { totalCount } }', { s: "x'; drop table mappings; --" }, { status: 200, codes: [] }],
    ['a cursor of a row that does not exist', 'query($c: String) { workspaces(after: $c) { totalCount edges { cursor } } }', { c: Buffer.from(`c1:${NO_SUCH_UUID}`).toString('base64url') }, { status: 200, codes: [] }],
    ['a NUL byte the database refuses', 'mutation($n: String!) { createWorkspace(input: { name: $n }) { __typename } }', { n: 'a\u0000b' }, { status: 200, codes: [] }],
    ['a NUL byte in a filter', 'query($s: String) { mappings(targetTable: $s) { totalCount } }', { s: '\u0000' }, { status: 200, codes: ['VALIDATION'] }],
    ['a wrong variable type', 'query($id: ID!) { workspace(id: $id) { id } }', { id: { $ne: null } }, { status: 400, codes: ['BAD_USER_INPUT'] }],
  ])('%s: no SQL, driver text or stack in the response, and the answer a client expects', async (_case, query, variables, expected) => {
    const res = await rawGql(server, query, variables, org.users.editor.token);
    expect(res.text).not.toMatch(LEAK_PATTERN);
    const body = JSON.parse(res.text) as { errors?: { message: string; extensions: { code: string } }[] };
    expect({ status: res.status, codes: (body.errors ?? []).map((e) => e.extensions.code) }).toEqual(expected);
  });

  it('a NUL character is refused as a typed ValidationError, and nothing is written', async () => {
    const res = await server.gql(
      'mutation($n: String!) { createWorkspace(input: { name: $n }) { __typename ... on Error { message code } ... on ValidationError { path } } }',
      { n: 'nul\u0000' },
      org.users.editor.token,
    );
    expect(res.body).toEqual({
      data: {
        createWorkspace: { __typename: 'ValidationError', message: 'input.name: text must be well-formed Unicode without NUL characters', code: 'VALIDATION', path: ['input', 'name'] },
      },
    });
    expect(await tenantDbOf(server, org).selectFrom('workspaces').select('name').where('name', 'like', 'nul%').execute()).toEqual([]);
  });
});
