import fc from 'fast-check';
import { CLIENT_ERROR_CODES, ERROR_CODES, SERVER_ERROR_CODES } from '../../src/graphql/error-policy.js';
import { createDataSource, createMapping, createWorkspace, seedWorld, startTestServer, type TestServer, type World } from '../support/index.js';

/**
 * A generated corpus of hostile and malformed requests (fast-check, fixed
 * seed, so a failure reproduces), sent over real HTTP: none may end in a 5xx
 * or an unexpected error, every error code is one the README documents, and
 * the error log stays empty, because all of them are the client's mistakes.
 */

const SEED = 1414;
const REQUESTS = 2000;
const CONCURRENCY = 8;

let server: TestServer;
let world: World;
const logLines: string[] = [];
let ids: { workspace: string; dataSource: string; mapping: string };

beforeAll(async () => {
  server = await startTestServer({}, { logLines });
  world = await seedWorld(server);
  const workspace = await createWorkspace(server, world.callers.editor.token);
  ids = {
    workspace,
    dataSource: await createDataSource(server, world.callers.editor.token, workspace),
    mapping: await createMapping(server, world.callers.editor.token, workspace),
  };
});
afterAll(() => server?.close());

/** Text of every kind: any code point, lone surrogates, NUL, quotes, long runs. */
const text = fc
  .array(
    fc.oneof(
      fc.string({ unit: 'binary', maxLength: 8 }),
      fc.string({ maxLength: 8 }),
      fc.constantFrom('\ud800', '\udfff', '\u0000', 'a\udc00'),
      fc.constantFrom("'", '"', '\\', '%', '$1', '{', 'Ω', '😀', 'x'.repeat(300), "'; drop table users; --", '0'),
    ),
    { minLength: 1, maxLength: 3 },
  )
  .map((parts) => parts.join(''));

/** Any JSON value, sometimes deep or wide, with hostile text in keys and values. */
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text, tie('value'), { maxKeys: 4 }),
  ),
})).value;

const deep = fc.tuple(fc.integer({ min: 30, max: 3000 }), fc.boolean()).map(([levels, asArrays]) => {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = asArrays ? [v] : { a: v };
  return v;
});
const deepObject = deep.map((v) => ({ nested: v }));
/** Mostly a plausible value, sometimes a hostile one. */
const nameOr = (plain: string) => fc.oneof(fc.constant(plain), text);

/** Ids: real ones, of other types, not base64, not UUIDs. */
const id = fc.oneof(
  fc.constantFrom('workspace', 'dataSource', 'mapping').map((k) => ids[k as keyof typeof ids]),
  fc.constantFrom('QXVkaXRFbnRyeTowMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDA', 'V29ya3NwYWNlOm5vdC1hLXV1aWQ', '', '====', 'Rm9vOjE'),
  text,
);

const anything = fc.oneof(text, json, deep, id, fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.constant(undefined));

/** Operations the app sends, with variables drawn from the hostile values above. */
const OPERATIONS: { query: string; variables: fc.Arbitrary<Record<string, unknown>> }[] = [
  { query: 'mutation($i: CreateWorkspaceInput!) { createWorkspace(input: $i) { __typename ... on Error { code } } }', variables: fc.record({ i: fc.record({ name: nameOr('ws'), description: fc.option(text), settings: fc.record({ timezone: fc.option(text), extra: fc.oneof(fc.dictionary(text, json), deepObject) }, { requiredKeys: ['extra'] }) }, { requiredKeys: ['name'] }) }) },
  { query: 'mutation($i: UpdateWorkspaceInput!) { updateWorkspace(input: $i) { __typename ... on Error { code } } }', variables: fc.record({ i: fc.record({ id, name: fc.option(text), githubRepoUrl: fc.option(text), targetSchemaId: fc.option(id) }, { requiredKeys: ['id'] }) }) },
  { query: 'query($f: FieldMappingContainsInput, $t: String) { mappings(fieldMappingsContain: $f, hasTargetField: $t) { totalCount } }', variables: fc.record({ f: fc.record({ targetField: text, source: fc.option(text) }), t: text }) },
  { query: 'query($a: DateTime, $n: Int, $c: String) { pipelineJobs(createdAfter: $a, first: $n, after: $c) { totalCount } }', variables: fc.record({ a: fc.oneof(text, fc.constantFrom('-271821-04-20T00:00:00Z', '275760-09-13T00:00:00Z', '2026-13-45T00:00:00Z', '0000-01-01T00:00:00Z')), n: fc.integer({ min: -5, max: 500 }), c: text }) },
  { query: 'mutation($i: CreateDataSourceInput!) { createDataSource(input: $i) { __typename ... on Error { code } } }', variables: fc.record({ i: fc.record({ workspaceId: id, name: text, connectionConfig: fc.oneof(fc.record({ snowflake: fc.record({ account: text, database: nameOr('db'), warehouse: nameOr('wh'), user: nameOr('u'), password: nameOr('p') }) }), json) }) }) },
  { query: 'mutation($i: UpdateDataSourceInput!) { updateDataSource(input: $i) { __typename ... on Error { code } } }', variables: fc.record({ i: fc.record({ id, name: fc.option(text) }, { requiredKeys: ['id'] }) }) },
  { query: 'mutation($i: CreateMappingInput!) { createMapping(input: $i) { __typename ... on Error { code } } }', variables: fc.record({ i: fc.record({ workspaceId: id, sourceTable: nameOr('s'), targetTable: nameOr('t'), fieldMappings: fc.array(fc.record({ targetField: nameOr('a'), source: text }), { minLength: 1, maxLength: 3 }), decorators: fc.array(fc.record({ generic: fc.record({ type: nameOr('x'), config: fc.oneof(json, deep) }) }), { maxLength: 2 }) }) }) },
  { query: 'mutation($i: UpdateMappingInput!) { updateMapping(input: $i) { __typename ... on Error { code } } }', variables: fc.record({ i: fc.record({ id, expectedVersion: fc.integer({ min: -3, max: 5 }), targetTable: fc.option(text) }) }) },
  { query: 'mutation($i: UpdateOrganizationInput!) { updateOrganization(input: $i) { __typename ... on Error { code } } }', variables: fc.record({ i: fc.record({ name: fc.option(text), settings: fc.option(json) }) }) },
  { query: 'mutation($d: String) { updateMe(displayName: $d) { __typename ... on Error { code } } }', variables: fc.record({ d: fc.option(text) }) },
  { query: 'query($id: ID!) { node(id: $id) { id } }', variables: fc.record({ id }) },
  { query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', variables: fc.record({ ids: fc.array(id, { maxLength: 5 }) }) },
  { query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { __typename ... on Error { code } } }', variables: fc.record({ e: text, p: fc.constantFrom('short') }) },
  { query: 'query($a: String, $x: String) { auditLog(action: $a, entityType: $x) { totalCount } }', variables: fc.record({ a: text, x: text }) },
];

/** A document broken at random: a character dropped, doubled or replaced. */
const brokenDocument = fc.tuple(fc.constantFrom(...OPERATIONS.map((o) => o.query)), fc.nat(), fc.constantFrom('', '{', '}', '$', '"', '\u0000', '\\u', '...', 'subscription ', '#')).map(([q, at, s]) => {
  const i = at % q.length;
  return q.slice(0, i) + s + q.slice(i + 1);
});

type Caller = 'anonymous' | 'editor' | 'viewer' | 'garbage';
const callers = fc.constantFrom<Caller>('anonymous', 'editor', 'editor', 'editor', 'viewer', 'garbage');

interface FuzzRequest {
  caller: Caller;
  /** A JSON body, or raw text sent as is. */
  body: unknown;
}

const request: fc.Arbitrary<FuzzRequest> = fc.record({
  caller: callers,
  body: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...OPERATIONS).chain((op) => op.variables.map((variables) => ({ query: op.query, variables }))) },
    { weight: 2, arbitrary: fc.record({ query: brokenDocument, variables: fc.dictionary(text, anything, { maxKeys: 3 }) }) },
    { weight: 1, arbitrary: fc.record({ query: fc.oneof(text, fc.constant(undefined), json), variables: fc.oneof(json, fc.constant(undefined)), operationName: fc.option(text), extensions: fc.option(json) }) },
    { weight: 1, arbitrary: fc.oneof(text, fc.constantFrom('', '{', '[]', 'null', '{"query": 1}', '{"query":"{ me { id } }","variables":"x"}')).map((raw) => ({ raw })) },
  ),
});

async function send(r: FuzzRequest) {
  const token = { anonymous: undefined, editor: world.callers.editor.token, viewer: world.callers.viewer.token, garbage: 'eyJhbGciOiJub25lIn0.e30.' }[r.caller];
  const raw = (r.body as { raw?: string }).raw;
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: typeof raw === 'string' ? raw : JSON.stringify(r.body),
  });
  const text = await res.text();
  let body: { errors?: { extensions?: { code?: string; requestId?: string } }[] } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, requestId: res.headers.get('x-request-id'), body, text };
}

describe('fuzzed requests', () => {
  it(`${REQUESTS} hostile requests: no 5xx, only documented codes, a request id on every server-side failure, no error log`, async () => {
    const corpus = fc.sample(request, { seed: SEED, numRuns: REQUESTS });
    const problems: unknown[] = [];
    const seen = new Map<string, number>();
    let next = 0;
    const worker = async () => {
      while (next < corpus.length) {
        const r = corpus[next++]!;
        const answer = await send(r);
        const codes = (answer.body?.errors ?? []).map((e) => e.extensions?.code ?? 'none');
        for (const code of codes) seen.set(code, (seen.get(code) ?? 0) + 1);
        const wrong =
          answer.status >= 500 ||
          answer.body === undefined ||
          codes.some((c) => !ERROR_CODES.includes(c)) ||
          codes.some((c) => (SERVER_ERROR_CODES as readonly string[]).includes(c)) ||
          !answer.requestId;
        const serverSide = (answer.body?.errors ?? []).filter((e) => (SERVER_ERROR_CODES as readonly string[]).includes(e.extensions?.code ?? ''));
        if (serverSide.some((e) => e.extensions?.requestId !== answer.requestId)) problems.push({ missingRequestId: r, answer: answer.text.slice(0, 300) });
        if (wrong && problems.length < 10) problems.push({ request: JSON.stringify(r).slice(0, 400), status: answer.status, answer: answer.text.slice(0, 300) });
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(problems).toEqual([]);
    const errorLines = logLines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);
    expect(errorLines.map((l) => l.slice(0, 300))).toEqual([]);
    // The corpus reaches the checks it is meant to: at least half of the client codes turn up.
    expect([...seen.keys()].filter((c) => (CLIENT_ERROR_CODES as readonly string[]).includes(c)).length).toBeGreaterThanOrEqual(6);
  }, 300_000);
});
