import { seedWorld, startTestServer, type TestServer } from '../support/index.js';

/**
 * In production the server does not describe itself: no introspection, no
 * GraphiQL, no "Did you mean" hints. In development all three are on, which
 * shows the production checks test something.
 */

const modes = { production: {} as { server: TestServer; token: string }, development: {} as { server: TestServer; token: string } };

beforeAll(async () => {
  for (const mode of ['production', 'development'] as const) {
    const server = await startTestServer({ NODE_ENV: mode });
    const world = await seedWorld(server);
    modes[mode] = { server, token: world.callers.owner.token };
  }
});
afterAll(async () => {
  await modes.production.server?.close();
  await modes.development.server?.close();
});

async function ask(mode: keyof typeof modes, query: string, variables?: Record<string, unknown>) {
  const { server, token } = modes[mode];
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, text: await res.text() };
}

const getPage = (mode: keyof typeof modes, path: string) => fetch(`${modes[mode].server.url}${path}`, { headers: { accept: 'text/html,application/xhtml+xml' } });

const INTROSPECTION = [
  '{ __schema { types { name } } }',
  '{ __type(name: "Workspace") { fields { name } } }',
  '{ workspaces { totalCount } __schema { queryType { name } } }',
];

/** Mistakes graphql-js would answer with a suggestion of the right name. */
// Every row has three cells: with fewer, Jest would take the third parameter for a `done` callback.
const TYPOS: [string, string, Record<string, unknown>][] = [
  ['a field', '{ workspacez { totalCount } }', {}],
  ['an argument', '{ workspaces(frist: 1) { totalCount } }', {}],
  ['an input field', 'mutation { createWorkspace(input: { nmae: "x" }) { __typename } }', {}],
  ['an enum value', 'mutation { createPipelineJob(input: { workspaceId: "x", jobType: INCREMENTL }) { __typename } }', {}],
  ['a type condition', '{ node(id: "x") { ... on Workspce { id } } }', {}],
  ['a field of a variable', 'mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { __typename } }', { i: { nmae: 'x' } }],
  ['an enum value in a variable', 'query($s: MappingStatus) { mappings(status: $s) { totalCount } }', { s: 'ACTIV' }],
];

describe('in production', () => {
  it.each(INTROSPECTION)('introspection is refused, even for a signed-in owner: %s', async (query) => {
    const res = await ask('production', query);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text)).toMatchObject({ errors: [{ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
    expect(res.text).toMatch(/introspection is not allowed/i);
    expect(res.text).not.toMatch(/"(Workspace|Mutation|DataSource)"/);
  });

  it('GET /graphql asking for HTML does not serve GraphiQL', async () => {
    const res = await getPage('production', '/graphql');
    const body = await res.text();
    expect(res.headers.get('content-type') ?? '').not.toMatch(/text\/html/);
    expect(body).not.toMatch(/graphiql/i);
  });

  it.each(['/graphiql', '/graphiql/assets/graphiql.js'])('%s is not served', async (path) => {
    const res = await getPage('production', path);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toMatch(/<html/i);
  });

  it.each(TYPOS)('a misspelt name (%s) gets no "Did you mean" hint', async (_what, query, variables) => {
    const res = await ask('production', query, variables);
    expect(res.status).toBe(400);
    expect(res.text).not.toMatch(/did you mean/i);
  });
});

describe('in development, for contrast', () => {
  it('introspection answers', async () => {
    const res = await ask('development', INTROSPECTION[0]!);
    expect(res.status).toBe(200);
    expect(res.text).toContain('"Workspace"');
  });

  it('GET /graphql asking for HTML serves GraphiQL', async () => {
    const res = await getPage('development', '/graphql');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('Datalinx GraphiQL');
  });

  it.each(TYPOS)('a misspelt name (%s) gets a "Did you mean" hint', async (_what, query, variables) => {
    const res = await ask('development', query, variables);
    expect(res.text).toMatch(/Did you mean/);
  });
});
