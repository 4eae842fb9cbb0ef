import { addressPolicy, beginReadOnly, closeQuietly, connectPostgres, introspectPostgres, readOnlyRows, testPostgresConnection, type PostgresSettings, type TestOptions } from '../../src/connectors/index.js';
import { SourceConnectionError } from '../../src/errors.js';
import { closedPort, createSourceDb, silentListener, type SourceDb } from '../support/index.js';

const OPTIONS: TestOptions = { policy: addressPolicy('allow-loopback'), connectTimeoutMs: 5_000, testTimeoutMs: 15_000 };
let source: SourceDb;

beforeAll(async () => {
  source = await createSourceDb(`
    create schema crm;
    create table crm.customers (id bigint primary key, email varchar(255) not null, score numeric(10,2));
    create view crm.active_customers as select id, email from crm.customers;`);
});
afterAll(() => source.drop());

const settings = (over: Partial<PostgresSettings> = {}): PostgresSettings => ({
  host: source.host,
  port: source.port,
  database: source.database,
  user: source.user,
  password: source.password,
  sslMode: 'disable',
  ...over,
});

const statuses = (report: { checks: { name: string; status: string }[] }) => Object.fromEntries(report.checks.map((c) => [c.name, c.status]));

describe('testPostgresConnection', () => {
  it('passes every check against a real database', async () => {
    const report = await testPostgresConnection(settings(), OPTIONS);
    expect(report.status).toBe('succeeded');
    expect(report.checks.map((c) => [c.name, c.status])).toEqual([
      ['resolve_host', 'passed'],
      ['address_policy', 'passed'],
      ['tcp_connect', 'passed'],
      ['tls', 'passed'],
      ['authenticate', 'passed'],
      ['open_database', 'passed'],
      ['read_catalog', 'passed'],
    ]);
    expect(report.checks.find((c) => c.name === 'read_catalog')!.message).toBe('2 tables and views are readable');
    expect(report.message).toBe(`connected to ${source.database} on ${source.host}:${source.port} as ${source.user}`);
  });

  it('sslMode prefer against a server without TLS connects unencrypted, with a warning', async () => {
    const report = await testPostgresConnection(settings({ sslMode: 'prefer' }), OPTIONS);
    expect(statuses(report)).toMatchObject({ tls: 'warning', authenticate: 'passed', read_catalog: 'passed' });
    expect(report.status).toBe('succeeded');
  });

  it('sslMode require against a server without TLS fails at the tls step', async () => {
    const report = await testPostgresConnection(settings({ sslMode: 'require' }), OPTIONS);
    expect(statuses(report)).toEqual({ resolve_host: 'passed', address_policy: 'passed', tcp_connect: 'passed', tls: 'failed', authenticate: 'skipped', open_database: 'skipped', read_catalog: 'skipped' });
    expect(report.message).toMatch(/^tls failed: the server at .* does not offer TLS, and sslMode require requires it/);
  });

  it.each([
    ['a wrong password', () => settings({ password: 'not-the-password' }), 'authenticate', () => `password authentication failed for user ${source.user}`],
    ['no password where one is required', () => settings({ password: null }), 'authenticate', () => `the server asks for a password for user ${source.user}, but none is set`],
    ['an unknown database', () => settings({ database: 'nope_db' }), 'open_database', () => 'database nope_db does not exist'],
    ['an unresolvable host', () => settings({ host: 'db.example.invalid' }), 'resolve_host', () => 'host db.example.invalid could not be resolved: no such host name'],
  ])('%s fails at the right step with a message to act on', async (_name, make, step, message) => {
    const s = make();
    const report = await testPostgresConnection(s, OPTIONS);
    expect(report.status).toBe('failed');
    const failed = report.checks.filter((c) => c.status === 'failed');
    expect(failed).toEqual([{ name: step, status: 'failed', message: message() }]);
    expect(JSON.stringify(report)).not.toContain(source.password);
    expect(JSON.stringify(report)).not.toContain('not-the-password');
  });

  it('a closed port fails at tcp_connect', async () => {
    const port = await closedPort();
    const report = await testPostgresConnection(settings({ port }), OPTIONS);
    expect(report.checks.find((c) => c.status === 'failed')).toEqual({
      name: 'tcp_connect',
      status: 'failed',
      message: `connection refused by ${source.host}:${port}: nothing listens on that port, or a firewall refuses it`,
    });
  });

  it('a listener that never answers times out after the connect timeout, naming the step', async () => {
    const hung = await silentListener();
    try {
      const report = await testPostgresConnection(settings({ port: hung.port }), { ...OPTIONS, connectTimeoutMs: 300 });
      expect(hung.accepted()).toBe(1);
      expect(statuses(report)).toMatchObject({ tcp_connect: 'passed', tls: 'skipped', authenticate: 'failed' });
      expect(report.checks.find((c) => c.status === 'failed')!.message).toBe(
        `timed out after 0.3 s connecting to 127.0.0.1:${hung.port}: the server accepted the connection but did not answer (is it a PostgreSQL server?)`,
      );
    } finally {
      await hung.close();
    }
  });

  it('the whole-test limit fails the step in progress', async () => {
    const hung = await silentListener();
    try {
      const report = await testPostgresConnection(settings({ port: hung.port, sslMode: 'require' }), { ...OPTIONS, connectTimeoutMs: 2_000, testTimeoutMs: 200 });
      expect(report.checks.find((c) => c.status === 'failed')).toEqual({ name: 'tls', status: 'failed', message: "timed out after 0.2 s (the whole test's limit)" });
    } finally {
      await hung.close();
    }
  });
});

describe('connectPostgres and the address policy', () => {
  it('refuses a loopback source under the strict policy before any connection is attempted', async () => {
    const hung = await silentListener();
    try {
      const attempt = connectPostgres(settings({ host: '127.0.0.1', port: hung.port }), { policy: addressPolicy('strict'), connectTimeoutMs: 1_000 });
      await expect(attempt).rejects.toMatchObject({ step: 'address_policy', message: expect.stringContaining('127.0.0.1 is a loopback address, which this server does not connect to') });
      expect(hung.accepted()).toBe(0);
    } finally {
      await hung.close();
    }
  });

  it('refuses a host name when any of its addresses is refused (checked after resolution)', async () => {
    const policy = { ...addressPolicy('strict'), lookup: async () => [{ address: '93.184.216.34', family: 4 }, { address: '169.254.169.254', family: 4 }] };
    const attempt = connectPostgres(settings({ host: 'rebind.example.com' }), { policy, connectTimeoutMs: 1_000 });
    await expect(attempt).rejects.toBeInstanceOf(SourceConnectionError);
    await expect(attempt).rejects.toMatchObject({ step: 'address_policy', message: expect.stringMatching(/^rebind\.example\.com resolves to 169\.254\.169\.254, a link-local address/) });
  });

  it('connects to the address it checked, not to a second lookup', async () => {
    let lookups = 0;
    const policy = { ...addressPolicy('allow-loopback'), lookup: async () => (lookups++, [{ address: '127.0.0.1', family: 4 }]) };
    const client = await connectPostgres(settings({ host: 'source.example.test' }), { policy, connectTimeoutMs: 5_000 });
    try {
      const { rows } = await client.query<{ addr: string }>('select inet_server_addr()::text as addr');
      expect(rows[0]!.addr).toBe('127.0.0.1/32');
      expect(lookups).toBe(1);
    } finally {
      await closeQuietly(client);
    }
  });

  it('sets statement_timeout and application_name on the session', async () => {
    const client = await connectPostgres(settings(), { policy: OPTIONS.policy, connectTimeoutMs: 5_000, statementTimeoutMs: 1234, applicationName: 'datalinx-test' });
    try {
      const { rows } = await client.query<{ t: string; a: string }>("select current_setting('statement_timeout') as t, current_setting('application_name') as a");
      expect(rows[0]).toEqual({ t: '1234ms', a: 'datalinx-test' });
    } finally {
      await closeQuietly(client);
    }
  });

  it('introspects tables and views with schema-qualified names', async () => {
    const client = await connectPostgres(settings(), { policy: OPTIONS.policy, connectTimeoutMs: 5_000 });
    try {
      expect(await introspectPostgres(client)).toEqual({
        tables: [
          {
            schema: 'crm',
            name: 'active_customers',
            kind: 'view',
            columns: [
              { name: 'id', dataType: 'bigint', nullable: true, isPrimaryKey: false, ordinalPosition: 1 },
              { name: 'email', dataType: 'character varying(255)', nullable: true, isPrimaryKey: false, ordinalPosition: 2 },
            ],
          },
          {
            schema: 'crm',
            name: 'customers',
            kind: 'table',
            columns: [
              { name: 'id', dataType: 'bigint', nullable: false, isPrimaryKey: true, ordinalPosition: 1 },
              { name: 'email', dataType: 'character varying(255)', nullable: false, isPrimaryKey: false, ordinalPosition: 2 },
              { name: 'score', dataType: 'numeric(10,2)', nullable: true, isPrimaryKey: false, ordinalPosition: 3 },
            ],
          },
        ],
      });
    } finally {
      await closeQuietly(client);
    }
  });
});

describe('readOnlyRows on a source session', () => {
  it('reads in one round trip named after the job, leaves the session idle and unnamed by it, and rolls back a failed read before it settles', async () => {
    const client = await connectPostgres(settings(), { policy: OPTIONS.policy, connectTimeoutMs: 5_000, applicationName: 'datalinx-pool' });
    try {
      await client.query("insert into crm.customers values (1, 'a@example.test', 1.5)");
      const sent: string[] = [];
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as { query: unknown }).query = (...args: unknown[]) => {
        sent.push(String((args[0] as { text?: string }).text ?? args[0]));
        return query(...args);
      };
      const select = "select id, email, current_setting('application_name') as app, current_setting('transaction_read_only') as ro from crm.customers";
      expect(await readOnlyRows(client, select, 10, beginReadOnly(client, "datalinx-job-1'x"))).toEqual({
        columns: ['id', 'email', 'app', 'ro'],
        rows: [[1, 'a@example.test', "datalinx-job-1'x", 'on']],
      });
      expect(sent).toHaveLength(1);
      expect(client.getTransactionStatus()).toBe('I');
      // A failed read rejects only once its transaction is rolled back, so the session is usable at once —
      // even when the client's status has not caught up (the server flushes an error before its ReadyForQuery).
      const status = client.getTransactionStatus.bind(client);
      client.getTransactionStatus = () => 'I';
      await expect(readOnlyRows(client, 'select * from crm.no_such_table', 10, beginReadOnly(client, 'datalinx-job-2'))).rejects.toMatchObject({ code: '42P01' });
      client.getTransactionStatus = status;
      expect(client.getTransactionStatus()).toBe('I');
      const { rows } = await query("select current_setting('application_name') as a") as { rows: { a: string }[] };
      expect(rows).toEqual([{ a: 'datalinx-pool' }]);
    } finally {
      await closeQuietly(client);
    }
  });
});
