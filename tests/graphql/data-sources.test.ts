import { revealSecrets, type StoredConnectionConfig } from '../../src/data-sources/connection-config.js';
import { createWorkspace, ENTITY_ERROR_FIELDS, gqlData, ISO_DATE, localId, mutate, rawGql, tenantDbOf, useTestApi } from '../support/index.js';

const { server, org } = useTestApi();
let workspaceId: string;

beforeAll(async () => {
  workspaceId = await createWorkspace(server, org.users.editor.token, 'Sources');
});

const DATA_SOURCE = `id name sourceType isActive createdAt lastSchemaRefresh
  workspace { id name }
  connectionConfig {
    __typename
    ... on PostgresConnectionConfig { host port database user sslMode hasPassword }
    ... on SnowflakeConnectionConfig { account warehouse database schema user role hasPassword hasPrivateKey }
    ... on ApiConnectionConfig { baseUrl authType username headers hasToken }
    ... on FileConnectionConfig { format location delimiter hasHeader }
  }
  schemaCache { tables { schema name columns { name dataType nullable } } }`;

const CREATE = `mutation($input: CreateDataSourceInput!) {
  createDataSource(input: $input) { __typename ... on CreateDataSourcePayload { dataSource { ${DATA_SOURCE} } } ${ENTITY_ERROR_FIELDS} }
}`;
const UPDATE = `mutation($input: UpdateDataSourceInput!) {
  updateDataSource(input: $input) { __typename ... on UpdateDataSourcePayload { dataSource { ${DATA_SOURCE} } } ${ENTITY_ERROR_FIELDS} }
}`;

type Created = { dataSource: { id: string; connectionConfig: Record<string, unknown>; lastSchemaRefresh: string | null } };

async function storedRow(id: string) {
  return tenantDbOf(server, org).selectFrom('data_sources').selectAll().where('id', '=', localId(id)).executeTakeFirstOrThrow();
}

async function storedSecrets(id: string): Promise<Record<string, string>> {
  const row = await storedRow(id);
  return revealSecrets(server.services.keyring, { organizationId: org.id, dataSourceId: row.id }, row.connection_config as StoredConnectionConfig);
}

const createSource = (name: string, connectionConfig: Record<string, unknown>, schemaCache?: unknown) =>
  mutate<Created>(server, CREATE, { input: { workspaceId, name, connectionConfig, schemaCache } }, org.users.editor.token);

describe('createDataSource, per source type', () => {
  it.each([
    {
      type: 'postgresql',
      input: { host: 'db.acme.internal', port: 6432, database: 'sales', user: 'reader', sslMode: 'verify-full', password: 'pg-s3cret-Pa55' },
      view: { __typename: 'PostgresConnectionConfig', host: 'db.acme.internal', port: 6432, database: 'sales', user: 'reader', sslMode: 'verify-full', hasPassword: true },
      stored: { host: 'db.acme.internal', port: 6432, database: 'sales', user: 'reader', ssl_mode: 'verify-full' },
      secrets: { password: 'pg-s3cret-Pa55' },
    },
    {
      type: 'snowflake',
      input: { account: 'acme-xy12345', warehouse: 'COMPUTE_WH', database: 'RAW', schema: 'PUBLIC', user: 'LOADER', role: 'LOADER_ROLE', password: 'snow-pw-42x', privateKey: 'PRIVATE-KEY-bytes-9f8e7d' },
      view: { __typename: 'SnowflakeConnectionConfig', account: 'acme-xy12345', warehouse: 'COMPUTE_WH', database: 'RAW', schema: 'PUBLIC', user: 'LOADER', role: 'LOADER_ROLE', hasPassword: true, hasPrivateKey: true },
      stored: { account: 'acme-xy12345', warehouse: 'COMPUTE_WH', database: 'RAW', schema: 'PUBLIC', user: 'LOADER', role: 'LOADER_ROLE' },
      secrets: { password: 'snow-pw-42x', privateKey: 'PRIVATE-KEY-bytes-9f8e7d' },
    },
    {
      type: 'api',
      input: { baseUrl: 'https://api.acme.test/v2', authType: 'bearer', headers: { 'X-Tenant': 'acme' }, token: 'tok-abc-123-secret' },
      view: { __typename: 'ApiConnectionConfig', baseUrl: 'https://api.acme.test/v2', authType: 'bearer', username: null, headers: { 'X-Tenant': 'acme' }, hasToken: true },
      stored: { base_url: 'https://api.acme.test/v2', auth_type: 'bearer', headers: { 'X-Tenant': 'acme' } },
      secrets: { token: 'tok-abc-123-secret' },
    },
    {
      type: 'file',
      input: { format: 'csv', location: 's3://bucket/exports/', delimiter: ';', hasHeader: true },
      view: { __typename: 'FileConnectionConfig', format: 'csv', location: 's3://bucket/exports/', delimiter: ';', hasHeader: true },
      stored: { format: 'csv', location: 's3://bucket/exports/', delimiter: ';', has_header: true },
      secrets: {},
    },
  ])('$type: settings come back typed, secrets only as has* flags, sealed at rest', async ({ type, input, view, stored, secrets }) => {
    const res = await rawGql(server, CREATE, { input: { workspaceId, name: `${type} source`, connectionConfig: { [type]: input } } }, org.users.editor.token);
    for (const secret of Object.values(secrets)) expect(res.text).not.toContain(secret);
    const { createDataSource } = JSON.parse(res.text).data as { createDataSource: Created & { __typename: string } };
    expect(createDataSource).toEqual({
      __typename: 'CreateDataSourcePayload',
      dataSource: {
        id: expect.any(String),
        name: `${type} source`,
        sourceType: type.toUpperCase(),
        isActive: true,
        createdAt: ISO_DATE,
        lastSchemaRefresh: null,
        workspace: { id: workspaceId, name: 'Sources' },
        connectionConfig: view,
        schemaCache: null,
      },
    });

    const row = await storedRow(createDataSource.dataSource.id);
    const names = Object.keys(secrets).sort();
    expect(row.connection_config).toEqual(names.length ? { ...stored, secret_fields: names, secrets: { kid: 'test-1', dek: expect.any(String), data: expect.any(String) } } : stored);
    for (const secret of Object.values(secrets)) expect(JSON.stringify(row)).not.toContain(secret);
    expect(await storedSecrets(createDataSource.dataSource.id)).toEqual(secrets);
  });

  it('fills in the documented defaults: port 5432, sslMode require, authType none', async () => {
    const pg = await createSource('defaults pg', { postgresql: { host: 'h', database: 'd', user: 'u' } });
    expect(pg.dataSource.connectionConfig).toEqual({ __typename: 'PostgresConnectionConfig', host: 'h', port: 5432, database: 'd', user: 'u', sslMode: 'require', hasPassword: false });
    const api = await createSource('defaults api', { api: { baseUrl: 'https://x.test' } });
    expect(api.dataSource.connectionConfig).toEqual({ __typename: 'ApiConnectionConfig', baseUrl: 'https://x.test', authType: 'none', username: null, headers: null, hasToken: false });
  });
});

describe('updateDataSource', () => {
  const pgConfig = (extra: Record<string, unknown> = {}) => ({ postgresql: { host: 'db1', database: 'sales', user: 'reader', ...extra } });

  it('keeps the stored password when it is left out or sent as "********", and replaces it when a new one is sent', async () => {
    const { dataSource } = await createSource('rotating', pgConfig({ password: 'first-Passw0rd' }));
    const update = (connectionConfig: unknown) => mutate<Created>(server, UPDATE, { input: { id: dataSource.id, connectionConfig } }, org.users.editor.token);

    expect((await update(pgConfig({ host: 'db2' }))).dataSource.connectionConfig).toMatchObject({ host: 'db2', hasPassword: true });
    expect(await storedSecrets(dataSource.id)).toEqual({ password: 'first-Passw0rd' });

    expect((await update(pgConfig({ host: 'db3', password: '********' }))).dataSource.connectionConfig).toMatchObject({ host: 'db3', hasPassword: true });
    expect(await storedSecrets(dataSource.id)).toEqual({ password: 'first-Passw0rd' });

    const res = await rawGql(server, UPDATE, { input: { id: dataSource.id, connectionConfig: pgConfig({ password: 'second-Passw0rd' }) } }, org.users.editor.token);
    expect(res.text).not.toContain('second-Passw0rd');
    expect(res.text).not.toContain('first-Passw0rd');
    expect(await storedSecrets(dataSource.id)).toEqual({ password: 'second-Passw0rd' });
  });

  it('renames without touching the stored connection settings', async () => {
    const { dataSource } = await createSource('old name', pgConfig({ password: 'pw-keep-me' }));
    const before = await storedRow(dataSource.id);
    const result = await mutate<Created & { dataSource: { name: string } }>(server, UPDATE, { input: { id: dataSource.id, name: 'new name' } }, org.users.editor.token);
    expect(result.dataSource.name).toBe('new name');
    expect(await storedRow(dataSource.id)).toEqual({ ...before, name: 'new name' });
  });

  it('refuses to change the source type, leaving the row as it was', async () => {
    const { dataSource } = await createSource('typed', pgConfig());
    const before = await storedRow(dataSource.id);
    const result = await mutate(server, UPDATE, { input: { id: dataSource.id, connectionConfig: { file: { format: 'json', location: '/tmp/x' } } } }, org.users.editor.token);
    expect(result).toEqual({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      message: 'This data source is of type postgresql; its type cannot change',
      path: ['input', 'connectionConfig'],
    });
    expect(await storedRow(dataSource.id)).toEqual(before);
  });
});

describe('schemaCache', () => {
  const schemaCache = {
    tables: [
      { schema: 'public', name: 'customers', columns: [{ name: 'id', dataType: 'bigint', nullable: false }, { name: 'email', dataType: 'text', nullable: true }] },
      { schema: null, name: 'orders', columns: [{ name: 'total', dataType: 'numeric(12,2)', nullable: false }] },
    ],
  };

  it('comes back as sent, is stored snake_case, and sets lastSchemaRefresh', async () => {
    const { dataSource } = await createSource('cached', { file: { format: 'parquet', location: 'gs://b/p' } }, schemaCache);
    expect(dataSource).toMatchObject({ schemaCache, lastSchemaRefresh: ISO_DATE });
    expect((await storedRow(dataSource.id)).schema_cache).toEqual({
      tables: [
        { schema: 'public', name: 'customers', columns: [{ name: 'id', data_type: 'bigint', nullable: false }, { name: 'email', data_type: 'text', nullable: true }] },
        { name: 'orders', columns: [{ name: 'total', data_type: 'numeric(12,2)', nullable: false }] },
      ],
    });
  });

  it('is replaced by updateDataSource, which moves lastSchemaRefresh forward', async () => {
    const { dataSource } = await createSource('refreshing', { file: { format: 'json', location: '/data' } }, schemaCache);
    const next = { tables: [{ schema: 'raw', name: 'events', columns: [{ name: 'at', dataType: 'timestamptz', nullable: false }] }] };
    const result = await mutate<Created>(server, UPDATE, { input: { id: dataSource.id, schemaCache: next } }, org.users.editor.token);
    expect(result.dataSource).toMatchObject({ schemaCache: next, lastSchemaRefresh: ISO_DATE });
    expect(Date.parse(result.dataSource.lastSchemaRefresh!)).toBeGreaterThan(Date.parse(dataSource.lastSchemaRefresh!));
  });

  it('is not read by lists that do not show it; lists that do read every one in one more statement', async () => {
    const listed = await createWorkspace(server, org.users.editor.token, 'Listed sources');
    const names = ['one', 'two', 'three'];
    for (const name of names) {
      await mutate(server, CREATE, { input: { workspaceId: listed, name, connectionConfig: { file: { format: 'csv', location: `/${name}` } }, schemaCache } }, org.users.editor.token);
    }
    const list = (fields: string) => `query($id: ID!) { workspace(id: $id) { dataSources { edges { node { ${fields} } } } } }`;
    const counted = async (query: string) => {
      server.db.counter.reset();
      const data = await gqlData<{ workspace: { dataSources: { edges: { node: Record<string, unknown> }[] } } }>(server, query, { id: listed }, org.users.viewer.token);
      return { nodes: data.workspace.dataSources.edges.map((e) => e.node), statements: server.db.counter.data.length, sql: server.db.counter.statements };
    };
    const without = await counted(list('name'));
    expect(without.sql.filter((s) => /from "org_[^"]+"\."data_sources"/.test(s))).toEqual([expect.not.stringContaining('schema_cache')]);
    const withSchemas = await counted(list('name schemaCache { tables { schema name columns { name dataType nullable } } }'));
    expect(withSchemas.nodes).toEqual([...names].reverse().map((name) => ({ name, schemaCache })));
    expect(withSchemas.statements).toBe(without.statements + 1);
  });
});

describe('deactivateDataSource and workspace.dataSources(isActive)', () => {
  it('deactivates a source, and the isActive filter lists each side with its count', async () => {
    const ws = await createWorkspace(server, org.users.editor.token, 'Filtered');
    const add = (name: string) => mutate<Created>(server, CREATE, { input: { workspaceId: ws, name, connectionConfig: { file: { format: 'csv', location: `/${name}` } } } }, org.users.editor.token);
    const kept = await add('kept');
    const retired = await add('retired');

    const DEACTIVATE = `mutation($id: ID!) { deactivateDataSource(id: $id) { __typename ... on DeactivateDataSourcePayload { dataSource { id name isActive } } ${ENTITY_ERROR_FIELDS} } }`;
    expect(await mutate(server, DEACTIVATE, { id: retired.dataSource.id }, org.users.editor.token)).toEqual({
      __typename: 'DeactivateDataSourcePayload',
      dataSource: { id: retired.dataSource.id, name: 'retired', isActive: false },
    });

    const data = await gqlData(
      server,
      `query($id: ID!) { workspace(id: $id) {
         all: dataSources { totalCount edges { node { name isActive } } }
         active: dataSources(isActive: true) { totalCount edges { node { id name } } }
         inactive: dataSources(isActive: false) { totalCount edges { node { id name } } } } }`,
      { id: ws },
      org.users.viewer.token,
    );
    expect(data).toEqual({
      workspace: {
        all: { totalCount: 2, edges: [{ node: { name: 'retired', isActive: false } }, { node: { name: 'kept', isActive: true } }] },
        active: { totalCount: 1, edges: [{ node: { id: kept.dataSource.id, name: 'kept' } }] },
        inactive: { totalCount: 1, edges: [{ node: { id: retired.dataSource.id, name: 'retired' } }] },
      },
    });
  });
});

describe('dataSource query', () => {
  it('returns the source with its workspace, and no secret anywhere in the response', async () => {
    const { dataSource } = await createSource('read back', { snowflake: { account: 'a', warehouse: 'w', database: 'd', user: 'u', password: 'sf-read-secret' } });
    const res = await rawGql(server, `query($id: ID!) { dataSource(id: $id) { ${DATA_SOURCE} } }`, { id: dataSource.id }, org.users.viewer.token);
    expect(res.text).not.toContain('sf-read-secret');
    expect(JSON.parse(res.text)).toEqual({ data: { dataSource } });
  });
});
