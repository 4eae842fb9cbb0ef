import { getNamedType, isCompositeType, type GraphQLObjectType } from 'graphql';
import { sql } from 'kysely';
import { SUMMARY_COLUMNS as DATA_SOURCE_LIST_COLUMNS } from '../../src/data-sources/data-source.dao.js';
import { withLazyJson } from '../../src/db/lazy-json.js';
import type { ListColumns } from '../../src/db/pagination.js';
import { DATA_SOURCE_FIELD_COLUMNS } from '../../src/graphql/types/data-source.js';
import { JOB_FIELD_COLUMNS } from '../../src/graphql/types/pipeline-job.js';
import { MAPPING_FIELD_COLUMNS } from '../../src/graphql/types/mapping.js';
import { LIST_COLUMNS as JOB_LIST_COLUMNS } from '../../src/jobs/pipeline-job.dao.js';
import { LIST_COLUMNS as MAPPING_LIST_COLUMNS } from '../../src/mappings/mapping.dao.js';
import { LIST_COLUMNS as WORKSPACE_LIST_COLUMNS } from '../../src/workspaces/workspace.dao.js';
import { WORKSPACE_FIELD_COLUMNS } from '../../src/graphql/types/workspace.js';
import { schema } from '../../src/graphql/schema.js';
import { createDataSource, gqlData, globalId, insertJobs, insertMappings, insertWorkspaces, tenantDbOf, useTestApi } from '../support/index.js';

/**
 * A list reads of its rows only the columns its nodes show (FieldColumns):
 * the SPA's dashboard lists 200 mappings with ≈ 1 KB of JSONB each, and 100
 * jobs with timestamps and arrays, it never shows. A node field not named in
 * its type's FieldColumns makes the list read every column.
 */

const { server, org } = useTestApi();
let workspaceIds: string[];

beforeAll(async () => {
  const db = tenantDbOf(server, org);
  workspaceIds = await insertWorkspaces(db, 3);
  await db.updateTable('workspaces').set({ description: 'about it', github_repo_url: 'https://example.com/repo.git', repo_subdirectory: 'dbt' }).execute();
  await insertMappings(db, workspaceIds, 4);
  await insertJobs(db, workspaceIds, 3, org.users.editor.id);
  const mapping = await db.selectFrom('mappings').select('id').executeTakeFirstOrThrow();
  await db
    .updateTable('pipeline_jobs')
    .set({
      run_metadata: JSON.stringify({ rows_processed: 7 }),
      started_at: sql`created_at`,
      completed_at: sql`created_at + interval '1 second'`,
      progress: 100,
      mapping_ids: [mapping.id],
    } as never)
    .execute();
  for (const id of workspaceIds.slice(0, 2)) {
    for (let i = 0; i < 2; i++) await createDataSource(server, org.users.editor.token, globalId('Workspace', id));
  }
});

/** The data and the statements that read `table`, for a query run by the viewer. */
async function run<T>(query: string, table: string) {
  server.db.counter.reset();
  const data = await gqlData<T>(server, query, {}, org.users.viewer.token);
  const reads = server.db.counter.data.filter((s) => new RegExp(`from "org_[^"]+"\\."${table}"`).test(s));
  return { data, reads };
}

/** A selection of `name`, a field of `typeName`: composite ones by their __typename. */
function selectionOf(typeName: string, name: string): string {
  const type = schema.getType(typeName) as GraphQLObjectType;
  return isCompositeType(getNamedType(type.getFields()[name]!.type)) ? `${name} { __typename }` : name;
}

/** Every column a list of `table` can read (its DAO's list; tests/db/list-columns.test.ts holds those to the tables). */
const everyColumn = (columns: ListColumns) => [...columns.plain, ...columns.json];
const COLUMNS: Record<string, readonly string[]> = {
  mappings: everyColumn(MAPPING_LIST_COLUMNS),
  pipeline_jobs: everyColumn(JOB_LIST_COLUMNS),
  workspaces: everyColumn(WORKSPACE_LIST_COLUMNS),
  data_sources: everyColumn(DATA_SOURCE_LIST_COLUMNS),
};
const selected = (statement: string, table: string) => COLUMNS[table]!.filter((c) => statement.includes(`"${c}"`));

type Edges = { edges: { node: Record<string, unknown> }[] };
type Nested = { workspaces: { edges: { node: Record<string, Edges> }[] } };
const nested = (relation: string, first: number) => (fields: string) =>
  `{ workspaces(first: 3) { edges { node { ${relation}(first: ${first}) { totalCount edges { cursor node { ${fields} } } } } } } }`;
const nodesOf = (relation: string) => (data: unknown) =>
  relation === 'top' ? (Object.values(data as Record<string, Edges>)[0]!.edges.map((e) => e.node)) : (data as Nested).workspaces.edges.flatMap((w) => w.node[relation]!.edges.map((e) => e.node));

describe('lists read only the columns their nodes show', () => {
  it("the SPA dashboard's lists read no column it does not show", async () => {
    const query = `{ workspaces(first: 3) { totalCount edges { node {
      id name description updatedAt settings { timezone defaultJobType }
      dataSources(first: 20) { totalCount edges { node { id name sourceType isActive lastSchemaRefresh } } }
      mappings(first: 10) { totalCount edges { node { id sourceTable targetTable status version } } }
      pipelineJobs(first: 5) { edges { node { id jobType status createdAt createdBy { displayName } } } }
    } } } }`;
    const expected: Record<string, string[]> = {
      // Top-level pages also read created_at: the order above the cut.
      workspaces: ['id', 'name', 'description', 'created_at', 'updated_at', 'settings'],
      data_sources: ['id', 'workspace_id', 'name', 'source_type', 'last_schema_refresh', 'is_active'],
      mappings: ['id', 'workspace_id', 'target_table', 'source_table', 'status', 'version'],
      pipeline_jobs: ['id', 'workspace_id', 'job_type', 'status', 'created_at', 'created_by'],
    };
    server.db.counter.reset();
    const data = await gqlData<Nested>(server, query, {}, org.users.viewer.token);
    for (const [table, columns] of Object.entries(expected)) {
      const reads = server.db.counter.data.filter((s) => new RegExp(`from "org_[^"]+"\\."${table}"`).test(s));
      expect(reads).toHaveLength(1);
      // The ordering subquery names created_at (and the parent) whatever is read: the outer select list is what the rows carry.
      const outer = reads[0]!.slice(0, reads[0]!.indexOf(' from '));
      expect([table, selected(outer, table).sort()]).toEqual([table, [...columns].sort()]);
    }
    const ws = data.workspaces.edges[0]!.node as unknown as Record<string, Edges & { totalCount: number }>;
    expect(ws.dataSources!.totalCount).toBe(2);
    expect(ws.pipelineJobs!.edges[0]!.node).toEqual({ id: expect.any(String), jobType: 'INCREMENTAL', status: 'COMPLETED', createdAt: expect.any(String), createdBy: { displayName: expect.any(String) } });
  });

  it('a JSON field asked through a fragment or an inline fragment is read', async () => {
    const viaFragment = await run<Nested>(`${nested('mappings', 4)('id ...Shown')} fragment Shown on Mapping { decorators { type } }`, 'mappings');
    expect(viaFragment.reads[0]).toMatch(/decorators/);
    expect(viaFragment.reads[0]).not.toMatch(/field_mappings/);
    expect(nodesOf('mappings')(viaFragment.data)[0]).toEqual({ id: expect.any(String), decorators: expect.any(Array) });
    const inline = await run<Nested>(nested('mappings', 4)('id ... on Mapping { cteDefinitions { name } }'), 'mappings');
    expect(inline.reads[0]).toMatch(/cte_definitions/);
  });

  it('a field not named in FieldColumns reads every column', async () => {
    const { reads } = await run<Nested>(nested('mappings', 4)('id versions { totalCount }'), 'mappings');
    expect(selected(reads[0]!, 'mappings')).toEqual(COLUMNS.mappings);
  });

  it('two aliases of one list, reading different columns, are each answered from what they read', async () => {
    const query = `{ workspaces(first: 1) { edges { node {
      lean: mappings(first: 2) { edges { node { id } } }
      full: mappings(first: 2) { edges { node { id fieldMappings { targetField } } } } } } } }`;
    type Aliased = { workspaces: { edges: { node: { lean: { edges: { node: { id: string } }[] }; full: { edges: { node: { id: string; fieldMappings: unknown[] } }[] } } }[] } };
    const { data, reads } = await run<Aliased>(query, 'mappings');
    expect(reads).toHaveLength(2);
    expect(reads.filter((s) => s.includes('field_mappings'))).toHaveLength(1);
    const node = data.workspaces.edges[0]!.node;
    expect(node.lean.edges.map((e) => e.node.id)).toEqual(node.full.edges.map((e) => e.node.id));
    expect(node.full.edges.every((e) => e.node.fieldMappings.length > 0)).toBe(true);
  });

  // The FieldColumns maps are the one thing kept right by hand: each field they name is asked alone
  // (so no other field's columns cover for it), must read what it names and no other column than
  // the page's own, and must answer what a read of every column answers.
  const lists = [
    ['Mapping', MAPPING_FIELD_COLUMNS, 'mappings', 'top', (sel: string) => `{ mappings(first: 5) { edges { cursor node { ${sel} } } } }`],
    ['Mapping', MAPPING_FIELD_COLUMNS, 'mappings', 'mappings', nested('mappings', 4)],
    ['PipelineJob', JOB_FIELD_COLUMNS, 'pipeline_jobs', 'top', (sel: string) => `{ pipelineJobs(first: 5) { edges { node { ${sel} } } } }`],
    ['PipelineJob', JOB_FIELD_COLUMNS, 'pipeline_jobs', 'pipelineJobs', nested('pipelineJobs', 3)],
    ['Workspace', WORKSPACE_FIELD_COLUMNS, 'workspaces', 'top', (sel: string) => `{ workspaces(first: 3) { edges { node { ${sel} } } } }`],
    ['Workspace', WORKSPACE_FIELD_COLUMNS, 'workspaces', 'top', (sel: string) => `{ organization { workspaces(first: 3) { edges { node { ${sel} } } } } }`],
    ['DataSource', DATA_SOURCE_FIELD_COLUMNS, 'data_sources', 'dataSources', nested('dataSources', 3)],
  ] as const;

  it.each(lists)('each field %s names in FieldColumns reads its own columns and answers as a full read (%#)', async (typeName, fieldColumns, table, relation, query) => {
    const type = schema.getType(typeName) as GraphQLObjectType;
    const names = Object.keys(fieldColumns);
    for (const name of names) expect(type.getFields()).toHaveProperty(name);
    const nodes = (data: unknown) => {
      const found = nodesOf(relation)(typeName === 'Workspace' && (data as { organization?: unknown }).organization ? (data as { organization: unknown }).organization : data);
      return new Map(found.map((n) => [n.id, n]));
    };
    const full = await run(query(names.map((n) => selectionOf(typeName, n)).join(' ')), table);
    const everything = nodes(full.data);
    expect(everything.size).toBeGreaterThan(1);
    const own = relation === 'top' ? ['id', 'created_at'] : ['id', 'workspace_id'];
    for (const name of names) {
      const lean = await run(query(`id ${selectionOf(typeName, name)}`), table);
      const outer = lean.reads[0]!.slice(0, lean.reads[0]!.indexOf(' from '));
      expect([name, selected(outer, table).sort()]).toEqual([name, [...new Set([...own, ...fieldColumns[name]!])].sort()]);
      for (const [id, node] of nodes(lean.data)) expect([name, node[name]]).toEqual([name, everything.get(id)![name]]);
    }
  });
});

describe('a row whose columns a list did not read', () => {
  const row = withLazyJson<Record<string, unknown>>({ id: 'a', field_mappings: '{"x":{}}', status: 'draft' }, ['id'], [], ['field_mappings', 'status']);

  it('throws when one is read, never answers undefined', () => {
    expect(() => row.field_mappings).toThrow('Column "field_mappings" was not read by this list');
    expect(() => row.status).toThrow('Column "status" was not read by this list');
  });

  it('is spread and serialised without them', () => {
    expect({ ...row }).toEqual({ id: 'a' });
    expect(JSON.stringify(row)).toBe('{"id":"a"}');
  });
});
