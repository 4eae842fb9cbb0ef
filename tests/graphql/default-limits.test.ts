import { readdir, readFile } from 'node:fs/promises';
import { execute, parse, print, type OperationDefinitionNode } from 'graphql';
import { isCompiledQuery } from 'graphql-jit';
import { DASHBOARD_QUERY, SPA_QUERY } from '../../bench/scenarios/dashboard.js';
import { buildServer, createContext } from '../../src/server.js';
import { variablesOfCost } from '../../src/graphql/cost-gate.plugin.js';
import { compileReadingExposures, exposuresOf } from '../../src/graphql/jit-executor.js';
import { schema } from '../../src/graphql/schema.js';
import {
  globalId,
  insertJobs,
  insertMappings,
  insertWorkspaces,
  type SeededOrg,
  seedOrganization,
  startTestServer,
  tenantDbOf,
  type TestServer,
} from '../support/index.js';

/**
 * The default limits admit every operation the README and examples/operations
 * show, and the 50 × 20 × 10 dashboard, while refusing what is far beyond
 * them. The compiled executor (graphql-jit) answers exactly as graphql-js.
 */

let server: TestServer;
let org: SeededOrg;
let workspaceIds: string[];
let mappingId: string;
let dataSourceId: string;

beforeAll(async () => {
  server = await startTestServer();
  org = await seedOrganization(server);
  const db = tenantDbOf(server, org);
  workspaceIds = await insertWorkspaces(db, 50);
  await insertMappings(db, workspaceIds, 20);
  await insertJobs(db, workspaceIds, 10, org.users.editor.id);
  mappingId = (await db.selectFrom('mappings').select('id').executeTakeFirstOrThrow()).id;
  // A file source: its connection test and refresh answer without touching the network.
  const file = { format: 'csv', location: 's3://acme/exports/' };
  dataSourceId = (
    await db.insertInto('data_sources').values({ workspace_id: workspaceIds[0]!, name: 'exports', source_type: 'file', connection_config: JSON.stringify(file) }).returning('id').executeTakeFirstOrThrow()
  ).id;
});
afterAll(() => server.close());

async function exampleOperations(): Promise<{ name: string; query: string; kind: string }[]> {
  const files = (await readdir('examples/operations')).filter((f) => f.endsWith('.graphql'));
  const ops = [];
  for (const file of files) {
    const doc = parse(await readFile(`examples/operations/${file}`, 'utf8'));
    for (const def of doc.definitions as OperationDefinitionNode[]) {
      ops.push({ name: def.name!.value, query: print({ ...doc, definitions: [def] }), kind: def.operation });
    }
  }
  return ops;
}

const codesOf = (body: { errors?: { extensions?: { code?: string } }[] }) => (body.errors ?? []).map((e) => e.extensions?.code);

describe('default query limits', () => {
  it('the configured default complexity is 50,000', () => {
    expect(server.config.graphql.limits.complexity).toBe(50_000);
  });

  it('admit every example operation', async () => {
    const variables = {
      id: globalId('Workspace', workspaceIds[0]!),
      input: { id: globalId('Mapping', mappingId), expectedVersion: 1, targetTable: 'dim_saved' },
      status: 'COMPLETED',
    };
    const ops = await exampleOperations();
    expect(ops.map((o) => o.name).sort()).toEqual([
      'DataSourceRefreshSchema', 'DataSourceTest', 'DataSourceTestConfig', 'JobList',
      'MappingEditorCheck', 'MappingEditorCompile', 'MappingEditorHistory', 'MappingEditorLoad', 'MappingEditorPreview', 'MappingEditorSave',
      'RemoveWorkspaceSchedule', 'SetWorkspaceSchedule', 'WorkspaceDashboard', 'WorkspaceSchedule',
    ]);
    const source = { id: globalId('DataSource', dataSourceId) };
    const draft = { input: { workspaceId: variables.id, sourceTable: 'customers', targetTable: 'dim_customer', fieldMappings: [{ targetField: 'id', source: 'cust_id' }] } };
    const byName: Record<string, Record<string, unknown>> = {
      MappingEditorLoad: { id: globalId('Mapping', mappingId) },
      MappingEditorCheck: draft,
      MappingEditorCompile: { ...draft, dialect: 'SNOWFLAKE' },
      MappingEditorPreview: { ...draft, limit: 10 },
      MappingEditorHistory: { id: globalId('Mapping', mappingId), from: 2, to: 2 }, // version 2, which MappingEditorSave made
      DataSourceTest: source,
      DataSourceRefreshSchema: source,
      SetWorkspaceSchedule: { input: { workspaceId: variables.id, cron: '0 3 * * *', jobType: 'MAPPING_TEST' } },
      RemoveWorkspaceSchedule: { workspaceId: variables.id },
      DataSourceTestConfig: { workspaceId: variables.id, connectionConfig: { file: { format: 'csv', location: 's3://acme/exports/' } } },
    };
    for (const op of ops) {
      const vars = byName[op.name] ?? variables;
      const res = await server.gql(op.query, vars, org.users.editor.token);
      expect({ op: op.name, codes: codesOf(res.body) }).toEqual({ op: op.name, codes: [] });
    }
  });

  it('admit the 50 × 20 × 10 dashboard and the SPA dashboard over 20 workspaces', async () => {
    for (const query of [DASHBOARD_QUERY, SPA_QUERY]) {
      const res = await server.gql(query, {}, org.users.viewer.token);
      expect(codesOf(res.body)).toEqual([]);
    }
  });

  it('refuse a tree far larger than the dashboard: 100 workspaces × 100 mappings with their field mappings', async () => {
    const query = '{ workspaces(first: 100) { edges { node { mappings(first: 100) { edges { node { id fieldMappings { targetField source } } } } } } } }';
    const res = await server.gql(query, {}, org.users.viewer.token);
    expect(codesOf(res.body)).toEqual(['QUERY_LIMIT']);
    expect(res.body.errors![0]!.message).toMatch(/complexity \d+ exceeds the limit of 50000/);
  });
});

describe('costs measured once per document and the values of the variables they read', () => {
  const LIST = 'workspaces(first: $n) { edges { node { mappings(first: 50) { edges { node { id fieldMappings { targetField source } } } } } } }';
  const codes = async (query: string, variables: Record<string, unknown>) => codesOf((await server.gql(query, variables, org.users.viewer.token)).body);

  it("follows a page size's variable from request to request", async () => {
    const query = `query($n: Int = 100) { ${LIST} }`;
    expect(await codes(query, { n: 5 })).toEqual([]);
    expect(await codes(query, { n: 100 })).toEqual(['QUERY_LIMIT']);
    expect(await codes(query, { n: 5 })).toEqual([]);
    // Null: a page of the default size, 20. Absent: the variable's default, 100.
    expect(await codes(query, { n: null })).toEqual([]);
    expect(await codes(query, {})).toEqual(['QUERY_LIMIT']);
    expect(await codes(query, { n: null })).toEqual([]);
  });

  it('keys a cost on the page sizes only, not on cursors or filters beside them', () => {
    const query = 'query($n: Int, $m: Int, $after: String, $ws: ID, $status: MappingStatus) { mappings(first: $n, after: $after, workspaceId: $ws, status: $status) { edges { node { workspace { dataSources(last: $m) { totalCount } } } } } }';
    expect([...variablesOfCost(parse(query))].sort()).toEqual(['m', 'n']);
  });

  it('follows a variable read inside a fragment', async () => {
    const query = `query($n: Int) { ...Lists } fragment Lists on Query { ${LIST} }`;
    expect(await codes(query, { n: 5 })).toEqual([]);
    expect(await codes(query, { n: 100 })).toEqual(['QUERY_LIMIT']);
    expect(await codes(query, { n: 5 })).toEqual([]);
  });
});

/** Every field of `type` the compiled executor reads inline as another property (`sourceTable` ← `source_table`). */
const inlined = (type: string) =>
  exposuresOf(schema)
    .filter((e) => schema.getType(type) && Object.values((schema.getType(type) as { getFields(): Record<string, unknown> }).getFields()).includes(e.field))
    .map((e) => e.field.name);

/** Every inlined field of the four listed types, through lists and a node. */
const INLINE_QUERY = () => {
  const every = (type: string) => ['id', ...inlined(type)].join(' ');
  return `query($ds: ID!) {
    workspaces(first: 3) { edges { node { ${every('Workspace')}
      mappings(first: 3) { edges { node { ${every('Mapping')} } } }
      pipelineJobs(first: 3) { edges { node { ${every('PipelineJob')} } } } } } }
    node(id: $ds) { ... on DataSource { ${every('DataSource')} } } }`;
};

describe('the compiled executor', () => {
  it('runs the inline reads itself (no fallback to graphql-js) with the same answer, and leaves the schema as it was', async () => {
    const document = parse(INLINE_QUERY());
    const exposures = exposuresOf(schema);
    const compiled = compileReadingExposures(schema, exposures, document, undefined);
    for (const { field, type } of exposures) {
      if (type) expect(String(field.type)).toBe('ID!');
      else expect(field.resolve).toBe(field.extensions.pothosOriginalResolve);
    }
    expect(exposures.every(({ field }) => Object.values(schema.getTypeMap()).some((t) => 'getFields' in t && (t.getFields() as Record<string, unknown>)[field.name] === field))).toBe(true);
    if (!isCompiledQuery(compiled)) throw new Error('not compiled');
    const context = () => createContext(server.config, server.services, { requestId: 'jit', clientAddress: null, authorization: `Bearer ${org.users.viewer.token}`, logger: server.app.log });
    const variableValues = { ds: globalId('DataSource', dataSourceId) };
    const jit = await compiled.query(undefined, await context(), variableValues);
    expect(jit.errors).toBeUndefined();
    const js = await execute({ schema, document, contextValue: await context(), variableValues });
    expect(js.errors).toBeUndefined();
    expect(JSON.parse(JSON.stringify(jit))).toEqual(JSON.parse(JSON.stringify(js)));
    const workspaces = (jit.data as { workspaces: { edges: { node: { mappings: { edges: { node: Record<string, unknown> }[] } } }[] } }).workspaces;
    expect(workspaces.edges[0]!.node.mappings.edges[0]!.node).toMatchObject({ sourceTable: expect.any(String), targetTable: expect.any(String) });
  });

  it('reads exposed fields of the listed types inline', () => {
    expect(inlined('Mapping')).toEqual(expect.arrayContaining(['sourceTable', 'targetTable', 'createdAt', 'updatedAt']));
    expect(inlined('DataSource')).toEqual(expect.arrayContaining(['sourceType', 'isActive', 'lastSchemaRefresh']));
    expect(inlined('PipelineJob')).toEqual(expect.arrayContaining(['jobType', 'createdAt', 'startedAt', 'completedAt', 'errorMessage']));
    expect(inlined('Workspace')).toEqual(expect.arrayContaining(['createdAt', 'updatedAt']));
    for (const type of ['Workspace', 'DataSource', 'Mapping', 'PipelineJob']) expect(inlined(type)).toContain('id');
    // Types whose fields check a scope keep their resolvers, the id's too: the check must run.
    for (const type of ['Organization', 'User', 'ServiceAccount']) expect(inlined(type)).not.toContain('id');
  });

  it('answers the dashboards, and every field it reads inline, exactly as graphql-js does', async () => {
    const inline = INLINE_QUERY();
    const plain = await buildServer({ config: { ...server.config, graphql: { ...server.config.graphql, jit: false } }, services: server.services, database: server.db });
    await plain.listen({ host: '127.0.0.1', port: 0 });
    try {
      const port = (plain.server.address() as { port: number }).port;
      for (const query of [DASHBOARD_QUERY, SPA_QUERY, '{ organization { name users(first: 5) { totalCount edges { node { email role } } } } }', inline]) {
        const variables = { ds: globalId('DataSource', dataSourceId) };
        const ask = async (url: string) =>
          (await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${org.users.viewer.token}` }, body: JSON.stringify({ query, variables }) })).json();
        const [jit, js] = await Promise.all([ask(server.url), ask(`http://127.0.0.1:${port}`)]);
        expect((jit as { errors?: unknown }).errors).toBeUndefined();
        expect(jit).toEqual(js);
      }
    } finally {
      await plain.close();
    }
  });
});
