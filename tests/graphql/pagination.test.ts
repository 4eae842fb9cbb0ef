import {
  createWorkspace,
  errorsOf,
  globalId,
  gqlData,
  insertJobs,
  insertMappings,
  insertWorkspaces,
  seedOrganization,
  tenantDbOf,
  useTestApi,
} from '../support/index.js';

const { server, org } = useTestApi();
/** ws-001 (newest) … ws-007 (oldest). */
let workspaceIds: string[];

beforeAll(async () => {
  const db = tenantDbOf(server, org);
  workspaceIds = await insertWorkspaces(db, 7);
  await insertMappings(db, [workspaceIds[0]!], 25);
  await insertJobs(db, [workspaceIds[0]!], 5, org.users.editor.id);
});

type PageInfo = { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
type Connection = { totalCount: number; pageInfo: PageInfo; edges: { cursor: string; node: { name: string } }[] };

async function workspaces(args: Record<string, unknown>): Promise<Connection> {
  const data = await gqlData<{ workspaces: Connection }>(
    server,
    `query($first: Int, $after: String, $last: Int, $before: String) {
       workspaces(first: $first, after: $after, last: $last, before: $before) {
         totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { name } } } }`,
    args,
    org.users.viewer.token,
  );
  const { edges, pageInfo } = data.workspaces;
  expect([pageInfo.startCursor, pageInfo.endCursor]).toEqual([edges[0]?.cursor ?? null, edges.at(-1)?.cursor ?? null]);
  return data.workspaces;
}

const summary = (c: Connection) => ({ names: c.edges.map((e) => e.node.name), next: c.pageInfo.hasNextPage, previous: c.pageInfo.hasPreviousPage, total: c.totalCount });
const names = (...n: number[]) => n.map((i) => `ws-00${i}`);

describe('top-level connections (workspaces)', () => {
  it('walks forward with first/after through every page, newest first', async () => {
    const pages = [];
    let after: string | null = null;
    do {
      const page = await workspaces({ first: 3, after });
      pages.push(summary(page));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after && pages.length < 10);
    expect(pages).toEqual([
      { names: names(1, 2, 3), next: true, previous: false, total: 7 },
      { names: names(4, 5, 6), next: true, previous: true, total: 7 },
      { names: names(7), next: false, previous: true, total: 7 },
    ]);
  });

  it('walks backward with last/before, each page still newest first', async () => {
    const pages = [];
    let before: string | null = null;
    do {
      const page = await workspaces({ last: 3, before });
      pages.push(summary(page));
      before = page.pageInfo.hasPreviousPage ? page.pageInfo.startCursor : null;
    } while (before && pages.length < 10);
    expect(pages).toEqual([
      { names: names(5, 6, 7), next: false, previous: true, total: 7 },
      { names: names(2, 3, 4), next: true, previous: true, total: 7 },
      { names: names(1), next: true, previous: false, total: 7 },
    ]);
  });

  it('returns everything on one page when it fits, with no page on either side', async () => {
    expect(summary(await workspaces({ first: 100 }))).toEqual({ names: names(1, 2, 3, 4, 5, 6, 7), next: false, previous: false, total: 7 });
    expect(summary(await workspaces({}))).toEqual({ names: names(1, 2, 3, 4, 5, 6, 7), next: false, previous: false, total: 7 });
  });

  it('answers first: 0 with no edges and null cursors, still counting every row', async () => {
    expect(await workspaces({ first: 0 })).toEqual({
      totalCount: 7,
      edges: [],
      pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null },
    });
  });

  it('lists rows created one after another newest first', async () => {
    const fresh = await seedOrganization(server);
    for (const name of ['first', 'second', 'third']) await createWorkspace(server, fresh.users.editor.token, name);
    const data = await gqlData(server, '{ workspaces { edges { node { name } } } }', {}, fresh.users.viewer.token);
    expect(data).toEqual({ workspaces: { edges: [{ node: { name: 'third' } }, { node: { name: 'second' } }, { node: { name: 'first' } }] } });
  });
});

describe('page arguments that are refused', () => {
  const cursorOf = (text: string) => Buffer.from(text).toString('base64url');

  it.each<[string, Record<string, unknown>, string, string]>([
    ['first above 100', { first: 101 }, '"first" must be between 0 and 100', 'first'],
    ['last above 100', { last: 101 }, '"last" must be between 0 and 100', 'last'],
    ['a negative first', { first: -1 }, '"first" must be between 0 and 100', 'first'],
    ['first and last together', { first: 2, last: 2 }, 'Pass either "first" or "last", not both', 'first'],
    ['a garbage after cursor', { first: 2, after: 'garbage!' }, '"after" is not a valid cursor', 'after'],
    ['a garbage before cursor', { last: 2, before: 'bm9wZQ' }, '"before" is not a valid cursor', 'before'],
    ['a cursor holding SQL instead of an id', { after: cursorOf("c1:' or 1=1 --") }, '"after" is not a valid cursor', 'after'],
    ['after together with last', { last: 2, after: cursorOf('c1:00000000-0000-4000-8000-000000000000') }, '"after" goes with "first", not "last"', 'after'],
  ])('%s: a VALIDATION error naming the argument', async (_case, args, message, path) => {
    const res = await server.gql(
      'query($first: Int, $after: String, $last: Int, $before: String) { workspaces(first: $first, after: $after, last: $last, before: $before) { totalCount } }',
      args,
      org.users.viewer.token,
    );
    expect({ data: res.body.data, errors: errorsOf(res) }).toEqual({ data: null, errors: [{ message, code: 'VALIDATION', path: [path] }] });
  });

  it('refuses first: 101 on nested connections too', async () => {
    const res = await server.gql('{ workspaces(first: 1) { edges { node { mappings(first: 101) { totalCount } } } } }', {}, org.users.viewer.token);
    expect(errorsOf(res)).toEqual([{ message: '"first" must be between 0 and 100', code: 'VALIDATION', path: ['first'] }]);
  });
});

describe('other connections page the same way', () => {
  it('mappings default to 20 a page and continue after the end cursor', async () => {
    const query = `query($after: String) { mappings(after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { targetTable } } } }`;
    type Page = { mappings: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: { targetTable: string } }[] } };
    const first = await gqlData<Page>(server, query, {}, org.users.viewer.token);
    const second = await gqlData<Page>(server, query, { after: first.mappings.pageInfo.endCursor }, org.users.viewer.token);
    const targets = (p: Page) => p.mappings.edges.map((e) => e.node.targetTable);
    const all = Array.from({ length: 25 }, (_, i) => `target_${i + 1}`);
    expect([targets(first), first.mappings.pageInfo.hasNextPage, first.mappings.totalCount]).toEqual([all.slice(0, 20), true, 25]);
    expect([targets(second), second.mappings.pageInfo.hasNextPage, second.mappings.totalCount]).toEqual([all.slice(20), false, 25]);
  });

  it('workspace.mappings and workspace.pipelineJobs page forward and backward within their workspace', async () => {
    const data = await gqlData(
      server,
      `query($id: ID!) { workspace(id: $id) {
         mappings(first: 2) { totalCount pageInfo { hasNextPage hasPreviousPage } edges { node { targetTable } } }
         pipelineJobs(last: 2) { totalCount pageInfo { hasNextPage hasPreviousPage } edges { node { createdAt } } } } }`,
      { id: globalId('Workspace', workspaceIds[0]!) },
      org.users.viewer.token,
    );
    expect(data).toEqual({
      workspace: {
        mappings: { totalCount: 25, pageInfo: { hasNextPage: true, hasPreviousPage: false }, edges: [{ node: { targetTable: 'target_1' } }, { node: { targetTable: 'target_2' } }] },
        pipelineJobs: { totalCount: 5, pageInfo: { hasNextPage: false, hasPreviousPage: true }, edges: [{ node: { createdAt: expect.any(String) } }, { node: { createdAt: expect.any(String) } }] },
      },
    });
    const [newer, older] = (data as { workspace: { pipelineJobs: { edges: { node: { createdAt: string } }[] } } }).workspace.pipelineJobs.edges.map((e) => Date.parse(e.node.createdAt));
    expect(newer).toBeGreaterThan(older!);
  });

  it('organization.users pages through the four users', async () => {
    const data = await gqlData(
      server,
      '{ organization { users(first: 3) { totalCount pageInfo { hasNextPage } edges { node { role } } } } }',
      {},
      org.users.viewer.token,
    );
    expect(data).toEqual({ organization: { users: { totalCount: 4, pageInfo: { hasNextPage: true }, edges: [{ node: { role: 'OWNER' } }, { node: { role: 'ADMIN' } }, { node: { role: 'EDITOR' } }] } } });
  });
});
