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
