import type { RequestScope } from '../../src/auth/scope.js';
import type { ConnectionTestReport } from '../../src/connectors/index.js';
import { Tenant } from '../../src/tenancy/tenant.js';
import { testWarehouseConnection } from '../../src/warehouses/warehouse.manager.js';
import { auditMark, auditRowsSince, createWorkspace, localId, mutate, seedOrganization, useTestApi, type SeededOrg } from '../support/index.js';
import { createSourceDb, type SourceDb } from '../support/source-db.js';

// testWarehouseConnection against real PostgreSQL databases: the warehouse is
// a database of its own on the test server, with a role and password of its own.

const logLines: string[] = [];
const { server, org } = useTestApi({ logLines });
let warehouseDb: SourceDb;

beforeAll(async () => {
  warehouseDb = await createSourceDb('create table loaded (id int primary key)');
});
afterAll(() => warehouseDb.drop());

const UPDATE = `mutation($input: UpdateWorkspaceInput!) { updateWorkspace(input: $input) { __typename } }`;

function scopeFor(o: SeededOrg, role: 'viewer' | 'editor' = 'editor'): RequestScope {
  return {
    services: server.services,
    actor: { kind: 'user', id: o.users[role].id, organizationId: o.id, role },
    tenant: new Tenant(server.db.db, o) as unknown as Tenant,
    requestId: 'warehouse-test',
    clientAddress: '127.0.0.1',
  };
}

async function workspaceWith(warehouse: unknown): Promise<string> {
  const id = await createWorkspace(server, org.users.editor.token);
  if (warehouse !== undefined) expect(await mutate(server, UPDATE, { input: { id, warehouse } }, org.users.editor.token)).toEqual({ __typename: 'UpdateWorkspacePayload' });
  return localId(id);
}

const pg = (overrides: Record<string, unknown> = {}) => ({
  dialect: 'POSTGRESQL',
  targetSchema: 'analytics',
  connectionConfig: {
    postgresql: { host: warehouseDb.host, port: warehouseDb.port, database: warehouseDb.database, user: warehouseDb.user, password: warehouseDb.password, sslMode: 'disable', ...overrides },
  },
});

const statuses = (r: ConnectionTestReport) => Object.fromEntries(r.checks.map((c) => [c.name, c.status]));

describe('testWarehouseConnection', () => {
  it('connects to a real PostgreSQL warehouse step by step, and writes one audit entry without the secret', async () => {
    const id = await workspaceWith(pg());
    const mark = await auditMark(server);
    const report = await testWarehouseConnection(scopeFor(org), id);
    expect(report).toMatchObject({ status: 'succeeded', message: `connected to ${warehouseDb.database} on ${warehouseDb.host}:${warehouseDb.port} as ${warehouseDb.user}` });
    expect(statuses(report)).toEqual({
      resolve_host: 'passed',
      address_policy: 'passed',
      tcp_connect: 'passed',
      tls: 'passed',
      authenticate: 'passed',
      open_database: 'passed',
      read_catalog: 'passed',
    });
    const entries = await auditRowsSince(server, mark);
    expect(entries).toEqual([expect.objectContaining({ action: 'workspace.testWarehouseConnection', entity_type: 'Workspace', entity_id: id, actor_id: org.users.editor.id })]);
    expect(entries[0]!.changes).toMatchObject({ status: { before: null, after: 'succeeded' }, dialect: { before: null, after: 'postgresql' } });
    expect(JSON.stringify(entries)).not.toContain(warehouseDb.password);
  });

  it('reports the failing step for a wrong password, a database that does not exist and a closed port', async () => {
    const wrongPassword = await testWarehouseConnection(scopeFor(org), await workspaceWith(pg({ password: 'not-the-password' })));
    expect(wrongPassword.status).toBe('failed');
    expect(statuses(wrongPassword)).toMatchObject({ tcp_connect: 'passed', authenticate: 'failed', open_database: 'skipped', read_catalog: 'skipped' });
    expect(JSON.stringify(wrongPassword)).not.toContain('not-the-password');

    const noDatabase = await testWarehouseConnection(scopeFor(org), await workspaceWith(pg({ database: 'no_such_database' })));
    expect(noDatabase.status).toBe('failed');
    expect(noDatabase.checks.find((c) => c.status === 'failed')!.name).toMatch(/open_database|authenticate/);

    const closed = await testWarehouseConnection(scopeFor(org), await workspaceWith(pg({ port: 1 })));
    expect(closed.status).toBe('failed');
    expect(statuses(closed)).toMatchObject({ resolve_host: 'passed', tcp_connect: 'failed', authenticate: 'skipped' });
    expect(logLines.filter((l) => l.includes(warehouseDb.password))).toEqual([]);
  });

  it('says a dialect this deployment does not load is not supported, instead of pretending', async () => {
    const id = await workspaceWith({ dialect: 'BIGQUERY', targetSchema: 'raw', connectionConfig: { bigquery: { projectId: 'p', serviceAccountKey: '{}' } } });
    const report = await testWarehouseConnection(scopeFor(org), id);
    expect(report).toMatchObject({ status: 'failed', message: 'connector: bigquery warehouses are not supported by this deployment yet' });
    expect(statuses(report)).toEqual({ configuration: 'passed', connector: 'skipped' });
  });

  it('refuses a workspace without a warehouse, a viewer, and another organization', async () => {
    await expect(testWarehouseConnection(scopeFor(org), await workspaceWith(undefined))).rejects.toMatchObject({ code: 'VALIDATION', path: ['workspaceId'] });
    const id = await workspaceWith(pg());
    await expect(testWarehouseConnection(scopeFor(org, 'viewer'), id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    const stranger = await seedOrganization(server);
    await expect(testWarehouseConnection(scopeFor(stranger), id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
