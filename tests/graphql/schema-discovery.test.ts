import {
  auditMark,
  auditRowsSince,
  createDataSource,
  createMapping,
  createSourceDb,
  createWorkspace,
  ERROR_FIELDS,
  gqlData,
  localId,
  mutate,
  seedOrganization,
  sourceConfigOf,
  tenantDbOf,
  useTestApi,
  type SeededOrg,
  type SourceDb,
} from '../support/index.js';

/** refreshDataSourceSchema: discovery of a real PostgreSQL source, the stored schema, and the diff between refreshes. */

const { server, org } = useTestApi();
let source: SourceDb;
let workspaceId: string;
let dataSourceId: string;
let other: SeededOrg;

const SETUP = `
  create schema crm;
  create schema billing;
  create table crm.customers (
    id bigint primary key, email varchar(255) not null, name text, created_at timestamptz not null default now(),
    score numeric(10,2), tags text[], profile jsonb, active boolean, birthday date, ref uuid, amount double precision, flags bit(8));
  create view crm.active_customers as select id, active from crm.customers where active;
  create table billing.invoice_lines (invoice_id bigint, line_no int, amount numeric(12,2) not null, primary key (invoice_id, line_no));
  create table public.legacy (code char(3), note varchar);`;

beforeAll(async () => {
  source = await createSourceDb(SETUP);
  workspaceId = await createWorkspace(server, org.users.editor.token, 'Discovery');
  dataSourceId = await createDataSource(server, org.users.editor.token, workspaceId, sourceConfigOf(source));
  other = await seedOrganization(server);
});
afterAll(() => source.drop());

const REFRESH = `mutation($id: ID!) {
  refreshDataSourceSchema(id: $id) {
    __typename ${ERROR_FIELDS}
    ... on SourceConnectionError { step }
    ... on UnsupportedSourceError { sourceType }
    ... on RefreshDataSourceSchemaPayload {
      dataSource { id lastSchemaRefresh }
      diff { classification tableChanges { table change columnChanges { column change oldType newType breaking affectedMappings { id sourceTable } } } }
    }
  }
}`;

interface ColumnChange {
  column: string;
  change: string;
  oldType: string | null;
  newType: string | null;
  breaking: boolean;
  affectedMappings: { id: string; sourceTable: string }[];
}
interface Refreshed {
  __typename: string;
  dataSource: { id: string; lastSchemaRefresh: string };
  diff: { classification: string; tableChanges: { table: string; change: string; columnChanges: ColumnChange[] }[] };
}

const refresh = (id = dataSourceId, token = org.users.editor.token) => mutate<Refreshed>(server, REFRESH, { id }, token);
const col = (column: string, change: string, oldType: string | null, newType: string | null, breaking = false, affectedMappings: { id: string; sourceTable: string }[] = []) => ({
  column,
  change,
  oldType,
  newType,
  breaking,
  affectedMappings,
});

const c = (name: string, dataType: string, nullable: boolean, isPrimaryKey: boolean, ordinalPosition: number) => ({ name, dataType, nullable, isPrimaryKey, ordinalPosition });

describe('refreshDataSourceSchema', () => {
  let first: Refreshed;
  let m1: string;
  let m2: string;
  let m3: string;

  it('discovers tables, views, several schemas, composite primary keys and many column types', async () => {
    const mark = await auditMark(server);
    first = await refresh();
    expect(first.__typename).toBe('RefreshDataSourceSchemaPayload');
    expect(first.diff.classification).toBe('NON_BREAKING');
    expect(first.diff.tableChanges.map((t) => [t.table, t.change, t.columnChanges.length])).toEqual([
      ['billing.invoice_lines', 'ADDED', 3],
      ['crm.active_customers', 'ADDED', 2],
      ['crm.customers', 'ADDED', 12],
      ['public.legacy', 'ADDED', 2],
    ]);
    const data = await gqlData<{ dataSource: { lastSchemaRefresh: string; schemaCache: { tables: unknown[] } } }>(
      server,
      `query($id: ID!) { dataSource(id: $id) { lastSchemaRefresh schemaCache { tables { schema name qualifiedName kind columns { name dataType nullable isPrimaryKey ordinalPosition } } } } }`,
      { id: dataSourceId },
      org.users.viewer.token,
    );
    expect(data.dataSource.lastSchemaRefresh).toBe(first.dataSource.lastSchemaRefresh);
    expect(data.dataSource.schemaCache.tables).toEqual([
      {
        schema: 'billing',
        name: 'invoice_lines',
        qualifiedName: 'billing.invoice_lines',
        kind: 'TABLE',
        columns: [c('invoice_id', 'bigint', false, true, 1), c('line_no', 'integer', false, true, 2), c('amount', 'numeric(12,2)', false, false, 3)],
      },
      { schema: 'crm', name: 'active_customers', qualifiedName: 'crm.active_customers', kind: 'VIEW', columns: [c('id', 'bigint', true, false, 1), c('active', 'boolean', true, false, 2)] },
      {
        schema: 'crm',
        name: 'customers',
        qualifiedName: 'crm.customers',
        kind: 'TABLE',
        columns: [
          c('id', 'bigint', false, true, 1),
          c('email', 'character varying(255)', false, false, 2),
          c('name', 'text', true, false, 3),
          c('created_at', 'timestamp with time zone', false, false, 4),
          c('score', 'numeric(10,2)', true, false, 5),
          c('tags', 'text[]', true, false, 6),
          c('profile', 'jsonb', true, false, 7),
          c('active', 'boolean', true, false, 8),
          c('birthday', 'date', true, false, 9),
          c('ref', 'uuid', true, false, 10),
          c('amount', 'double precision', true, false, 11),
          c('flags', 'bit(8)', true, false, 12),
        ],
      },
      { schema: 'public', name: 'legacy', qualifiedName: 'public.legacy', kind: 'TABLE', columns: [c('code', 'character(3)', true, false, 1), c('note', 'character varying', true, false, 2)] },
    ]);
    const entries = await auditRowsSince(server, mark);
    expect(entries.map((e) => [e.action, e.entity_id])).toEqual([['dataSource.refreshSchema', localId(dataSourceId)]]);
    expect(entries[0]!.changes).toMatchObject({ status: { before: null, after: 'succeeded' }, classification: { before: null, after: 'non_breaking' } });
  });

  it('between refreshes: each change is classified, breaking exactly where a mapping reads the column', async () => {
    m1 = await createMapping(server, org.users.editor.token, workspaceId, {
      sourceTable: 'crm.customers',
      fieldMappings: [
        { targetField: 'customer_id', source: 'id' },
        { targetField: 'email', source: 'email', transform: 'lower(email)' },
        { targetField: 'score', source: 'c.score' },
      ],
    });
    m2 = await createMapping(server, org.users.editor.token, workspaceId, {
      sourceTable: 'billing.invoice_lines',
      fieldMappings: [
        { targetField: 'amount', source: 'amount' },
        { targetField: 'line', source: 'line_no' },
      ],
    });
    // A transform's column references count (found by the SQL parser): upper(note) reads note.
    m3 = await createMapping(server, org.users.editor.token, workspaceId, {
      sourceTable: 'legacy',
      fieldMappings: [
        { targetField: 'code', source: 'code' },
        { targetField: 'label', source: 'code', transform: 'upper(note)' },
      ],
    });
    // A mapping of another workspace reads the same names: it is not this source's.
    await createMapping(server, org.users.editor.token, await createWorkspace(server, org.users.editor.token), { sourceTable: 'crm.customers', fieldMappings: [{ targetField: 'x', source: 'score' }] });

    await source.exec(`
      alter table crm.customers add column phone text;
      alter table crm.customers drop column name;
      alter table crm.customers drop column score;
      alter table crm.customers alter column email type text;
      alter table billing.invoice_lines alter column amount drop not null;
      drop table public.legacy;`);

    server.db.counter.reset();
    const second = await refresh();
    const mappingStatements = server.db.counter.statements.filter((s) => /"mappings"/.test(s));
    const customers = { id: m1, sourceTable: 'crm.customers' };
    const lines = { id: m2, sourceTable: 'billing.invoice_lines' };
    const legacy = { id: m3, sourceTable: 'legacy' };
    expect(second.diff).toEqual({
      classification: 'BREAKING',
      tableChanges: [
        { table: 'billing.invoice_lines', change: 'CHANGED', columnChanges: [col('amount', 'NULLABILITY_CHANGED', 'numeric(12,2)', 'numeric(12,2)', false, [lines])] },
        {
          table: 'crm.customers',
          change: 'CHANGED',
          columnChanges: [
            col('email', 'TYPE_CHANGED', 'character varying(255)', 'text', true, [customers]),
            col('name', 'REMOVED', 'text', null),
            col('score', 'REMOVED', 'numeric(10,2)', null, true, [customers]),
            col('phone', 'ADDED', null, 'text'),
          ],
        },
        { table: 'public.legacy', change: 'REMOVED', columnChanges: [col('code', 'REMOVED', 'character(3)', null, true, [legacy]), col('note', 'REMOVED', 'character varying', null, true, [legacy])] },
      ],
    });
    expect(new Date(second.dataSource.lastSchemaRefresh).getTime()).toBeGreaterThan(new Date(first.dataSource.lastSchemaRefresh).getTime());
    // One statement reads what the workspace's mappings read; one loads every affected mapping (batched).
    expect(mappingStatements).toHaveLength(2);
  });

  it('a refresh with nothing changed is NO_CHANGE', async () => {
    expect((await refresh()).diff).toEqual({ classification: 'NO_CHANGE', tableChanges: [] });
  });

  it('a failing connection is a SourceConnectionError naming the step; the cached schema stays, the attempt is audited', async () => {
    const broken = await createDataSource(server, org.users.editor.token, workspaceId, sourceConfigOf(source, { password: 'Wrong-Pass-9' }));
    const mark = await auditMark(server);
    expect(await refresh(broken)).toEqual({
      __typename: 'SourceConnectionError',
      code: 'SOURCE_CONNECTION',
      message: `password authentication failed for user ${source.user}`,
      step: 'authenticate',
    });
    const row = await tenantDbOf(server, org).selectFrom('data_sources').select(['schema_cache', 'last_schema_refresh']).where('id', '=', localId(broken)).executeTakeFirstOrThrow();
    expect(row).toEqual({ schema_cache: null, last_schema_refresh: null });
    const entries = await auditRowsSince(server, mark);
    expect(entries.map((e) => e.action)).toEqual(['dataSource.refreshSchema']);
    expect(entries[0]!.changes).toMatchObject({ status: { after: 'failed' }, error: { after: 'SOURCE_CONNECTION' } });
    expect(JSON.stringify(entries)).not.toContain('Wrong-Pass-9');
  });

  it.each([
    ['snowflake', { snowflake: { account: 'acme-xy12', warehouse: 'WH', database: 'RAW', user: 'loader', password: 'sf-password' } }, 'SNOWFLAKE'],
    ['api', { api: { baseUrl: 'https://api.example.com/v1' } }, 'API'],
    ['file', { file: { format: 'csv', location: 's3://acme/x/' } }, 'FILE'],
  ])('discovery of a %s source is an UnsupportedSourceError', async (type, config, sourceType) => {
    const id = await createDataSource(server, org.users.editor.token, workspaceId, config);
    expect(await refresh(id)).toEqual({ __typename: 'UnsupportedSourceError', code: 'UNSUPPORTED_SOURCE', message: `Schema discovery is not supported yet for ${type} sources`, sourceType });
  });

  it('a viewer cannot refresh; another organization cannot refresh by id; nothing changes', async () => {
    const before = await tenantDbOf(server, org).selectFrom('data_sources').select(['schema_cache', 'last_schema_refresh']).where('id', '=', localId(dataSourceId)).executeTakeFirstOrThrow();
    expect(await refresh(dataSourceId, org.users.viewer.token)).toEqual({ __typename: 'ForbiddenError', code: 'FORBIDDEN', message: 'Your role does not allow this' });
    expect(await refresh(dataSourceId, other.users.owner.token)).toEqual({ __typename: 'NotFoundError', code: 'NOT_FOUND', message: `DataSource ${localId(dataSourceId)} was not found` });
    const after = await tenantDbOf(server, org).selectFrom('data_sources').select(['schema_cache', 'last_schema_refresh']).where('id', '=', localId(dataSourceId)).executeTakeFirstOrThrow();
    expect(after).toEqual(before);
  });
});
