import { rememberedSelectionCount } from '../../src/graphql/request-rules.js';
import { internalsIn, rowCounts, useWorld } from '../support/index.js';

/**
 * Requests that are malformed, oversized or too expensive are refused up
 * front with a client error: never a 500, never a trace, nothing written.
 */

const { server, world } = useWorld();


interface Raw {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
  text: string;
}

async function post(body: string, contentType = 'application/json'): Promise<Raw> {
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': contentType, authorization: `Bearer ${world.callers.owner.token}` },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text) as Raw['body'], text };
}

const gql = (query: string, variables?: Record<string, unknown>) => post(JSON.stringify({ query, variables }));

/** Refused as the client's mistake: the status and code given, no data, nothing internal. */
function expectRefused(res: Raw, status: number, code: string, message?: RegExp) {
  expect({ status: res.status, codes: res.body.errors?.map((e) => e.extensions?.code) }).toEqual({ status, codes: [code] });
  expect(res.body.data ?? null).toBeNull();
  if (message) expect(res.body.errors![0]!.message).toMatch(message);
  expect(internalsIn(res.text)).toEqual([]);
}

/** Depth counts every field level, the leaf included. */
const DEPTH_10 = '{ workspaces { edges { node { mappings { edges { node { workspace { mappings { pageInfo { hasNextPage } } } } } } } } } }';
const DEPTH_11 = '{ workspaces { edges { node { mappings { edges { node { workspace { mappings { edges { node { id } } } } } } } } } } }';

/** How many SQL statements a request makes for its data (authentication, which the session cache may skip, not counted). */
async function statementsOf(query: string): Promise<number> {
  server.db.counter.reset();
  await gql(query);
  return server.db.counter.data.length;
}

describe('malformed requests', () => {
  it('a body that is not JSON is a 400 that says so', async () => {
    expectRefused(await post('{"query": "{ workspaces { totalCount } }"'), 400, 'BAD_REQUEST', /not valid JSON/);
  });

  it('a body that is not JSON at all (a form post) is a 415', async () => {
    expectRefused(await post('query=%7B__typename%7D', 'application/x-www-form-urlencoded'), 415, 'BAD_REQUEST');
  });

  it('a batch of operations is refused', async () => {
    const res = await post(JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]));
    expect(res.status).toBe(400);
    expect(internalsIn(res.text)).toEqual([]);
  });

  it.each([
    ['an object for an ID', 'query($id: ID!) { workspace(id: $id) { id } }', { id: { $ne: null } }],
    ['a string for an input object', 'mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { __typename } }', { i: 'name' }],
    ['a number for a String', 'mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { __typename } }', { i: { name: 42 } }],
    ['an unknown enum value', 'mutation($w: ID!, $t: JobType!) { createPipelineJob(input: { workspaceId: $w, jobType: $t }) { __typename } }', { w: 'x', t: 'DROP' }],
    ['an unknown input field', 'mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { __typename } }', { i: { name: 'a', owner: 'me' } }],
    ['a string for an Int', 'query($n: Int) { workspaces(first: $n) { totalCount } }', { n: '1; drop table workspaces' }],
  ])('a variable of the wrong type (%s) is a 400 BAD_USER_INPUT', async (_case, query, variables) => {
    const before = await rowCounts(server, [world.org.schema_name]);
    expectRefused(await gql(query, variables), 400, 'BAD_USER_INPUT');
    expect(await rowCounts(server, [world.org.schema_name])).toEqual(before);
  });

  it.each([
    ['query($id: ID!) { workspace(id: $id) { id } }'],
    ['mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { __typename } }'],
  ])('a missing required variable is a 400 BAD_USER_INPUT: %s', async (query) => {
    expectRefused(await gql(query), 400, 'BAD_USER_INPUT', /was not provided/);
  });

  it('a mutation over GET is refused and writes nothing', async () => {
    const before = await rowCounts(server, [world.org.schema_name]);
    const query = encodeURIComponent('mutation { createWorkspace(input: { name: "by GET" }) { __typename } }');
    const res = await fetch(`${server.url}/graphql?query=${query}`, { headers: { authorization: `Bearer ${world.callers.owner.token}`, 'apollo-require-preflight': '1' } });
    expect(res.status).toBe(405);
    expect(await rowCounts(server, [world.org.schema_name])).toEqual(before);
  });
});

describe('size limits', () => {
  it('a body over 100 kB is a 413, and nothing is written', async () => {
    const before = await rowCounts(server, [world.org.schema_name]);
    const res = await gql('mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { __typename } }', { i: { name: 'big', description: 'x'.repeat(200_000) } });
    expectRefused(res, 413, 'BAD_REQUEST', /larger than 102400 bytes/);
    expect(await rowCounts(server, [world.org.schema_name])).toEqual(before);
  });

  it('a 50 kB workspace name fits the body but is a ValidationError naming the field', async () => {
    const res = await gql('mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { __typename ... on ValidationError { path } } }', { i: { name: 'n'.repeat(50_000) } });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ createWorkspace: { __typename: 'ValidationError', path: ['input', 'name'] } });
  });

  it('a 50 kB display name is stored or refused, never a server error', async () => {
    const res = await gql('mutation($n: String) { updateMe(displayName: $n) { __typename } }', { n: 'd'.repeat(50_000) });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(['UpdateMePayload', 'ValidationError']).toContain((res.body.data as { updateMe: { __typename: string } }).updateMe.__typename);
  });

  it('a document of more than 5000 tokens is not even parsed', async () => {
    expectRefused(await gql(`{ ${'__typename '.repeat(5001)}}`), 400, 'GRAPHQL_PARSE_FAILED', /more tha[nt] 5000 tokens/);
  });
});

describe('cost limits', () => {
  it('a query nested deeper than 10 levels is refused before anything resolves', async () => {
    expectRefused(await gql(DEPTH_11), 200, 'QUERY_LIMIT', /depth 11 exceeds the limit of 10/);
    // No more SQL than authenticating the caller takes (while a query that resolves takes more).
    expect(await statementsOf(DEPTH_11)).toBe(await statementsOf('{ __typename }'));
    expect(await statementsOf(DEPTH_10)).toBeGreaterThan(await statementsOf('{ __typename }'));
  });

  it('a query of 10 levels is answered', async () => {
    const res = await gql(DEPTH_10);
    expect(res.body.errors).toBeUndefined();
  });

  it('more than 15 aliases are refused as invalid (400), not as a server error', async () => {
    const query = `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: workspaces { totalCount }`).join(' ')} }`;
    expectRefused(await gql(query), 400, 'GRAPHQL_VALIDATION_FAILED', /Aliases limit of 15 exceeded, found 16/);
  });

  it('15 aliases are answered', async () => {
    const res = await gql(`{ ${Array.from({ length: 15 }, (_, i) => `a${i}: workspaces { totalCount }`).join(' ')} }`);
    expect(res.body.errors).toBeUndefined();
  });

  it('a costly query (nested first: 100 connections) is refused by its complexity', async () => {
    const query = '{ workspaces(first: 100) { edges { node { mappings(first: 100) { edges { node { id targetTable fieldMappings { targetField source } } } } } } } }';
    expectRefused(await gql(query), 200, 'QUERY_LIMIT', /complexity \d+ exceeds the limit of 50000/);
    expect(await statementsOf(query)).toBe(await statementsOf('{ __typename }'));
  });

  it('the operation that runs is the one measured: a small first operation does not let a costly second one through', async () => {
    const costly = '{ workspaces(first: 100) { edges { node { mappings(first: 100) { edges { node { id targetTable fieldMappings { targetField source } } } } } } } }';
    const document = `query Small { __typename } query Costly ${costly}`;
    expectRefused(await post(JSON.stringify({ query: document, operationName: 'Costly' })), 200, 'QUERY_LIMIT', /complexity \d+ exceeds the limit of 50000/);
    const small = await post(JSON.stringify({ query: document, operationName: 'Small' }));
    expect(small.body).toEqual({ data: { __typename: 'Query' } });
  });

  it('aliases cannot multiply a costly field past the limit either', async () => {
    const query = `{ ${Array.from({ length: 15 }, (_, i) => `a${i}: workspaces(first: 100) { edges { node { mappings(first: 20) { edges { node { id } } } } } }`).join(' ')} }`;
    expectRefused(await gql(query), 200, 'QUERY_LIMIT', /complexity/);
  });
});

describe('selections per document', () => {
  it('a signed-in caller is refused a document of 1,249 copies of `me { id }` before validation, with the count', async () => {
    const res = await gql(`{ ${Array.from({ length: 1249 }, () => 'me { id }').join(' ')} }`);
    expectRefused(res, 400, 'QUERY_LIMIT', /2498 selections; at most 500/);
  });

  it('fragment spreads and inline fragments count as selections', async () => {
    const spreads = Array.from({ length: 300 }, () => '...F ... on Query { __typename }').join(' ');
    expectRefused(await gql(`{ ${spreads} } fragment F on Query { __typename }`), 400, 'QUERY_LIMIT', /selections/);
  });

  it('a refused document is refused again when sent again (its count is remembered per text)', async () => {
    const query = `{ ${Array.from({ length: 600 }, () => '__typename').join(' ')} }`;
    for (let i = 0; i < 2; i++) expectRefused(await gql(query), 400, 'QUERY_LIMIT', /600 selections; at most 500/);
  });

  it('remembered counts are the counts, a document that does not parse included', () => {
    const count = rememberedSelectionCount(1000, 64);
    const documents = ['{ me { id } }', '{ me { id }', '{ ...F } fragment F on Query { me { id } }', `{ ${'a '.repeat(40)}}`];
    for (let round = 0; round < 2; round++) {
      expect(documents.map(count)).toEqual([2, null, 3, 40]);
    }
  });

  it('a document at the limit runs', async () => {
    const res = await gql(`{ ${Array.from({ length: 250 }, () => 'me { id }').join(' ')} }`);
    expect({ status: res.status, errors: res.body.errors }).toEqual({ status: 200, errors: undefined });
  });
});
