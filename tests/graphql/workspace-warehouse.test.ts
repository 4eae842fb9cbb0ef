import { Tenant } from '../../src/tenancy/tenant.js';
import { findWorkspaceWarehouse } from '../../src/warehouses/warehouse.manager.js';
import {
  auditMark,
  auditRowsSince,
  createWorkspace,
  ENTITY_ERROR_FIELDS,
  gqlData,
  localId,
  mutate,
  rawGql,
  seedOrganization,
  tenantDbOf,
  useTestApi,
  type SeededOrg,
} from '../support/index.js';

const logLines: string[] = [];
const { server, org } = useTestApi({ logLines });

const PASSWORD = 'wh-Secret-7f3a9c';
const KEY = '{"type":"service_account","private_key":"bq-Secret-91ab"}';
const WAREHOUSE = `warehouse { dialect targetSchema connectionConfig {
  __typename
  ... on PostgresConnectionConfig { host port database user sslMode hasPassword }
  ... on BigQueryConnectionConfig { projectId location hasServiceAccountKey }
  ... on DatabricksConnectionConfig { host httpPath catalog hasToken }
  ... on SnowflakeConnectionConfig { account hasPassword hasPrivateKey } } }`;
const UPDATE = `mutation($input: UpdateWorkspaceInput!) { updateWorkspace(input: $input) {
  __typename ... on UpdateWorkspacePayload { workspace { name ${WAREHOUSE} } } ${ENTITY_ERROR_FIELDS} } }`;
const READ = `query($id: ID!) { node(id: $id) { ... on Workspace { ${WAREHOUSE} } } }`;

const pgWarehouse = (extra: Record<string, unknown> = {}) => ({
  dialect: 'POSTGRESQL',
  targetSchema: 'analytics',
  connectionConfig: { postgresql: { host: 'wh.example.com', port: 6543, database: 'dwh', user: 'loader', sslMode: 'verify-full', password: PASSWORD, ...extra } },
});
const PG_VIEW = {
  dialect: 'POSTGRESQL',
  targetSchema: 'analytics',
  connectionConfig: { __typename: 'PostgresConnectionConfig', host: 'wh.example.com', port: 6543, database: 'dwh', user: 'loader', sslMode: 'verify-full', hasPassword: true },
};

type Updated = { __typename: string; workspace?: { name: string; warehouse: unknown }; path?: string[] };
const setWarehouse = (id: string, warehouse: unknown, token = org.users.editor.token, extra: Record<string, unknown> = {}) =>
  mutate<Updated>(server, UPDATE, { input: { id, warehouse, ...extra } }, token);
const readWarehouse = async (id: string, token = org.users.viewer.token) => (await gqlData<{ node: { warehouse: unknown } | null }>(server, READ, { id }, token)).node;
/** What the worker gets: the settings with the secret in clear. */
const forWorker = (o: SeededOrg, id: string) => findWorkspaceWarehouse(server.services, new Tenant(server.db.db, o).db, o.id, localId(id));

describe('Workspace.warehouse', () => {
  it('is null until set; updateWorkspace sets it, and it reads back masked', async () => {
    const id = await createWorkspace(server, org.users.editor.token);
    expect(await readWarehouse(id)).toEqual({ warehouse: null });
    const res = await rawGql(server, UPDATE, { input: { id, warehouse: pgWarehouse() } }, org.users.editor.token);
    expect(res.text).not.toContain(PASSWORD);
    expect(JSON.parse(res.text).data.updateWorkspace.workspace.warehouse).toEqual(PG_VIEW);
    expect(await readWarehouse(id)).toEqual({ warehouse: PG_VIEW });
    // stored sealed: the clear password is nowhere in the row
    const row = await tenantDbOf(server, org).selectFrom('workspaces').select('warehouse').where('id', '=', localId(id)).executeTakeFirstOrThrow();
    expect(JSON.stringify(row.warehouse)).not.toContain(PASSWORD);
    expect(row.warehouse).toMatchObject({ dialect: 'postgresql', target_schema: 'analytics', connection_config: { host: 'wh.example.com', secret_fields: ['password'] } });
    expect(await forWorker(org, id)).toEqual({
      dialect: 'postgresql',
      targetSchema: 'analytics',
      settings: { host: 'wh.example.com', port: 6543, database: 'dwh', user: 'loader', sslMode: 'verify-full', password: PASSWORD },
      postgres: { host: 'wh.example.com', port: 6543, database: 'dwh', user: 'loader', sslMode: 'verify-full', password: PASSWORD },
    });
  });

  it('keeps the stored secret when it is sent masked or left out, replaces it when a new one is sent', async () => {
    const id = await createWorkspace(server, org.users.editor.token);
    await setWarehouse(id, pgWarehouse());
    expect(await setWarehouse(id, pgWarehouse({ password: '********', host: 'wh2.example.com' }))).toMatchObject({ workspace: { warehouse: { connectionConfig: { host: 'wh2.example.com', hasPassword: true } } } });
    expect((await forWorker(org, id))!.postgres!.password).toBe(PASSWORD);
    const { password: _left, ...withoutPassword } = pgWarehouse().connectionConfig.postgresql;
    await setWarehouse(id, { ...pgWarehouse(), connectionConfig: { postgresql: withoutPassword } });
    expect((await forWorker(org, id))!.postgres).toMatchObject({ host: 'wh.example.com', password: PASSWORD });
    await setWarehouse(id, pgWarehouse({ password: 'rotated-pw' }));
    expect((await forWorker(org, id))!.postgres!.password).toBe('rotated-pw');
    // changing other fields of the workspace leaves the warehouse alone
    expect(await mutate(server, UPDATE, { input: { id, name: 'renamed' } }, org.users.editor.token)).toMatchObject({ workspace: { name: 'renamed', warehouse: PG_VIEW } });
  });

  it('is removed with warehouse: null', async () => {
    const id = await createWorkspace(server, org.users.editor.token);
    await setWarehouse(id, pgWarehouse());
    expect(await setWarehouse(id, null)).toEqual({ __typename: 'UpdateWorkspacePayload', workspace: { name: expect.any(String), warehouse: null } });
    expect(await readWarehouse(id)).toEqual({ warehouse: null });
    expect(await forWorker(org, id)).toBeNull();
  });

  it('stores the other dialects with their own settings shapes, secrets sealed', async () => {
    const id = await createWorkspace(server, org.users.editor.token);
    const bq = { dialect: 'BIGQUERY', targetSchema: 'raw_crm', connectionConfig: { bigquery: { projectId: 'acme-data', location: 'EU', serviceAccountKey: KEY } } };
    const res = await rawGql(server, UPDATE, { input: { id, warehouse: bq } }, org.users.editor.token);
    expect(res.text).not.toContain('bq-Secret');
    expect(await readWarehouse(id)).toEqual({
      warehouse: { dialect: 'BIGQUERY', targetSchema: 'raw_crm', connectionConfig: { __typename: 'BigQueryConnectionConfig', projectId: 'acme-data', location: 'EU', hasServiceAccountKey: true } },
    });
    expect(await forWorker(org, id)).toEqual({ dialect: 'bigquery', targetSchema: 'raw_crm', settings: { projectId: 'acme-data', location: 'EU', serviceAccountKey: KEY }, postgres: null });
    const db = { dialect: 'DATABRICKS', targetSchema: 'gold', connectionConfig: { databricks: { host: 'dbc-1.cloud.databricks.com', httpPath: '/sql/1.0/warehouses/abc', token: 'dapi-Secret' } } };
    expect(await setWarehouse(id, db)).toMatchObject({
      workspace: { warehouse: { dialect: 'DATABRICKS', connectionConfig: { __typename: 'DatabricksConnectionConfig', host: 'dbc-1.cloud.databricks.com', catalog: null, hasToken: true } } },
    });
    // a masked secret does not carry over from another dialect
    const pgMasked = await setWarehouse(id, pgWarehouse({ password: '********' }));
    expect(pgMasked).toMatchObject({ workspace: { warehouse: { connectionConfig: { hasPassword: false } } } });
  });

  it('refuses bad settings with a ValidationError naming the field, changing nothing', async () => {
    const id = await createWorkspace(server, org.users.editor.token, 'unchanged');
    await setWarehouse(id, pgWarehouse());
    const cases: [unknown, string[]][] = [
      [{ ...pgWarehouse(), dialect: 'SNOWFLAKE' }, ['input', 'warehouse', 'connectionConfig']],
      [{ ...pgWarehouse(), connectionConfig: {} }, ['input', 'warehouse', 'connectionConfig']],
      [{ ...pgWarehouse(), targetSchema: 'analytics; drop schema public' }, ['input', 'warehouse', 'targetSchema']],
      [{ ...pgWarehouse(), targetSchema: 'x'.repeat(64) }, ['input', 'warehouse', 'targetSchema']],
      [pgWarehouse({ host: '' }), ['input', 'warehouse', 'connectionConfig', 'postgresql', 'host']],
      [pgWarehouse({ sslMode: 'sometimes' }), ['input', 'warehouse', 'connectionConfig', 'postgresql', 'sslMode']],
    ];
    const mark = await auditMark(server);
    for (const [warehouse, path] of cases) {
      expect(await setWarehouse(id, warehouse, org.users.editor.token, { name: 'should not stick' })).toMatchObject({ __typename: 'ValidationError', path });
    }
    expect(await auditRowsSince(server, mark)).toEqual([]);
    expect(await readWarehouse(id)).toEqual({ warehouse: PG_VIEW });
    expect((await forWorker(org, id))!.postgres!.password).toBe(PASSWORD);
  });

  it('writes one audit entry with the masked warehouse, and no secret reaches the audit log or the server log', async () => {
    const id = await createWorkspace(server, org.users.editor.token);
    const mark = await auditMark(server);
    await setWarehouse(id, pgWarehouse());
    await setWarehouse(id, null);
    const entries = await auditRowsSince(server, mark);
    expect(entries.map((e) => [e.action, e.entity_id])).toEqual([
      ['workspace.update', localId(id)],
      ['workspace.update', localId(id)],
    ]);
    expect(entries[0]!.changes).toMatchObject({
      warehouse: { before: null, after: { dialect: 'postgresql', targetSchema: 'analytics', connectionConfig: { host: 'wh.example.com', dialect: 'postgresql' } } },
    });
    expect(entries[1]!.changes).toMatchObject({ warehouse: { after: null } });
    expect(JSON.stringify(entries)).not.toContain(PASSWORD);
    expect(logLines.filter((l) => l.includes(PASSWORD) || l.includes('bq-Secret') || l.includes('dapi-Secret'))).toEqual([]);
  });

  it('is set only by editors and above, and not found from another organization', async () => {
    const id = await createWorkspace(server, org.users.editor.token);
    expect(await setWarehouse(id, pgWarehouse(), org.users.viewer.token)).toMatchObject({ __typename: 'ForbiddenError' });
    const stranger = await seedOrganization(server);
    expect(await setWarehouse(id, pgWarehouse(), stranger.users.owner.token)).toMatchObject({ __typename: 'NotFoundError', entityType: 'Workspace' });
    expect(await readWarehouse(id)).toEqual({ warehouse: null });
    await setWarehouse(id, pgWarehouse());
    expect(await readWarehouse(id, stranger.users.owner.token)).toBeNull();
    // the worker reading through the other organization's handle finds no such workspace
    await expect(forWorker(stranger, id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
