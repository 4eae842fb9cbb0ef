import { LEAK_PATTERN, useTestApi } from '../support/index.js';

const { server, org } = useTestApi();


async function request(path: string, init: RequestInit = {}) {
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), text, json: () => JSON.parse(text) as unknown };
}

const TYPENAME = `/graphql?query=${encodeURIComponent('{__typename}')}`;
const post = (body: string, headers: Record<string, string> = {}) =>
  request('/graphql', { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

describe('GET /graphql', () => {
  it('answers a query in the URL as JSON when the client sends a preflight header', async () => {
    const res = await request(TYPENAME, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true' } });
    expect({ status: res.status, contentType: res.contentType, body: res.json() }).toEqual({
      status: 200,
      contentType: 'application/json; charset=utf-8',
      body: { data: { __typename: 'Query' } },
    });
  });

  it('answers with application/graphql-response+json when that is what the client accepts', async () => {
    const res = await request(TYPENAME, { headers: { accept: 'application/graphql-response+json', 'apollo-require-preflight': 'true' } });
    expect({ status: res.status, contentType: res.contentType, body: res.json() }).toEqual({
      status: 200,
      contentType: 'application/graphql-response+json; charset=utf-8',
      body: { data: { __typename: 'Query' } },
    });
  });

  it('blocks a simple cross-site GET (no content type, no preflight header) as a possible CSRF', async () => {
    const res = await request(TYPENAME, { headers: { accept: 'application/json' } });
    expect({ status: res.status, body: res.json() }).toEqual({
      status: 400,
      body: { errors: [{ message: expect.stringContaining('Cross-Site Request Forgery'), extensions: { code: 'BAD_REQUEST' } }] },
    });
  });

  it('runs no mutation over GET', async () => {
    const query = encodeURIComponent('mutation { createPipelineJob(input: { workspaceId: "x", jobType: FULL_REFRESH }) { __typename } }');
    const res = await request(`/graphql?query=${query}`, { headers: { accept: 'application/json', 'apollo-require-preflight': 'true', authorization: `Bearer ${org.users.owner.token}` } });
    expect({ status: res.status, body: res.json() }).toEqual({
      status: 405,
      body: { errors: [{ message: 'GET requests only support query operations, not mutation operations', extensions: { code: 'BAD_REQUEST' } }] },
    });
  });
});

describe('POST /graphql', () => {
  it('answers JSON, or application/graphql-response+json when the client accepts it', async () => {
    const plain = await post('{"query":"{ __typename }"}');
    const graphqlResponse = await post('{"query":"{ __typename }"}', { accept: 'application/graphql-response+json' });
    expect([plain.status, plain.contentType, plain.json()]).toEqual([200, 'application/json; charset=utf-8', { data: { __typename: 'Query' } }]);
    expect([graphqlResponse.status, graphqlResponse.contentType]).toEqual([200, 'application/graphql-response+json; charset=utf-8']);
  });

  it('refuses a text/plain body (CSRF prevention)', async () => {
    const res = await post('{"query":"{ __typename }"}', { 'content-type': 'text/plain' });
    expect({ status: res.status, body: res.json() }).toEqual({
      status: 400,
      body: { errors: [{ message: expect.stringContaining('Cross-Site Request Forgery'), extensions: { code: 'BAD_REQUEST' } }] },
    });
  });

  it('refuses a form-encoded body', async () => {
    const res = await post('query=%7B__typename%7D', { 'content-type': 'application/x-www-form-urlencoded' });
    expect({ status: res.status, body: res.json() }).toEqual({
      status: 415,
      body: { errors: [{ message: 'Unsupported content type: send application/json', extensions: { code: 'BAD_REQUEST', requestId: expect.any(String) } }] },
    });
  });

  it('refuses a batched array of operations', async () => {
    const res = await post('[{"query":"{ __typename }"},{"query":"{ __typename }"}]');
    expect({ status: res.status, body: res.json() }).toEqual({ status: 400, body: { errors: [{ message: 'Operation batching disabled.', extensions: { code: 'BAD_REQUEST' } }] } });
  });

  it('refuses a body over 100 kB with 413 and a JSON error', async () => {
    const res = await post(JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(101 * 1024) } }));
    expect({ status: res.status, contentType: res.contentType, body: res.json() }).toEqual({
      status: 413,
      contentType: 'application/json; charset=utf-8',
      body: { errors: [{ message: 'Request body is larger than 102400 bytes', extensions: { code: 'BAD_REQUEST', requestId: expect.any(String) } }] },
    });
  });

  it('accepts a body just under the limit', async () => {
    const res = await post(JSON.stringify({ query: '{ __typename }', variables: { padding: 'x'.repeat(90 * 1024) } }));
    expect([res.status, res.json()]).toEqual([200, { data: { __typename: 'Query' } }]);
  });

  it('answers invalid JSON with 400 and a message that gives nothing internal away', async () => {
    const res = await post('{"query": "{ __typename }",');
    expect({ status: res.status, body: res.json() }).toEqual({
      status: 400,
      body: { errors: [{ message: 'Request body is not valid JSON', extensions: { code: 'BAD_REQUEST', requestId: expect.any(String) } }] },
    });
    expect(res.text).not.toMatch(LEAK_PATTERN);
    expect(res.text).not.toMatch(/Unexpected|position|JSON\.parse|FST_/);
  });

  it('answers a body without a query with 400', async () => {
    const res = await post('{"variables":{}}');
    expect({ status: res.status, body: res.json() }).toEqual({
      status: 400,
      body: { errors: [{ message: expect.stringContaining('query'), extensions: { code: 'BAD_REQUEST' } }] },
    });
  });

  it('tags every response with a request id', async () => {
    const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('health endpoints', () => {
  it.each([
    ['/healthz', { status: 'ok' }],
    ['/readyz', { status: 'ready', database: 'reachable' }],
  ])('%s answers 200', async (path, body) => {
    const res = await request(path);
    expect({ status: res.status, body: res.json() }).toEqual({ status: 200, body });
  });
});
