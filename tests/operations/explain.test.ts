import { readFile } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../src/logger.js';
import { formatExplainReport } from '../../src/operations/explain.command.js';
import { ExplainError, explainOperation, type ExplainReport } from '../../src/operations/explain.js';
import { tenantDb } from '../../src/tenancy/tenancy.js';
import {
  adminCli,
  createDataSource,
  createJob,
  createMapping,
  createWorkspace,
  insertJobs,
  insertMappings,
  localId,
  rejection,
  seedWorld,
  startTestServer,
  testKeyringJson,
  type TestServer,
  type World,
} from '../support/index.js';

let server: TestServer;
let world: World;
let workspaceId: string;
let dashboard: string;
const logger = createLogger('silent');

const explain = (document: string, variables: Record<string, unknown>, extra: { largeTableRows?: number } = {}): Promise<ExplainReport> =>
  explainOperation({ config: server.config, logger, connectionString: server.db.url, migrations: server.db.migrations, slug: world.org.slug, document, variables, ...extra });

beforeAll(async () => {
  server = await startTestServer();
  world = await seedWorld(server, 'explain-org');
  const owner = world.callers.owner.token;
  workspaceId = await createWorkspace(server, owner);
  await createDataSource(server, owner, workspaceId);
  await createMapping(server, owner, workspaceId);
  await createJob(server, owner, workspaceId);
  const tenant = tenantDb(server.db.db, world.org.schema_name);
  await insertMappings(tenant, [localId(workspaceId)], 2000);
  await insertJobs(tenant, [localId(workspaceId)], 20_000, world.org.users.owner.id);
  dashboard = await readFile('examples/operations/workspace-dashboard.graphql', 'utf8');
}, 60_000);

afterAll(() => server.close());

describe('explain', () => {
  it('captures every statement the request sends, the same ones the API sends, and never uses the API\'s pool', async () => {
    const token = world.callers.owner.token;
    server.db.counter.reset();
    expect((await server.gql(dashboard, { id: workspaceId }, token)).body.errors).toBeUndefined();
    // Its data's statements: explain acts as the owner without an access token, so it checks no session.
    const overHttp = server.db.counter.data;

    server.db.counter.reset();
    const report = await explain(dashboard, { id: workspaceId });

    expect(server.db.counter.count).toBe(0);
    expect(report.errors).toEqual([]);
    expect(report.statements.length).toBe(overHttp.length);
    expect(report.statements.map((s) => s.text).sort()).toEqual([...overHttp].sort());
    for (const statement of report.statements) {
      expect(statement.plan?.join('\n')).toMatch(/actual time=[\s\S]*Execution Time: [\d.]+ ms/);
      expect(statement.rows).not.toBeNull();
    }
    expect(formatExplainReport(report)).toContain(`WorkspaceDashboard as the owner of explain-org: ${report.statements.length} statements`);
  });

  it('flags a sequential scan over a large table', async () => {
    // Jobs filtered by a status with no index of its own: over 20,000 rows, a sequential scan.
    const report = await explain('query Failed { pipelineJobs(status: FAILED, first: 5) { totalCount edges { node { id } } } }', {}, { largeTableRows: 10_000 });
    const flagged = report.statements.flatMap((s) => s.seqScans.map((scan) => scan.relation));
    const seqScanLines = report.statements.flatMap((s) => s.plan ?? []).filter((l) => /Seq Scan on pipeline_jobs/.test(l));

    expect(seqScanLines.length).toBeGreaterThan(0);
    expect(flagged).toContain(`${world.org.schema_name}.pipeline_jobs`);
    expect(formatExplainReport(report)).toContain(`WARNING: sequential scan over ${world.org.schema_name}.pipeline_jobs`);
    // Small tables are not flagged, whatever their plan.
    expect(flagged.every((r) => r.endsWith('.pipeline_jobs'))).toBe(true);
  });

  it('refuses mutations and production mode unless forced', async () => {
    expect(await rejection(explain('mutation { logout }', {}))).toMatchObject({ message: 'explain runs queries only, not a mutation' });
    const production = { ...server.config, isProduction: true, keyring: { json: testKeyringJson(), file: undefined } };
    const err = await rejection(explainOperation({ config: production, logger, connectionString: server.db.url, migrations: [], slug: world.org.slug, document: dashboard, variables: { id: workspaceId } }));
    expect(err).toBeInstanceOf(ExplainError);
    const forced = await explainOperation({ config: production, logger, connectionString: server.db.url, migrations: [], slug: world.org.slug, document: dashboard, variables: { id: workspaceId }, forceProduction: true });
    expect(forced.statements.length).toBeGreaterThan(0);
  });

  it('the CLI refuses production mode before connecting, with one line', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'datalinx-explain-'));
    const out = await adminCli(
      { NODE_ENV: 'production', DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none', DATA_DIR: dataDir, JWT_SECRET: 'x'.repeat(40), KEYRING: JSON.stringify({ current: 'k', keys: [{ id: 'k', key: Buffer.alloc(32, 1).toString('base64') }] }) },
      'explain', '--org', 'explain-org', '--operation', 'examples/operations/workspace-dashboard.graphql',
    );
    expect(out).toEqual({ code: 1, stdout: [], stderr: ['error: explain re-runs every statement with EXPLAIN ANALYZE; it refuses to run with NODE_ENV=production unless given --force-production'] });
  }, 120_000);
});
