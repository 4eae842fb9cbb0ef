import { createDataSource, createMapping, createSourceDb, createWorkspace, gqlData, mutate, seedOrganization, sourceConfigOf, useTestApi, type SourceDb } from '../support/index.js';

const { server, org } = useTestApi();
let workspaceId: string;

let source: SourceDb;

beforeAll(async () => {
  source = await createSourceDb('create schema crm; create table crm.customers (cust_id bigint primary key, first_name text, last_name text)');
  workspaceId = await createWorkspace(server, org.users.editor.token, 'Mapping SQL');
  const dataSourceId = await createDataSource(server, org.users.editor.token, workspaceId, sourceConfigOf(source));
  const refreshed = await mutate<{ __typename: string }>(server, 'mutation($id: ID!) { refreshDataSourceSchema(id: $id) { __typename } }', { id: dataSourceId }, org.users.editor.token);
  expect(refreshed.__typename).toBe('RefreshDataSourceSchemaPayload');
});
afterAll(() => source.drop());

describe('mapping validation and compilation over GraphQL', () => {
  it('a DRAFT is saved with problems; setMappingStatus(ACTIVE) refuses it with the problems; Mapping.compiled gives the SQL', async () => {
    const id = await createMapping(server, org.users.editor.token, workspaceId, { sourceTable: 'crm.customers', targetTable: 'customers', fieldMappings: [{ targetField: 'x', transform: 'pg_sleep(10)' }] });
    const r = await mutate(server, `mutation($id: ID!) { setMappingStatus(id: $id, status: ACTIVE) { __typename ... on ValidationError { problems { code path } } } }`, { id }, org.users.editor.token);
    expect(r).toEqual({ __typename: 'ValidationError', problems: [{ code: 'FORBIDDEN_FUNCTION', path: ['fieldMappings', 'x', 'transform'] }] });
    const good = await createMapping(server, org.users.editor.token, workspaceId, { sourceTable: 'crm.customers', targetTable: 'customers', fieldMappings: [{ targetField: 'id', source: 'cust_id' }] });
    const data = await gqlData<{ mapping: unknown }>(server, 'query($id: ID!) { mapping(id: $id) { validation { valid } compiled(dialect: BIGQUERY) { sql statements referencedColumns problems { code } } } }', { id: good }, org.users.viewer.token);
    expect(data.mapping).toEqual({ validation: { valid: true }, compiled: { sql: 'SELECT `cust_id` AS `id` FROM `crm`.`customers`', statements: [], referencedColumns: ['cust_id'], problems: [] } });
    expect(await mutate(server, `mutation($id: ID!) { setMappingStatus(id: $id, status: ACTIVE) { __typename } }`, { id: good }, org.users.editor.token)).toEqual({ __typename: 'SetMappingStatusPayload' });
  });

  it('validateMappingInput checks columns against the cached source schema, with near names', async () => {
    const data = await gqlData<{ validateMappingInput: unknown }>(
      server,
      'query($input: MappingDraftInput!) { validateMappingInput(input: $input) { valid problems { path code message position suggestion } } }',
      { input: { workspaceId, sourceTable: 'crm.customers', targetTable: 'customers', fieldMappings: [{ targetField: 'full_name', transform: "CONCAT(first_nam, ' ', last_name)" }, { targetField: 'id', source: 'cust_id' }] } },
      org.users.viewer.token,
    );
    expect(data.validateMappingInput).toEqual({
      valid: false,
      problems: [{ path: ['fieldMappings', 'full_name', 'transform'], code: 'UNKNOWN_COLUMN', message: expect.stringMatching(/^unknown column first_nam/), position: 8, suggestion: expect.stringContaining('first_name') }],
    });
    const typo = await gqlData<{ validateMappingInput: { problems: { code: string; suggestion: string | null }[] } }>(
      server,
      'query($input: MappingDraftInput!) { validateMappingInput(input: $input) { problems { code suggestion } } }',
      { input: { workspaceId, sourceTable: 'crm.customer', targetTable: 'customers', fieldMappings: [{ targetField: 'id', source: 'cust_id' }] } },
      org.users.viewer.token,
    );
    expect(typo.validateMappingInput.problems).toEqual([{ code: 'UNKNOWN_TABLE', suggestion: expect.stringContaining('crm.customers') }]);
  });

  it("another organization's mapping is not found", async () => {
    const other = await seedOrganization(server);
    const id = await createMapping(server, org.users.editor.token, workspaceId);
    const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${other.users.owner.token}` }, body: JSON.stringify({ query: 'query($id: ID!) { validateMapping(id: $id) { valid } }', variables: { id } }) });
    const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});

const IR_FIELDS = `identifiers { column normalize ignoreValues } matchRules { allOf } recordKey outputColumn maxIterations matchKeys strategy targetIdField confidenceThreshold`;
const CREATE_IR = `mutation($input: CreateMappingInput!) { createMapping(input: $input) {
  __typename ... on ValidationError { message path }
  ... on CreateMappingPayload { mapping { id validation { valid problems { code path message } } decorators { ... on IdentityResolutionDecorator { identityResolution { ${IR_FIELDS} } } } compiled(dialect: POSTGRESQL) { statements } } }
} }`;
const irFields = [{ targetField: 'id', source: 'cust_id' }, { targetField: 'email', source: 'first_name' }, { targetField: 'phone', source: 'last_name' }];

describe('an ACTIVE mapping stays valid', () => {
  const UPDATE = `mutation($input: UpdateMappingInput!) { updateMapping(input: $input) {
    __typename ... on ValidationError { message problems { code path } } ... on UpdateMappingPayload { mapping { version } } } }`;
  const RESTORE = `mutation($id: ID!, $version: Int!, $expected: Int!) { restoreMappingVersion(id: $id, version: $version, expectedVersion: $expected) {
    __typename ... on ValidationError { message problems { code path } } ... on RestoreMappingVersionPayload { mapping { version } } } }`;
  const version = async (id: string) => (await gqlData<{ mapping: { version: number } }>(server, 'query($id: ID!) { mapping(id: $id) { version } }', { id }, org.users.viewer.token)).mapping.version;

  it('an update or a restore that would make it invalid is refused with the problems, and nothing changes; a DRAFT takes it', async () => {
    // v1: a draft with a typo; v2: fixed; v3: active
    const id = await createMapping(server, org.users.editor.token, workspaceId, { sourceTable: 'crm.customers', targetTable: 'customers', fieldMappings: [{ targetField: 'id', source: 'cust_i' }] });
    expect(await mutate(server, UPDATE, { input: { id, expectedVersion: 1, fieldMappings: [{ targetField: 'id', source: 'cust_id' }] } }, org.users.editor.token)).toEqual({ __typename: 'UpdateMappingPayload', mapping: { version: 2 } });
    expect(await mutate(server, 'mutation($id: ID!) { setMappingStatus(id: $id, status: ACTIVE) { __typename } }', { id }, org.users.editor.token)).toEqual({ __typename: 'SetMappingStatusPayload' });

    const bad = await mutate(server, UPDATE, { input: { id, expectedVersion: 3, fieldMappings: [{ targetField: 'id', transform: 'pg_sleep(1)' }] } }, org.users.editor.token);
    expect(bad).toEqual({
      __typename: 'ValidationError',
      message: expect.stringMatching(/^The mapping is ACTIVE and the change would give it 1 problem\(s\)/),
      problems: [{ code: 'FORBIDDEN_FUNCTION', path: ['fieldMappings', 'id', 'transform'] }],
    });
    const restored = await mutate(server, RESTORE, { id, version: 1, expected: 3 }, org.users.editor.token);
    expect(restored).toEqual({ __typename: 'ValidationError', message: expect.stringContaining('ACTIVE'), problems: [{ code: 'UNKNOWN_COLUMN', path: ['fieldMappings', 'id', 'source'] }] });
    expect(await version(id)).toBe(3);
    // a valid change still goes through
    expect(await mutate(server, UPDATE, { input: { id, expectedVersion: 3, targetTable: 'dim_customers' } }, org.users.editor.token)).toEqual({ __typename: 'UpdateMappingPayload', mapping: { version: 4 } });
  });
});

describe('identity resolution over GraphQL', () => {
  const create = (identityResolution: Record<string, unknown>) =>
    mutate<{ __typename: string; message?: string; path?: string[]; mapping?: { validation: { valid: boolean; problems: unknown[] }; decorators: { identityResolution: unknown }[]; compiled: { statements: string[] } } }>(
      server,
      CREATE_IR,
      { input: { workspaceId, sourceTable: 'crm.customers', targetTable: 'customers', fieldMappings: irFields, decorators: [{ identityResolution }] } },
      org.users.editor.token,
    );

  it('identifiers, match rules, record key and output column are stored, read back typed, and compiled to ordered statements', async () => {
    const r = await create({
      identifiers: [{ column: 'email', normalize: ['TRIM', 'LOWER'], ignoreValues: ['', 'anonymous'] }, { column: 'phone', normalize: ['DIGITS_ONLY'] }],
      matchRules: [{ allOf: ['email'] }, { allOf: ['phone', 'email'] }],
      recordKey: 'id',
      outputColumn: 'entity_id',
      maxIterations: 5,
    });
    expect(r.mapping!.validation).toEqual({ valid: true, problems: [] });
    expect(r.mapping!.decorators).toEqual([{
      identityResolution: {
        identifiers: [{ column: 'email', normalize: ['TRIM', 'LOWER'], ignoreValues: ['', 'anonymous'] }, { column: 'phone', normalize: ['DIGITS_ONLY'], ignoreValues: ['', 'null', 'none', 'n/a', 'anonymous', 'unknown'] }],
        matchRules: [{ allOf: ['email'] }, { allOf: ['phone', 'email'] }],
        recordKey: 'id',
        outputColumn: 'entity_id',
        maxIterations: 5,
        // the legacy fields, derived
        matchKeys: ['email', 'phone'],
        strategy: 'EXACT',
        targetIdField: 'entity_id',
        confidenceThreshold: null,
      },
    }]);
    const statements = r.mapping!.compiled.statements;
    expect(statements.filter((x) => x.startsWith('CREATE TABLE "customers__ir_labels_'))).toHaveLength(6);
    expect(statements.findIndex((x) => x.startsWith('CREATE TABLE "customers__ir_edges"'))).toBeGreaterThan(statements.findIndex((x) => x.startsWith('CREATE TABLE "customers__ir_nodes"')));
  });

  it('without match rules, any one identifier in common matches', async () => {
    const r = await create({ identifiers: [{ column: 'email' }, { column: 'phone' }] });
    expect(r.mapping!.decorators[0]!.identityResolution).toMatchObject({ matchRules: [{ allOf: ['email'] }, { allOf: ['phone'] }], outputColumn: 'entity_id', recordKey: null, maxIterations: 20 });
  });

  it('a rule naming something that is not an identifier is saved as a DRAFT with an INVALID_DECORATOR problem', async () => {
    const r = await create({ identifiers: [{ column: 'email' }], matchRules: [{ allOf: ['phone'] }], outputColumn: 'email' });
    expect(r.mapping!.validation).toEqual({
      valid: false,
      problems: [
        { code: 'INVALID_DECORATOR', path: ['decorators', '0', 'config'], message: 'match rule uses phone, which is not one of the identifiers' },
        { code: 'INVALID_DECORATOR', path: ['decorators', '0', 'config'], message: 'output column email is already a target field' },
      ],
    });
  });

  it('the legacy fields cannot be mixed with identifiers; one of the two shapes is required', async () => {
    expect(await create({ identifiers: [{ column: 'email' }], matchKeys: ['email'] })).toMatchObject({
      __typename: 'ValidationError',
      path: ['input', 'decorators', '0', 'identityResolution', 'matchKeys'],
    });
    expect(await create({ outputColumn: 'entity_id' })).toMatchObject({ __typename: 'ValidationError', path: ['input', 'decorators', '0', 'identityResolution', 'identifiers'] });
    expect(await create({ identifiers: [{ column: 'e-mail' }] })).toMatchObject({ __typename: 'ValidationError', path: ['input', 'decorators', '0', 'identityResolution', 'identifiers', '0', 'column'] });
  });
});
