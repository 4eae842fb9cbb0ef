import {
  createDataSource,
  createSourceDb,
  createWorkspace,
  ERROR_FIELDS,
  mutate,
  seedOrganization,
  silentListener,
  sourceConfigOf,
  startTestServer,
  useTestApi,
  type SourceDb,
} from '../support/index.js';

/**
 * The address policy and the rate limit as a server configured for production
 * applies them: SOURCE_ADDRESS_POLICY=strict refuses loopback and special
 * ranges before any connection; SOURCE_CONNECT_RATE_LIMIT caps attempts per organization.
 */

const { server, org } = useTestApi({ env: { SOURCE_ADDRESS_POLICY: 'strict', SOURCE_CONNECT_RATE_LIMIT: '4' } });
let source: SourceDb;

beforeAll(async () => {
  source = await createSourceDb();
});
afterAll(() => source.drop());

const TEST_CONFIG = `mutation($workspaceId: ID!, $connectionConfig: ConnectionConfigInput!) {
  testDataSourceConnectionConfig(workspaceId: $workspaceId, connectionConfig: $connectionConfig) {
    __typename ${ERROR_FIELDS}
    ... on RateLimitError { retryAfterSeconds }
    ... on ConnectionTestResult { status checks { name status message } }
  }
}`;
const REFRESH = `mutation($id: ID!) { refreshDataSourceSchema(id: $id) { __typename ${ERROR_FIELDS} ... on SourceConnectionError { step } ... on RateLimitError { retryAfterSeconds } } }`;

type Report = { __typename: string; status: string; checks: { name: string; status: string; message: string }[]; retryAfterSeconds?: number };

describe('SOURCE_ADDRESS_POLICY=strict', () => {
  it('refuses a loopback source before any connection is attempted', async () => {
    const hung = await silentListener();
    try {
      const workspaceId = await createWorkspace(server, org.users.editor.token);
      const report = await mutate<Report>(server, TEST_CONFIG, { workspaceId, connectionConfig: sourceConfigOf(source, { port: hung.port }) }, org.users.editor.token);
      expect(report.checks.slice(0, 3)).toEqual([
        { name: 'resolve_host', status: 'PASSED', message: '127.0.0.1 is an IP address' },
        { name: 'address_policy', status: 'FAILED', message: '127.0.0.1 is a loopback address, which this server does not connect to; ask an operator to allow it (SOURCE_ALLOWED_CIDRS)' },
        { name: 'tcp_connect', status: 'SKIPPED', message: 'not run: an earlier step failed' },
      ]);
      expect(report.checks.find((c) => c.status === 'FAILED')).toEqual({
        name: 'address_policy',
        status: 'FAILED',
        message: '127.0.0.1 is a loopback address, which this server does not connect to; ask an operator to allow it (SOURCE_ALLOWED_CIDRS)',
      });
      expect(report.checks.find((c) => c.name === 'tcp_connect')!.status).toBe('SKIPPED');
      expect(hung.accepted()).toBe(0);
    } finally {
      await hung.close();
    }
  });

  it('refuses the cloud metadata address and a private address (no traffic is sent to either)', async () => {
    const workspaceId = await createWorkspace(server, org.users.editor.token);
    for (const [host, words] of [
      ['169.254.169.254', 'a link-local address (this includes cloud metadata services)'],
      ['10.0.0.5', 'a private network address'],
    ] as const) {
      const report = await mutate<Report>(server, TEST_CONFIG, { workspaceId, connectionConfig: sourceConfigOf(source, { host }) }, org.users.editor.token);
      expect(report.checks.find((c) => c.status === 'FAILED')).toEqual({
        name: 'address_policy',
        status: 'FAILED',
        message: `${host} is ${words}, which this server does not connect to; ask an operator to allow it (SOURCE_ALLOWED_CIDRS)`,
      });
    }
  });

  it('a refresh of a refused source is a SourceConnectionError at address_policy', async () => {
    const other = await seedOrganization(server);
    const id = await createDataSource(server, other.users.editor.token, await createWorkspace(server, other.users.editor.token), sourceConfigOf(source));
    expect(await mutate(server, REFRESH, { id }, other.users.editor.token)).toMatchObject({ __typename: 'SourceConnectionError', step: 'address_policy' });
  });

  it('SOURCE_ALLOWED_CIDRS lets an allowed range through', async () => {
    const allowing = await startTestServer({ SOURCE_ADDRESS_POLICY: 'strict', SOURCE_ALLOWED_CIDRS: '127.0.0.0/8' });
    try {
      const mine = await seedOrganization(allowing);
      const workspaceId = await createWorkspace(allowing, mine.users.editor.token);
      const report = await mutate<Report>(allowing, TEST_CONFIG, { workspaceId, connectionConfig: sourceConfigOf(source) }, mine.users.editor.token);
      expect(report.status).toBe('SUCCEEDED');
    } finally {
      await allowing.close();
    }
  });
});

describe('SOURCE_CONNECT_RATE_LIMIT', () => {
  it('refuses attempts past the limit with a RateLimitError, per organization', async () => {
    const limited = await seedOrganization(server);
    const bystander = await seedOrganization(server);
    const workspaceId = await createWorkspace(server, limited.users.editor.token);
    const config = { file: { format: 'csv', location: '/data/x.csv' } };
    for (let i = 0; i < 4; i++) {
      expect(await mutate<Report>(server, TEST_CONFIG, { workspaceId, connectionConfig: config }, limited.users.editor.token)).toMatchObject({ __typename: 'ConnectionTestResult' });
    }
    const refused = await mutate<Report>(server, TEST_CONFIG, { workspaceId, connectionConfig: config }, limited.users.editor.token);
    expect(refused).toEqual({
      __typename: 'RateLimitError',
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/^Too many connection attempts: at most 4 a minute per organization; try again in \d+ s$/),
      retryAfterSeconds: expect.any(Number),
    });
    expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(60);
    const theirs = await createWorkspace(server, bystander.users.editor.token);
    expect(await mutate<Report>(server, TEST_CONFIG, { workspaceId: theirs, connectionConfig: config }, bystander.users.editor.token)).toMatchObject({ __typename: 'ConnectionTestResult' });
  });
});
