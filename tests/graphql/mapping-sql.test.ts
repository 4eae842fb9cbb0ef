import { createDataSource, createMapping, createWorkspace, gqlData, mutate, POSTGRES_CONFIG, seedOrganization, useTestApi } from '../support/index.js';

const { server, org } = useTestApi();
let workspaceId: string;

const schemaCache = { tables: [{ schema: 'crm', name: 'customers', columns: ['cust_id', 'first_name', 'last_name'].map((name) => ({ name, dataType: 'text', nullable: true })) }] };

beforeAll(async () => {
  workspaceId = await createWorkspace(server, org.users.editor.token, 'Mapping SQL');
  await mutate(server, 'mutation($id: ID!, $input: UpdateDataSourceInput!) { updateDataSource(id: $id, input: $input) { __typename } }', {
    id: await createDataSource(server, org.users.editor.token, workspaceId, POSTGRES_CONFIG),
    input: { schemaCache },
  }, org.users.editor.token).catch(() => undefined);
});

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

  it("another organization's mapping is not found", async () => {
    const other = await seedOrganization(server);
    const id = await createMapping(server, org.users.editor.token, workspaceId);
    const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${other.users.owner.token}` }, body: JSON.stringify({ query: 'query($id: ID!) { validateMapping(id: $id) { valid } }', variables: { id } }) });
    const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
