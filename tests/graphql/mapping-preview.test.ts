import {
  auditMark,
  auditRowsSince,
  createDataSource,
  createMapping,
  createSourceDb,
  createWorkspace,
  ERROR_FIELDS,
  localId,
  mutate,
  seedOrganization,
  sourceConfigOf,
  useTestApi,
  type SourceDb,
} from '../support/index.js';

/** previewMapping / previewMappingInput: a mapping's first rows from a real PostgreSQL source. */

const TIMEOUT_MS = 400;
const { server, org } = useTestApi({ env: { SOURCE_PREVIEW_TIMEOUT_MS: String(TIMEOUT_MS) } });
let source: SourceDb;
let workspaceId: string;
let dataSourceId: string;

const SETUP = `
  create schema crm;
  create table crm.customers (cust_id bigint primary key, first_name text, last_name text, created_at timestamptz not null, score numeric(10,2), active boolean, visits int);
  insert into crm.customers
    select i, 'First' || i, 'Last' || i, timestamptz '2024-01-01 10:00:00+00' + (i || ' days')::interval, i * 1.5, i % 2 = 0, i
    from generate_series(1, 150) as i;
  create view crm.slow_customers as select c.*, pg_sleep(5) is null as slept from crm.customers as c;
  create table crm.touched (n int);
  create function crm.touch() returns int language sql volatile as 'insert into crm.touched values (1) returning n';
  create view crm.touching_customers as select c.*, crm.touch() as t from crm.customers as c;`;

const PREVIEW_FIELDS = `__typename ${ERROR_FIELDS}
  ... on UnsupportedSourceError { sourceType }
  ... on SourceConnectionError { step }
  ... on MappingPreview { dataSource { id } sql columns { name type } rows truncated durationMs problems { code path message } }`;
const PREVIEW = `query($id: ID!, $limit: Int) { previewMapping(id: $id, limit: $limit) { ${PREVIEW_FIELDS} } }`;
const PREVIEW_INPUT = `query($input: MappingDraftInput!, $limit: Int) { previewMappingInput(input: $input, limit: $limit) { ${PREVIEW_FIELDS} } }`;

interface Preview {
  __typename: string;
  dataSource: { id: string } | null;
  sql: string | null;
  columns: { name: string; type: string }[];
  rows: Record<string, unknown>[];
  truncated: boolean;
  durationMs: number | null;
  problems: { code: string; path: string[]; message: string }[];
  message?: string;
  path?: string[];
  sourceType?: string;
  step?: string;
}

const FIELDS = [
  { targetField: 'customer_id', source: 'cust_id' },
  { targetField: 'full_name', transform: "CONCAT(first_name, ' ', last_name)" },
  { targetField: 'created_date', source: 'created_at', transform: 'DATE(created_at)' },
  { targetField: 'score', source: 'score' },
  { targetField: 'active', source: 'active' },
  { targetField: 'visits', source: 'visits' },
];

const preview = (id: string, limit?: number, token = org.users.editor.token) => mutate<Preview>(server, PREVIEW, { id, limit }, token);
const previewInput = (input: Record<string, unknown>, limit?: number) =>
  mutate<Preview>(server, PREVIEW_INPUT, { input: { workspaceId, targetTable: 'preview', sourceTable: 'crm.customers', fieldMappings: FIELDS, ...input }, limit }, org.users.editor.token);

beforeAll(async () => {
  source = await createSourceDb(SETUP);
  workspaceId = await createWorkspace(server, org.users.editor.token, 'Preview');
  dataSourceId = await createDataSource(server, org.users.editor.token, workspaceId, sourceConfigOf(source));
  const refreshed = await mutate<{ __typename: string }>(server, 'mutation($id: ID!) { refreshDataSourceSchema(id: $id) { __typename } }', { id: dataSourceId }, org.users.editor.token);
  expect(refreshed.__typename).toBe('RefreshDataSourceSchemaPayload');
});
afterAll(() => source.drop());

describe('previewMapping', () => {
  it('returns the first rows with their columns and PostgreSQL types; 20 by default, truncated when there are more', async () => {
    const id = await createMapping(server, org.users.editor.token, workspaceId, { sourceTable: 'crm.customers', targetTable: 'dim_customer', fieldMappings: FIELDS });
    const p = await preview(id);
    expect(p.__typename).toBe('MappingPreview');
    expect(p.problems).toEqual([]);
    expect(p.dataSource).toEqual({ id: dataSourceId });
    // Field mappings are a JSONB object: their order is PostgreSQL's key order (shorter names first).
    expect(p.sql).toBe(`SELECT "score" AS "score", "active" AS "active", "visits" AS "visits", (CONCAT(first_name, ' ', last_name)) AS "full_name", "cust_id" AS "customer_id", (DATE(created_at)) AS "created_date" FROM "crm"."customers"`);
    expect([...p.columns].sort((a, b) => FIELDS.findIndex((f) => f.targetField === a.name) - FIELDS.findIndex((f) => f.targetField === b.name))).toEqual([
      { name: 'customer_id', type: 'bigint' },
      { name: 'full_name', type: 'text' },
      { name: 'created_date', type: 'date' },
      { name: 'score', type: 'numeric(10,2)' },
      { name: 'active', type: 'boolean' },
      { name: 'visits', type: 'integer' },
    ]);
    expect(p.rows).toHaveLength(20);
    expect(p.truncated).toBe(true);
    // bigint and numeric keep their exact text; booleans and integers stay typed; a date is its ISO text.
    expect(p.rows.find((r) => r.customer_id === '3')).toEqual({ customer_id: '3', full_name: 'First3 Last3', created_date: '2024-01-04', score: '4.50', active: false, visits: 3 });
    expect(typeof p.durationMs).toBe('number');
  });

  it('reads at most 100 rows; a limit outside 1..100 is a ValidationError on `limit`', async () => {
    const id = await createMapping(server, org.users.editor.token, workspaceId, { sourceTable: 'crm.customers', targetTable: 'dim_customer', fieldMappings: FIELDS });
    const full = await preview(id, 100);
    expect(full.rows).toHaveLength(100);
    expect(full.truncated).toBe(true);
    for (const limit of [0, 101, -5]) {
      const bad = await preview(id, limit);
      expect(bad).toMatchObject({ __typename: 'ValidationError', path: ['limit'] });
      expect(bad.message).toMatch(/between 1 and 100/);
    }
    const filtered = await previewInput({ cteDefinitions: [{ name: 'few', sql: 'SELECT * FROM crm.customers WHERE cust_id <= 3' }], sourceTable: 'few' }, 10);
    expect(filtered.rows.map((r) => r.customer_id)).toEqual(['1', '2', '3']);
    expect(filtered.truncated).toBe(false);
  });

  it('a mapping that is not valid (against the cached schema) is not run: its problems are the answer', async () => {
    const p = await previewInput({ fieldMappings: [{ targetField: 'x', transform: 'pg_sleep(10)' }, { targetField: 'y', source: 'first_nam' }] });
    expect(p).toMatchObject({ __typename: 'MappingPreview', dataSource: null, sql: null, rows: [], columns: [] });
    expect(p.problems.map((x) => [x.code, x.path.join('.')])).toEqual([
      ['FORBIDDEN_FUNCTION', 'fieldMappings.x.transform'],
      ['UNKNOWN_COLUMN', 'fieldMappings.y.source'],
    ]);
  });

  it("a query the source refuses on real data is a SOURCE_ERROR problem with the source's message and no password", async () => {
    const p = await previewInput({ fieldMappings: [{ targetField: 'n', transform: 'CAST(first_name AS integer)' }] });
    expect(p.rows).toEqual([]);
    expect(p.problems).toEqual([{ code: 'SOURCE_ERROR', path: [], message: expect.stringMatching(/^the source answered 22P02: invalid input syntax for type integer/) }]);
    expect(JSON.stringify(p)).not.toContain(source.password);
  });

  it('runs read-only: a source view that writes fails, and nothing is written', async () => {
    const p = await previewInput({ sourceTable: 'crm.touching_customers', fieldMappings: [{ targetField: 'id', source: 'cust_id' }, { targetField: 't', source: 't' }] });
    expect(p.problems).toEqual([{ code: 'SOURCE_ERROR', path: [], message: expect.stringMatching(/25006: cannot execute INSERT in a read-only transaction/) }]);
    const probe = await createSourceProbe();
    expect(await probe('select count(*)::int as n from crm.touched')).toEqual([{ n: 0 }]);
  });

  it('a query slower than SOURCE_PREVIEW_TIMEOUT_MS is cancelled on the source: a TIMEOUT problem, and no statement is left running', async () => {
    const p = await previewInput({ sourceTable: 'crm.slow_customers', fieldMappings: [{ targetField: 'id', source: 'cust_id' }] });
    expect(p.problems).toEqual([{ code: 'TIMEOUT', path: [], message: `the preview ran longer than ${TIMEOUT_MS} ms and was cancelled (SOURCE_PREVIEW_TIMEOUT_MS)` }]);
    const probe = await createSourceProbe();
    expect(await probe("select count(*)::int as n from pg_stat_activity where application_name = 'datalinx-mapping-preview'")).toEqual([{ n: 0 }]);
  });

  it('writes one audit entry per preview, naming the source and the outcome', async () => {
    const id = await createMapping(server, org.users.editor.token, workspaceId, { sourceTable: 'crm.customers', targetTable: 'dim_customer', fieldMappings: FIELDS });
    const mark = await auditMark(server);
    await preview(id, 5);
    const rows = await auditRowsSince(server, mark);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ action: 'mapping.preview', entity_type: 'Mapping', entity_id: localId(id), actor_id: org.users.editor.id });
    expect(rows[0]!.changes).toMatchObject({ data_source_id: { after: localId(dataSourceId) }, rows: { after: 5 }, truncated: { after: true }, problems: { after: [] } });
  });
});

describe('previewMapping refusals', () => {
  it('a viewer is refused (a preview reads customer data)', async () => {
    const id = await createMapping(server, org.users.editor.token, workspaceId, { sourceTable: 'crm.customers', fieldMappings: FIELDS });
    expect((await preview(id, 5, org.users.viewer.token)).__typename).toBe('ForbiddenError');
  });

  it("another organization's mapping is a NotFoundError", async () => {
    const other = await seedOrganization(server);
    const id = await createMapping(server, org.users.editor.token, workspaceId, { sourceTable: 'crm.customers', fieldMappings: FIELDS });
    expect((await preview(id, 5, other.users.editor.token)).__typename).toBe('NotFoundError');
  });

  it('a workspace whose only source is not PostgreSQL answers UnsupportedSourceError; one without sources a ValidationError', async () => {
    const ws = await createWorkspace(server, org.users.editor.token, 'Snowflake only');
    const input = { workspaceId: ws, targetTable: 't', sourceTable: 'customers', fieldMappings: [{ targetField: 'id', source: 'cust_id' }] };
    const none = await mutate<Preview>(server, PREVIEW_INPUT, { input }, org.users.editor.token);
    expect(none).toMatchObject({ __typename: 'ValidationError', message: 'the workspace has no active data source to preview against' });
    await createDataSource(server, org.users.editor.token, ws, { snowflake: { account: 'acme-xy12345', warehouse: 'WH', database: 'RAW', schema: 'PUBLIC', user: 'LOADER', password: 'snow-pw-42x' } });
    expect(await mutate<Preview>(server, PREVIEW_INPUT, { input }, org.users.editor.token)).toMatchObject({ __typename: 'UnsupportedSourceError', sourceType: 'SNOWFLAKE' });
  });

  it('a source that refuses the password is a SourceConnectionError at authenticate', async () => {
    const ws = await createWorkspace(server, org.users.editor.token, 'Bad password');
    await createDataSource(server, org.users.editor.token, ws, sourceConfigOf(source, { password: 'Wrong-Pass-9' }));
    const p = await mutate<Preview>(server, PREVIEW_INPUT, { input: { workspaceId: ws, targetTable: 't', sourceTable: 'crm.customers', fieldMappings: [{ targetField: 'id', source: 'cust_id' }] } }, org.users.editor.token);
    expect(p).toMatchObject({ __typename: 'SourceConnectionError', step: 'authenticate' });
  });
});

/** Runs SQL on the source as its owner and returns the rows. */
async function createSourceProbe() {
  const { default: pg } = await import('pg');
  return async (sql: string) => {
    const c = new pg.Client({ host: source.host, port: source.port, user: source.user, password: source.password, database: source.database });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  };
}
