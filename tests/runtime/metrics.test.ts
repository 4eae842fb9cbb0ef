import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import { buildMetricsServer, createMetrics } from '../../src/metrics/metrics.js';
import { createLogger } from '../../src/logger.js';
import { seedOrganization, startTestServer, type SeededOrg, type TestServer } from '../support/index.js';

/** /metrics in Prometheus text format, read back with a Prometheus text parser. */
let server: TestServer;
let org: SeededOrg;

beforeAll(async () => {
  server = await startTestServer({}, { metrics: true });
  org = await seedOrganization(server);
});
afterAll(() => server.close());

async function scrape(url: string, token?: string): Promise<Map<string, MetricFamily>> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return new Map(parsePrometheusTextFormat(await res.text()).map((f) => [f.name, f]));
}

it('reports HTTP, GraphQL operations by name and outcome, error codes, pool, process, tenants and schema version', async () => {
  const viewer = org.users.viewer.token;
  await server.gql('query Dashboard { me { email } workspaces(first: 5) { totalCount } }', {}, viewer);
  await server.gql('{ me { email } }', {}, viewer);
  await server.gql('query Broken { nope }', {}, viewer);
  await server.gql('query Me { me { email } }');

  const families = await scrape(`${server.url}/metrics`);
  expect(families.get('datalinx_graphql_operation_duration_seconds')!.type).toBe('HISTOGRAM');
  expect(families.get('datalinx_http_request_duration_seconds')!.type).toBe('HISTOGRAM');
  const operations = families.get('datalinx_graphql_operations_total')!;
  const labelsOf = (f: MetricFamily) => f.metrics.map((m) => m.labels ?? {});
  expect(labelsOf(operations)).toEqual(
    expect.arrayContaining([
      { operation_name: 'Dashboard', operation_type: 'query', outcome: 'success' },
      { operation_name: 'anonymous', operation_type: 'query', outcome: 'success' },
      { operation_name: 'invalid', operation_type: 'unknown', outcome: 'client_error' },
      { operation_name: 'Me', operation_type: 'query', outcome: 'client_error' },
    ]),
  );
  const errorCodes = families.get('datalinx_graphql_errors_total')!.metrics.map((m) => m.labels?.code);
  expect(errorCodes).toEqual(expect.arrayContaining(['GRAPHQL_VALIDATION_FAILED', 'UNAUTHENTICATED']));
  expect(labelsOf(families.get('datalinx_http_requests_total')!)).toEqual(
    expect.arrayContaining([{ method: 'POST', route: '/graphql', status_code: '200' }]),
  );
  expect(families.get('datalinx_db_pool_connections')!.metrics.map((m) => m.labels?.state).sort()).toEqual(['idle', 'total', 'waiting']);
  expect(families.get('datalinx_organizations')!.metrics[0]!.value).toBe('1');
  expect(families.get('datalinx_schema_version_info')!.metrics[0]!.labels).toEqual({ version: server.db.migrations.at(-1)!.version });
  for (const name of ['nodejs_eventloop_lag_p99_seconds', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes']) {
    expect(families.has(name)).toBe(true);
  }
});

it('never names a tenant in a label, and caps operation names', async () => {
  const viewer = org.users.viewer.token;
  await Promise.all(Array.from({ length: 120 }, (_, i) => server.gql(`query Op${i} { me { email } }`, {}, viewer)));
  const text = await (await fetch(`${server.url}/metrics`)).text();
  for (const secret of [org.id, org.slug, org.schema_name, org.users.viewer.id]) expect(text).not.toContain(secret);
  const names = new Set(
    parsePrometheusTextFormat(text)
      .find((f) => f.name === 'datalinx_graphql_operations_total')!
      .metrics.map((m) => m.labels?.operation_name),
  );
  expect([...names].filter((n) => !['anonymous', 'invalid', 'other'].includes(n!)).length).toBe(100);
  expect(names).toContain('other');
});

describe('exposure', () => {
  it('in production: no /metrics on the API port without METRICS_TOKEN, behind the token with one', async () => {
    const open = await startTestServer({ NODE_ENV: 'production', DATABASE_URL: 'postgresql://x@127.0.0.1/x' }, { metrics: true });
    const guarded = await startTestServer({ NODE_ENV: 'production', DATABASE_URL: 'postgresql://x@127.0.0.1/x', METRICS_TOKEN: 'a-metrics-token-of-some-length' }, { metrics: true });
    try {
      expect((await fetch(`${open.url}/metrics`)).status).toBe(404);
      expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-of-the-same-len' } })).status).toBe(401);
      const families = await scrape(`${guarded.url}/metrics`, 'a-metrics-token-of-some-length');
      expect(families.has('datalinx_db_pool_connections')).toBe(true);
    } finally {
      await open.close();
      await guarded.close();
    }
  });

  it('on METRICS_PORT: a listener of its own that serves nothing of the API', async () => {
    const metricsApp = await buildMetricsServer(createMetrics({ database: server.db, lifecycle: server.lifecycle }), createLogger('silent'));
    await metricsApp.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = metricsApp.server.address() as { port: number };
      const families = await scrape(`http://127.0.0.1:${address.port}/metrics`);
      expect(families.has('datalinx_graphql_operation_duration_seconds')).toBe(true);
      expect((await fetch(`http://127.0.0.1:${address.port}/graphql`)).status).toBe(404);
    } finally {
      await metricsApp.close();
    }
  });
});
