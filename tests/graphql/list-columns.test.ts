import { getNamedType, isCompositeType, type GraphQLObjectType } from 'graphql';
import { withLazyJson } from '../../src/db/lazy-json.js';
import { JOB_PLAIN_FIELDS } from '../../src/graphql/types/pipeline-job.js';
import { MAPPING_PLAIN_FIELDS } from '../../src/graphql/types/mapping.js';
import { schema } from '../../src/graphql/schema.js';
import { gqlData, insertJobs, insertMappings, insertWorkspaces, tenantDbOf, useTestApi } from '../support/index.js';

/**
 * A list whose nodes show no field reading the rows' JSON columns (a mapping's
 * field_mappings, decorators and cte_definitions; a job's run_metadata and
 * failure) does not read them: the SPA's dashboard lists 200 mappings with
 * ≈ 1 KB of JSONB each that it never shows. Anything else reads them all.
 */

const { server, org } = useTestApi();
let workspaceIds: string[];

beforeAll(async () => {
  const db = tenantDbOf(server, org);
  workspaceIds = await insertWorkspaces(db, 3);
  await insertMappings(db, workspaceIds, 4);
  await insertJobs(db, workspaceIds, 3, org.users.editor.id);
  await db.updateTable('pipeline_jobs').set({ run_metadata: JSON.stringify({ rows_processed: 7 }) } as never).execute();
});

/** The data and the statements that read the table, for a query run by the viewer. */
async function run<T>(query: string, table: 'mappings' | 'pipeline_jobs') {
  server.db.counter.reset();
  const data = await gqlData<T>(server, query, {}, org.users.viewer.token);
  const reads = server.db.counter.data.filter((s) => new RegExp(`from "org_[^"]+"\\."${table}"`).test(s));
  return { data, reads };
}

const MAPPING_JSON = /field_mappings|decorators|cte_definitions/;
const JOB_JSON = /run_metadata|failure/;

/** A selection of every named field of `type`, composite ones by their __typename. */
function selectionOf(typeName: string, fields: ReadonlySet<string>): string {
  const type = schema.getType(typeName) as GraphQLObjectType;
  return [...fields].map((name) => (isCompositeType(getNamedType(type.getFields()[name]!.type)) ? `${name} { __typename }` : name)).join(' ');
}

describe('lists read JSON columns only when they show them', () => {
  type Nested = { workspaces: { edges: { node: { mappings: { edges: { node: Record<string, unknown> }[] } } }[] } };
  const nested = (fields: string) => `{ workspaces(first: 3) { edges { node { mappings(first: 4) { totalCount edges { cursor node { ${fields} } } } } } } }`;

  it("the dashboard's mapping fields: no JSON read; the same values as a read of every column", async () => {
    const lean = await run<Nested>(nested('id sourceTable targetTable status version'), 'mappings');
    expect(lean.reads).toHaveLength(1);
    expect(lean.reads[0]).not.toMatch(MAPPING_JSON);

    const full = await run<Nested>(nested('id sourceTable targetTable status version fieldMappings { targetField source }'), 'mappings');
    expect(full.reads[0]).toMatch(MAPPING_JSON);
    const plain = (d: Nested) => d.workspaces.edges.flatMap((w) => w.node.mappings.edges.map((e) => ({ ...e.node, fieldMappings: undefined })));
    expect(plain(lean.data)).toEqual(plain(full.data));
    expect(full.data.workspaces.edges[0]!.node.mappings.edges[0]!.node.fieldMappings).toEqual(expect.arrayContaining([expect.objectContaining({ targetField: expect.any(String) })]));
  });

  it('a JSON field asked through a fragment or an inline fragment is read', async () => {
    const viaFragment = await run<Nested>(`${nested('id ...Shown')} fragment Shown on Mapping { decorators { type } }`, 'mappings');
    expect(viaFragment.reads[0]).toMatch(MAPPING_JSON);
    expect(viaFragment.data.workspaces.edges[0]!.node.mappings.edges[0]!.node).toEqual({ id: expect.any(String), decorators: expect.any(Array) });
    const inline = await run<Nested>(nested('id ... on Mapping { cteDefinitions { name } }'), 'mappings');
    expect(inline.reads[0]).toMatch(MAPPING_JSON);
  });

  it('two aliases of one list, one showing JSON and one not, are each answered from what they read', async () => {
    const query = `{ workspaces(first: 1) { edges { node {
      lean: mappings(first: 2) { edges { node { id } } }
      full: mappings(first: 2) { edges { node { id fieldMappings { targetField } } } } } } } }`;
    type Aliased = { workspaces: { edges: { node: { lean: { edges: { node: { id: string } }[] }; full: { edges: { node: { id: string; fieldMappings: unknown[] } }[] } } }[] } };
    const { data, reads } = await run<Aliased>(query, 'mappings');
    expect(reads).toHaveLength(2);
    expect(reads.filter((s) => MAPPING_JSON.test(s))).toHaveLength(1);
    const node = data.workspaces.edges[0]!.node;
    expect(node.lean.edges.map((e) => e.node.id)).toEqual(node.full.edges.map((e) => e.node.id));
    expect(node.full.edges.every((e) => e.node.fieldMappings.length > 0)).toBe(true);
  });

  it('top-level mappings and pipelineJobs lists too', async () => {
    const mappings = await run<{ mappings: { edges: unknown[] } }>('{ mappings(first: 5) { totalCount edges { node { id targetTable } } pageInfo { hasNextPage } } }', 'mappings');
    expect(mappings.reads[0]).not.toMatch(MAPPING_JSON);
    expect(mappings.data.mappings.edges).toHaveLength(5);
    const jobs = await run<{ pipelineJobs: { edges: unknown[] } }>('{ pipelineJobs(first: 5) { edges { node { id status createdAt } } } }', 'pipeline_jobs');
    expect(jobs.reads[0]).not.toMatch(JOB_JSON);
    type Shown = { pipelineJobs: { edges: { node: { runMetadata: { rowsProcessed: number | null } } }[] } };
    const shown = await run<Shown>('{ pipelineJobs(first: 5) { edges { node { id runMetadata { rowsProcessed } } } } }', 'pipeline_jobs');
    expect(shown.reads[0]).toMatch(JOB_JSON);
    expect(shown.data.pipelineJobs.edges.map((e) => e.node.runMetadata.rowsProcessed)).toEqual([7, 7, 7, 7, 7]);
  });

  // The lists' plain-field sets are the one thing to keep right by hand: every field they name is
  // asked here, in lists that then read no JSON, and must resolve without error.
  it.each([
    ['Mapping', MAPPING_PLAIN_FIELDS, 'mappings', MAPPING_JSON, (sel: string) => `{ mappings(first: 5) { edges { node { ${sel} } } } }`],
    ['Mapping', MAPPING_PLAIN_FIELDS, 'mappings', MAPPING_JSON, (sel: string) => nested(sel)],
    ['PipelineJob', JOB_PLAIN_FIELDS, 'pipeline_jobs', JOB_JSON, (sel: string) => `{ pipelineJobs(first: 5) { edges { node { ${sel} } } } }`],
    ['PipelineJob', JOB_PLAIN_FIELDS, 'pipeline_jobs', JOB_JSON, (sel: string) => `{ workspaces(first: 3) { edges { node { pipelineJobs(first: 3) { edges { node { ${sel} } } } } } } }`],
  ] as const)('every field of %s named as plain resolves from a list that read no JSON', async (typeName, fields, table, json, query) => {
    const type = schema.getType(typeName) as GraphQLObjectType;
    for (const name of fields) expect(type.getFields()).toHaveProperty(name);
    const res = await server.gql(query(selectionOf(typeName, fields)), {}, org.users.viewer.token);
    expect(res.body.errors).toBeUndefined();
    server.db.counter.reset();
    await server.gql(query(selectionOf(typeName, fields)), {}, org.users.viewer.token);
    const reads = server.db.counter.data.filter((s) => new RegExp(`from "org_[^"]+"\\."${table}"`).test(s));
    expect(reads.length).toBeGreaterThan(0);
    for (const s of reads) expect(s).not.toMatch(json);
  });
});

describe('a row whose JSON columns a list did not read', () => {
  const row = withLazyJson<Record<string, unknown>>({ id: 'a', field_mappings: '{"x":{}}' }, ['id'], [], ['field_mappings', 'decorators']);

  it('throws when one is read, never answers undefined', () => {
    expect(() => row.field_mappings).toThrow('JSON column "field_mappings" was not read by this list');
  });

  it('is spread and serialised without them', () => {
    expect({ ...row }).toEqual({ id: 'a' });
    expect(JSON.stringify(row)).toBe('{"id":"a"}');
  });
});
