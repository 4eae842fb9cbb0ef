import pg from 'pg';
import { platform } from '../../src/db/database.js';
import { globalId, type SeededOrg, seedOrganization, startTestServer, tenantDbOf, type TestServer, useTestApi } from '../support/index.js';

/**
 * What operators rely on (README, Configuration and Operators): a request
 * that runs too long gets a 503, /readyz tells when the database is gone,
 * and client addresses come from X-Forwarded-For only when TRUST_PROXY says so.
 * No clock decides anything here: a lock held from a second connection makes
 * the request slow, and a dropped database makes the readiness check fail.
 */

const TIMEOUT_MS = 3000;
const slow = useTestApi({ env: { GRAPHQL_TIMEOUT_MS: String(TIMEOUT_MS) } });
const proxied = useTestApi({ env: { TRUST_PROXY: 'true' }, organization: false });
const direct = useTestApi({ organization: false });

/** A second connection to the server's database, outside the application. */
async function connect(server: TestServer): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: server.db.url });
  await client.connect();
  return client;
}

describe('GRAPHQL_TIMEOUT_MS', () => {
  it('answers a request stuck on a lock with a 503 TIMEOUT, and serves the next request', async () => {
    const { server, org } = slow;
    const [workspace] = await tenantDbOf(server, org).insertInto('workspaces').values({ name: 'Locked' }).returning('id').execute();
    const holder = await connect(server);
    await holder.query('begin');
    // test arrangement: another transaction holds the workspace row
    await holder.query(`select 1 from ${org.schema_name}.workspaces where id = $1 for update`, [workspace!.id]);
    // A server without the timeout would wait for the lock; it is let go long after the limit so that such a server answers 200 and fails the test.
    const letGo = setTimeout(() => void holder.query('rollback'), TIMEOUT_MS * 10);
    try {
      const res = await server.gql(
        'mutation($id: ID!) { updateWorkspace(input: { id: $id, name: "Renamed" }) { __typename } }',
        { id: globalId('Workspace', workspace!.id) },
        org.users.editor.token,
      );
      expect({ status: res.status, body: res.body }).toEqual({
        status: 503,
        body: { errors: [{ message: 'The request took too long', extensions: { code: 'TIMEOUT', requestId: res.headers.get('x-request-id') } }] },
      });
    } finally {
      clearTimeout(letGo);
      await holder.query('rollback');
      await holder.end();
    }
    expect((await server.gql('{ me { email } }', {}, org.users.editor.token)).body).toEqual({ data: { me: { email: org.users.editor.email } } });
  });
});

describe('/readyz', () => {
  it('is 503 once the database is gone, while /healthz still says the process is up', async () => {
    const server = await startTestServer();
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      const admin = new pg.Client({ connectionString: process.env.DATALINX_TEST_PG_URL });
      await admin.connect();
      // test arrangement: the server's database disappears under it
      await admin.query(`drop database ${server.db.name} with (force)`);
      await admin.end();

      const ready = await fetch(`${server.url}/readyz`);
      expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 503, body: { status: 'unavailable', database: 'unreachable' } });
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    } finally {
      await server.close().catch(() => undefined);
    }
  });
});

describe('TRUST_PROXY', () => {
  /** Creates a workspace with an X-Forwarded-For header; the client address its audit entry records. */
  async function recordedAddress(server: TestServer, org: SeededOrg): Promise<string | null> {
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.7', authorization: `Bearer ${org.users.editor.token}` },
      body: JSON.stringify({ query: 'mutation { createWorkspace(input: { name: "Addressed" }) { __typename } }' }),
    });
    expect(await res.json()).toEqual({ data: { createWorkspace: { __typename: 'CreateWorkspacePayload' } } });
    const entry = await platform(server.db.db).selectFrom('audit_log').select('client_address').where('request_id', '=', res.headers.get('x-request-id')).executeTakeFirstOrThrow();
    return entry.client_address;
  }

  it('is off by default: a forwarded address is ignored, the peer address is recorded', async () => {
    expect(await recordedAddress(direct.server, await seedOrganization(direct.server))).toBe('127.0.0.1');
  });

  it('when on, records the address from X-Forwarded-For', async () => {
    expect(await recordedAddress(proxied.server, await seedOrganization(proxied.server))).toBe('203.0.113.7');
  });
});

describe('large responses', () => {
  it('are sent whole, with a Content-Length in bytes, whatever the characters', async () => {
    const { server, org } = slow;
    // Names past ASCII: two- and four-byte UTF-8, so bytes and characters differ.
    const names = Array.from({ length: 60 }, (_, i) => `Données ${i} — 東京 🚀 ${'x'.repeat(150)}`);
    await tenantDbOf(server, org)
      .insertInto('workspaces')
      .values(names.map((name) => ({ name, description: name })))
      .execute();
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${org.users.viewer.token}` },
      body: JSON.stringify({ query: '{ workspaces(first: 100) { edges { node { name description } } } }' }),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBeGreaterThan(20_000);
    expect(res.headers.get('content-length')).toBe(String(bytes.length));
    const body = JSON.parse(bytes.toString('utf8')) as { data: { workspaces: { edges: { node: { name: string; description: string } }[] } } };
    const received = body.data.workspaces.edges.map((e) => e.node).filter((n) => names.includes(n.name));
    expect(received.map((n) => n.name).sort()).toEqual([...names].sort());
    expect(received.every((n) => n.description === n.name)).toBe(true);
  });
});
