import { sql } from 'kysely';
import { auditMark, auditRowsSince, createMapping, createWorkspace, type GraphQLResponse, internalsIn, rowCounts, useWorld } from '../support/index.js';

/**
 * An error nobody planned for (here: a tenant table that is gone) reaches the
 * client as "Internal server error" with a request id, nothing more; the log
 * has the whole story under the same request id.
 */

const logLines: string[] = [];
const { server, world } = useWorld({ logLines });
let workspaceId: string;

beforeAll(async () => {
  workspaceId = await createWorkspace(server, world.callers.editor.token);
  await createMapping(server, world.callers.editor.token, workspaceId);
  // test arrangement: a broken tenant, its mappings table dropped behind the application's back
  await sql`drop table ${sql.table(`${world.org.schema_name}.mappings`)} cascade`.execute(server.db.db);
});

interface LogLine {
  level: number;
  msg: string;
  requestId?: string;
  err?: { message: string; stack: string };
}

const errorLogsOf = (requestId: string): LogLine[] =>
  logLines.map((l) => JSON.parse(l) as LogLine).filter((l) => l.level >= 50 && l.requestId === requestId);

/** The masked error: exactly a message, a code and the request id of the response. */
function expectMasked(res: GraphQLResponse, text: string) {
  const requestId = res.headers.get('x-request-id')!;
  expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(res.body.errors!.map(({ message, extensions }) => ({ message, extensions }))).toEqual([
    { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId } },
  ]);
  expect(internalsIn(text)).toEqual([]);
  expect(text).not.toContain(world.org.schema_name);
  expect(text).not.toMatch(/does not exist|stack/i);
  return requestId;
}

async function ask(query: string, variables: Record<string, unknown> = {}) {
  const res = await server.gql(query, variables, world.callers.editor.token);
  return { res, text: JSON.stringify(res.body) };
}

describe('an unexpected error', () => {
  it('is masked for the client: "Internal server error" and a request id, no SQL', async () => {
    const { res, text } = await ask('{ mappings { totalCount } }');
    expect(res.status).toBe(200);
    expect(res.body.data ?? null).toBeNull();
    expectMasked(res, text);
  });

  it('is logged with its stack under the same request id', async () => {
    const { res, text } = await ask('{ mappings { edges { node { id } } } }');
    const requestId = expectMasked(res, text);
    const [logged, ...more] = errorLogsOf(requestId);
    expect(more).toEqual([]);
    expect(logged).toMatchObject({ msg: 'unexpected error while resolving', err: { message: expect.stringMatching(/relation .*mappings.* does not exist/) } });
    expect(logged!.err!.stack).toMatch(/\n\s+at /);
  });

  it('deep in a query masks only the field it broke; the rest of the answer stands', async () => {
    const { res, text } = await ask('query($id: ID!) { workspace(id: $id) { id mappings { totalCount } } }', { id: workspaceId });
    expectMasked(res, text);
    expect(res.body.errors![0]!.path).toEqual(['workspace', 'mappings']);
    expect(res.body.data).toEqual({ workspace: null });
  });

  it('in a mutation is masked too, and leaves no audit entry and no partial write', async () => {
    const before = await rowCounts(server, []);
    const mark = await auditMark(server);
    const { res, text } = await ask(
      'mutation($i: CreateMappingInput!) { createMapping(input: $i) { __typename ... on Error { message } } }',
      { i: { workspaceId, targetTable: 't', sourceTable: 's', fieldMappings: [{ targetField: 'a', source: 'b' }] } },
    );
    const requestId = expectMasked(res, text);
    expect(errorLogsOf(requestId)).toHaveLength(1);
    expect(await auditRowsSince(server, mark)).toEqual([]);
    expect(await rowCounts(server, [])).toEqual(before);
  });

  it('does not stop the server: the next request of the same caller is answered', async () => {
    const { res } = await ask('{ workspaces { totalCount } }');
    expect(res.body).toEqual({ data: { workspaces: { totalCount: 1 } } });
  });
});
