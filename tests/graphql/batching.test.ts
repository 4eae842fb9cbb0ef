import { globalId, gqlData, insertJobs, insertMappings, insertWorkspaces, tenantDbOf, useTestApi } from '../support/index.js';

// The full tree (50 × (20 + 10) rows) costs about 8,800 complexity points, above the default 5,000.
const { server, org } = useTestApi({ env: { GRAPHQL_MAX_COMPLEXITY: '20000' } });
let workspaceIds: string[];

const WORKSPACES = 50;
const MAPPINGS = 20;
const JOBS = 10;
/** One per list or relation (authentication, which the session cache may skip, not counted): far below one per row. */
const MAX_STATEMENTS = 10;

beforeAll(async () => {
  const db = tenantDbOf(server, org);
  workspaceIds = await insertWorkspaces(db, WORKSPACES);
  await insertMappings(db, workspaceIds, MAPPINGS);
  await insertJobs(db, workspaceIds, JOBS, org.users.editor.id);
});

const TREE = (n: number) => `{ workspaces(first: ${n}) { edges { node {
  name
  mappings(first: ${MAPPINGS}) { totalCount edges { node { targetTable workspace { name } } } }
  pipelineJobs(first: ${JOBS}) { edges { node { status createdBy { email } } } } } } } }`;

/** Runs a query and counts the SQL statements it sent for its data. */
async function counted(query: string, variables: Record<string, unknown> = {}) {
  server.db.counter.reset();
  const data = await gqlData(server, query, variables, org.users.viewer.token);
  return { data, statements: server.db.counter.data.length };
}

function expectedTree(n: number) {
  const names = Array.from({ length: n }, (_, i) => `ws-${String(i + 1).padStart(3, '0')}`);
  return {
    workspaces: {
      edges: names.map((name) => ({
        node: {
          name,
          mappings: {
            totalCount: MAPPINGS,
            edges: Array.from({ length: MAPPINGS }, (_, i) => ({ node: { targetTable: `target_${i + 1}`, workspace: { name } } })),
          },
          pipelineJobs: { edges: Array.from({ length: JOBS }, () => ({ node: { status: 'COMPLETED', createdBy: { email: org.users.editor.email } } })) },
        },
      })),
    },
  };
}

describe('nested lists and relations are batched', () => {
  it(`loads ${WORKSPACES} workspaces × ${MAPPINGS} mappings × ${JOBS} jobs with their relations in at most ${MAX_STATEMENTS} statements`, async () => {
    const run = await counted(TREE(WORKSPACES));
    expect(run.data).toEqual(expectedTree(WORKSPACES));
    expect(run.statements).toBeLessThanOrEqual(MAX_STATEMENTS);
  });

  it('sends the same number of statements for 5 workspaces as for 50', async () => {
    const few = await counted(TREE(5));
    const many = await counted(TREE(WORKSPACES));
    expect(few.data).toEqual(expectedTree(5));
    expect(many.statements).toBe(few.statements);
  });

  it('resolves the workspace of many nodes with one statement, however many nodes are asked for', async () => {
    const db = tenantDbOf(server, org);
    const mappingIds = async (limit: number) =>
      (await db.selectFrom('mappings').select('id').orderBy('id').limit(limit).execute()).map((r) => globalId('Mapping', r.id));
    const query = 'query($ids: [ID!]!) { nodes(ids: $ids) { ... on Mapping { targetTable workspace { name } } } }';
    const few = await counted(query, { ids: await mappingIds(3) });
    const many = await counted(query, { ids: await mappingIds(100) });
    expect((many.data as { nodes: unknown[] }).nodes).toHaveLength(100);
    expect(many.data).toEqual({ nodes: Array.from({ length: 100 }, () => ({ targetTable: expect.stringMatching(/^target_\d+$/), workspace: { name: expect.stringMatching(/^ws-\d{3}$/) } })) });
    expect(many.statements).toBe(few.statements);
    expect(many.statements).toBeLessThanOrEqual(4);
  });

  it("a first page's totalCount is counted by the page's own statement; after a cursor it takes one more", async () => {
    const list = (after: string | null) => `{ workspaces(first: 5) { edges { node { mappings(first: 3${after ? `, after: "${after}"` : ''}) { totalCount edges { cursor } } } } } }`;
    const withoutCount = await counted(list(null).replace('totalCount ', ''));
    const withCount = await counted(list(null));
    type Lists = { workspaces: { edges: { node: { mappings: { totalCount: number; edges: { cursor: string }[] } } }[] } };
    const first = withCount.data as Lists;
    expect(first.workspaces.edges.map((e) => e.node.mappings.totalCount)).toEqual([MAPPINGS, MAPPINGS, MAPPINGS, MAPPINGS, MAPPINGS]);
    expect(withCount.statements).toBe(withoutCount.statements);

    const cursor = first.workspaces.edges[0]!.node.mappings.edges[2]!.cursor;
    const next = await counted(list(cursor));
    expect((next.data as Lists).workspaces.edges[0]!.node.mappings.totalCount).toBe(MAPPINGS);
    expect(next.statements).toBe(withoutCount.statements + 1);
  });

  it.each([
    ['workspaces', WORKSPACES],
    ['pipelineJobs', WORKSPACES * JOBS],
    ['mappings', WORKSPACES * MAPPINGS],
  ] as const)("a top-level list's totalCount is counted by its page's statement too: %s", async (list, total) => {
    const withoutCount = await counted(`{ ${list}(first: 5) { edges { node { id } } } }`);
    const withCount = await counted(`{ ${list}(first: 5) { totalCount edges { node { id } } } }`);
    expect((withCount.data as Record<string, { totalCount: number }>)[list]!.totalCount).toBe(total);
    expect(withCount.statements).toBe(withoutCount.statements);
  });
});
