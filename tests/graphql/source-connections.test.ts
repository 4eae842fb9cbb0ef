import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  auditMark,
  auditRowsSince,
  closedPort,
  createDataSource,
  createSourceDb,
  createWorkspace,
  ERROR_FIELDS,
  globalId,
  localId,
  mutate,
  NO_SUCH_UUID,
  seedOrganization,
  silentListener,
  sourceConfigOf,
  tenantDbOf,
  useTestApi,
  type SeededOrg,
  type SourceDb,
} from '../support/index.js';

/** Connection tests over GraphQL against real PostgreSQL sources on the test server. */

const logLines: string[] = [];
const { server, org } = useTestApi({ logLines, env: { SOURCE_CONNECT_TIMEOUT_MS: '400' } });
let source: SourceDb;
let workspaceId: string;
let other: SeededOrg;

beforeAll(async () => {
  source = await createSourceDb('create table public.customers (cust_id uuid primary key, email text not null);');
  workspaceId = await createWorkspace(server, org.users.editor.token, 'Sources');
  other = await seedOrganization(server);
});
afterAll(() => source.drop());

const RESULT = `__typename ${ERROR_FIELDS}
  ... on RateLimitError { retryAfterSeconds }
  ... on ConnectionTestResult { status message durationMs checks { name status message } }`;
const TEST = `mutation($id: ID!) { testDataSourceConnection(id: $id) { ${RESULT} } }`;
const TEST_CONFIG = `mutation($workspaceId: ID!, $connectionConfig: ConnectionConfigInput!, $dataSourceId: ID) {
  testDataSourceConnectionConfig(workspaceId: $workspaceId, connectionConfig: $connectionConfig, dataSourceId: $dataSourceId) { ${RESULT} }
}`;

interface Report {
  __typename: string;
  status: string;
  message: string;
  durationMs: number;
  checks: { name: string; status: string; message: string }[];
}

const testConfig = (connectionConfig: unknown, dataSourceId?: string, token = org.users.editor.token, ws = workspaceId) =>
  mutate<Report>(server, TEST_CONFIG, { workspaceId: ws, connectionConfig, dataSourceId }, token);
const failedChecks = (r: Report) => r.checks.filter((c) => c.status === 'FAILED');

describe('testDataSourceConnection', () => {
  it('passes every check of a reachable source, and writes an audit entry without the secret', async () => {
    const id = await createDataSource(server, org.users.editor.token, workspaceId, sourceConfigOf(source));
    const mark = await auditMark(server);
    const report = await mutate<Report>(server, TEST, { id }, org.users.editor.token);
    expect(report).toEqual({
      __typename: 'ConnectionTestResult',
      status: 'SUCCEEDED',
      message: `connected to ${source.database} on ${source.host}:${source.port} as ${source.user}`,
      durationMs: expect.any(Number),
      checks: [
        { name: 'resolve_host', status: 'PASSED', message: `${source.host} is an IP address` },
        { name: 'address_policy', status: 'PASSED', message: `${source.host} is allowed (loopback, allowed by this server's policy)` },
        { name: 'tcp_connect', status: 'PASSED', message: `connected to ${source.host}:${source.port}` },
        { name: 'tls', status: 'PASSED', message: 'not encrypted, as sslMode disable allows' },
        { name: 'authenticate', status: 'PASSED', message: `authenticated as ${source.user}` },
        { name: 'open_database', status: 'PASSED', message: `database ${source.database} is open` },
        { name: 'read_catalog', status: 'PASSED', message: '1 tables and views are readable' },
      ],
    });
    const [entry, ...more] = await auditRowsSince(server, mark);
    expect(more).toEqual([]);
    expect(entry).toMatchObject({ action: 'dataSource.testConnection', entity_type: 'DataSource', entity_id: localId(id), actor_id: org.users.editor.id });
    expect(entry!.changes).toMatchObject({ status: { before: null, after: 'succeeded' }, target: { before: null, after: { host: source.host, port: source.port, database: source.database, user: source.user, sslMode: 'disable' } } });
    expect(entry!.changes).not.toHaveProperty('failed_check');
    expect(JSON.stringify(entry)).not.toContain(source.password);
  });

  it.each<[string, () => unknown, string, () => string]>([
    ['a wrong password', () => sourceConfigOf(source, { password: 'Wrong-Secret-123' }), 'authenticate', () => `password authentication failed for user ${source.user}`],
    ['an unknown database', () => sourceConfigOf(source, { database: 'crm' }), 'open_database', () => 'database crm does not exist'],
    ['an unresolvable host', () => sourceConfigOf(source, { host: 'db.internal.invalid' }), 'resolve_host', () => 'host db.internal.invalid could not be resolved: no such host name'],
  ])('%s fails at its step with a message to act on, and the secret appears nowhere', async (_name, config, step, message) => {
    logLines.length = 0;
    const report = await testConfig(config());
    expect(report.status).toBe('FAILED');
    expect(failedChecks(report)).toEqual([{ name: step, status: 'FAILED', message: message() }]);
    expect(report.message).toBe(`${step.replaceAll('_', ' ')} failed: ${message()}`);
    const everything = JSON.stringify(report) + logLines.join('\n');
    expect(everything).not.toContain(source.password);
    expect(everything).not.toContain('Wrong-Secret-123');
  });

  it('a closed port fails at tcp_connect', async () => {
    const port = await closedPort();
    const report = await testConfig(sourceConfigOf(source, { port }));
    expect(failedChecks(report)).toEqual([
      { name: 'tcp_connect', status: 'FAILED', message: `connection refused by ${source.host}:${port}: nothing listens on that port, or a firewall refuses it` },
    ]);
  });

  it('a listener that accepts and never answers times out after SOURCE_CONNECT_TIMEOUT_MS', async () => {
    const hung = await silentListener();
    try {
      const report = await testConfig(sourceConfigOf(source, { port: hung.port }));
      expect(hung.accepted()).toBe(1);
      expect(failedChecks(report)).toEqual([
        {
          name: 'authenticate',
          status: 'FAILED',
          message: `timed out after 0.4 s connecting to 127.0.0.1:${hung.port}: the server accepted the connection but did not answer (is it a PostgreSQL server?)`,
        },
      ]);
      expect(report.checks.map((c) => c.status)).toEqual(['PASSED', 'PASSED', 'PASSED', 'SKIPPED', 'FAILED', 'SKIPPED', 'SKIPPED']);
    } finally {
      await hung.close();
    }
  });

  it('an api source: host, address and HTTP are checked; the connector step is SKIPPED, so the test FAILED', async () => {
    const seen: (string | undefined)[] = [];
    const api = http.createServer((req, res) => (seen.push(req.headers.authorization), res.writeHead(401).end()));
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      const port = (api.address() as AddressInfo).port;
      const mark = await auditMark(server);
      const report = await testConfig({ api: { baseUrl: `http://etl:url-secret@127.0.0.1:${port}/v1`, authType: 'bearer', token: 'api-secret-token' } });
      // The probe sends no credentials, and neither the answer nor the audit entry holds one.
      expect(seen).toEqual([undefined]);
      const entries = JSON.stringify(await auditRowsSince(server, mark));
      expect(entries).toContain(`http://127.0.0.1:${port}/v1`);
      for (const secret of ['url-secret', 'api-secret-token']) expect(JSON.stringify(report) + entries).not.toContain(secret);
      expect(report).toMatchObject({ status: 'FAILED', message: 'connector: not supported yet: this server cannot read api sources' });
      expect(report.checks.map((c) => [c.name, c.status, c.message])).toEqual([
        ['configuration', 'PASSED', 'the settings are complete'],
        ['resolve_host', 'PASSED', '127.0.0.1 is an IP address'],
        ['address_policy', 'PASSED', '127.0.0.1 is allowed'],
        ['http_reachable', 'PASSED', `127.0.0.1:${port} answered with HTTP 401`],
        ['connector', 'SKIPPED', 'not supported yet: this server cannot read api sources'],
      ]);
    } finally {
      await new Promise((resolve) => api.close(resolve));
    }
  });

  it('a file source reports its settings and a SKIPPED connector', async () => {
    const report = await testConfig({ file: { format: 'csv', location: 's3://acme/exports/' } });
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['configuration', 'PASSED'],
      ['connector', 'SKIPPED'],
    ]);
    expect(report.status).toBe('FAILED');
  });
});

describe('testDataSourceConnectionConfig and the stored secret', () => {
  let id: string;
  beforeAll(async () => {
    id = await createDataSource(server, org.users.editor.token, workspaceId, sourceConfigOf(source));
  });

  it.each([
    ['sent masked', { password: '********' }],
    ['left out', { password: undefined }],
  ])('a password %s is the stored one', async (_name, over) => {
    const report = await testConfig(sourceConfigOf(source, over), id);
    expect(report.status).toBe('SUCCEEDED');
  });

  it('a new password replaces the stored one for the test (and nothing is saved)', async () => {
    const report = await testConfig(sourceConfigOf(source, { password: 'Another-Wrong-1' }), id);
    expect(failedChecks(report).map((c) => c.name)).toEqual(['authenticate']);
    expect((await testConfig(sourceConfigOf(source, { password: '********' }), id)).status).toBe('SUCCEEDED');
  });

  it('without dataSourceId a masked password is no password', async () => {
    const report = await testConfig(sourceConfigOf(source, { password: '********' }));
    expect(failedChecks(report)).toEqual([{ name: 'authenticate', status: 'FAILED', message: `the server asks for a password for user ${source.user}, but none is set` }]);
  });

  it('settings of another type than the source are a ValidationError', async () => {
    expect(await testConfig({ file: { format: 'csv', location: '/x' } }, id)).toEqual({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      message: 'This data source is of type postgresql; test it with postgresql settings',
      path: ['connectionConfig'],
    });
  });

  it('incomplete settings are a ValidationError naming the field', async () => {
    expect(await testConfig({ postgresql: { host: '', database: 'x', user: 'u' } })).toMatchObject({ __typename: 'ValidationError', path: ['connectionConfig', 'postgresql', 'host'] });
    expect(await testConfig({ file: { format: 'csv', location: '/x' }, api: { baseUrl: 'https://x.example' } })).toMatchObject({ __typename: 'ValidationError', path: ['connectionConfig'] });
  });

  it('a source of another workspace is not found', async () => {
    const otherWs = await createWorkspace(server, org.users.editor.token);
    expect(await testConfig(sourceConfigOf(source), id, org.users.editor.token, otherWs)).toMatchObject({ __typename: 'NotFoundError' });
  });
});

describe('who may test', () => {
  let id: string;
  beforeAll(async () => {
    id = await createDataSource(server, org.users.editor.token, workspaceId, sourceConfigOf(source));
  });

  it('a viewer gets a ForbiddenError from both tests, and nothing is attempted or audited', async () => {
    const mark = await auditMark(server);
    const forbidden = { __typename: 'ForbiddenError', code: 'FORBIDDEN', message: 'Your role does not allow this' };
    expect(await mutate(server, TEST, { id }, org.users.viewer.token)).toEqual(forbidden);
    expect(await testConfig(sourceConfigOf(source), id, org.users.viewer.token)).toEqual(forbidden);
    expect(await auditRowsSince(server, mark)).toEqual([]);
  });

  it("another organization cannot test this organization's source, or use its stored secret", async () => {
    const notFound = { __typename: 'NotFoundError', code: 'NOT_FOUND', message: `DataSource ${localId(id)} was not found` };
    expect(await mutate(server, TEST, { id }, other.users.editor.token)).toEqual(notFound);
    const theirWs = await createWorkspace(server, other.users.editor.token);
    expect(await testConfig(sourceConfigOf(source, { password: '********' }), id, other.users.editor.token, theirWs)).toEqual(notFound);
    expect(await testConfig(sourceConfigOf(source), undefined, other.users.editor.token)).toMatchObject({ __typename: 'NotFoundError', message: expect.stringMatching(/^Workspace /) });
  });

  it('an id of no source is not found', async () => {
    expect(await mutate(server, TEST, { id: globalId('DataSource', NO_SUCH_UUID) }, org.users.editor.token)).toMatchObject({ __typename: 'NotFoundError' });
  });

  it('the stored config of a source is untouched by tests', async () => {
    const before = await tenantDbOf(server, org).selectFrom('data_sources').select(['connection_config', 'schema_cache', 'last_schema_refresh']).where('id', '=', localId(id)).executeTakeFirstOrThrow();
    await testConfig(sourceConfigOf(source, { password: 'Changed-1' }), id);
    const after = await tenantDbOf(server, org).selectFrom('data_sources').select(['connection_config', 'schema_cache', 'last_schema_refresh']).where('id', '=', localId(id)).executeTakeFirstOrThrow();
    expect(after).toEqual(before);
  });
});
