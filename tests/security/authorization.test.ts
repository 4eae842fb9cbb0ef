import { randomUUID } from 'node:crypto';
import * as audit from '../../src/audit/audit.manager.js';
import type { RequestScope } from '../../src/auth/scope.js';
import * as dataSources from '../../src/data-sources/data-source.manager.js';
import * as sourceConnections from '../../src/data-sources/source-connection.manager.js';
import type { UserRole } from '../../src/db/tables/users.table.js';
import { ForbiddenError } from '../../src/errors.js';
import * as jobs from '../../src/jobs/pipeline-job.manager.js';
import * as mappings from '../../src/mappings/mapping.manager.js';
import * as organizations from '../../src/organizations/organization.manager.js';
import * as accounts from '../../src/service-accounts/service-account.manager.js';
import { Tenant } from '../../src/tenancy/tenant.js';
import * as users from '../../src/users/user.manager.js';
import * as workspaces from '../../src/workspaces/workspace.manager.js';
import {
  CALLER_KINDS,
  type CallerKind,
  createDataSource,
  createJob,
  createMapping,
  createServiceAccount,
  createWorkspace,
  localId,
  mutationDocument,
  mutationNames,
  newUser,
  payloadTypeOf,
  resultOf,
  seedWorld,
  snapshot,
  useWorld,
} from '../support/index.js';
import { MUTATIONS, expectedOutcome } from './mutation-catalogue.js';

const { server, world } = useWorld();


/** Authenticating with an API key stamps its last use; that is the only write a refused call may make. */
function withoutKeyUse(s: Awaited<ReturnType<typeof snapshot>>, kind: CallerKind) {
  if (kind !== 'serviceAccount') return s;
  const copy = { ...s };
  for (const t of ['datalinx_platform.service_accounts', 'datalinx_platform.service_account_keys']) copy[t] = { ...copy[t]!, digest: '(last use)' };
  return copy;
}

const shapeOf = (kind: CallerKind) =>
  kind === 'serviceAccount' ? { role: 'editor' as const, userId: null } : { role: kind as UserRole, userId: 'a user' };

describe('roles × mutations', () => {
  it('the table names every mutation the schema serves, and nothing else', () => {
    expect(Object.keys(MUTATIONS).sort()).toEqual(mutationNames());
  });

  const table = Object.entries(MUTATIONS).flatMap(([name, c]) =>
    CALLER_KINDS.map((kind) => [name, kind, expectedOutcome(c.access, { kind, token: '', actorId: '', ...shapeOf(kind) })] as const),
  );

  it.each(table)('%s by the %s: %s', async (name, kind, expected) => {
    const c = MUTATIONS[name]!;
    const w = c.ownOrganization ? await seedWorld(server) : world;
    const caller = w.callers[kind];
    const arranged = await c.arrange(w, caller, 0);
    const before = await snapshot(server);

    const res = await server.gql(mutationDocument(name, c.select), arranged.variables, caller.token);

    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const result = resultOf(res);
    if (expected === 'allowed') {
      const payload = payloadTypeOf(name);
      if (payload) expect(result).toMatchObject({ __typename: payload });
      else expect(result).toBe(true);
    } else {
      expect(result).toMatchObject({ __typename: expected, code: expected === 'ForbiddenError' ? 'FORBIDDEN' : 'NOT_FOUND' });
      expect(withoutKeyUse(await snapshot(server), kind)).toEqual(withoutKeyUse(before, kind));
    }
  });
});

describe('the managers refuse on their own, whatever the GraphQL layer lets through', () => {
  const ids = {} as Record<'workspace' | 'dataSource' | 'mapping' | 'job' | 'user' | 'account' | 'key', string>;

  beforeAll(async () => {
    const token = world.callers.editor.token;
    const ws = await createWorkspace(server, token);
    ids.workspace = localId(ws);
    ids.dataSource = localId(await createDataSource(server, token, ws));
    ids.mapping = localId(await createMapping(server, token, ws));
    ids.job = localId(await createJob(server, token, ws));
    ids.user = (await newUser(server, world.org, 'editor')).id;
    const sa = await createServiceAccount(server, world.callers.admin.token);
    ids.account = sa.id;
    ids.key = localId(sa.keyId);
  });

  const scopeAs = (role: UserRole): RequestScope => ({
    actor: { kind: 'user', id: world.org.users[role].id, organizationId: world.org.id, role },
    tenant: new Tenant(server.db.db, { ...world.org, name: 'Org', created_at: new Date(), updated_at: new Date(), settings: {} }),
    services: server.services,
    requestId: randomUUID(),
    clientAddress: null,
  });
  const mapping = { targetTable: 't', sourceTable: 's', fieldMappings: [{ targetField: 'a', source: 'b' }] };

  // Each manager call, made by the highest role that may not make it.
  const calls: [string, UserRole, (s: RequestScope) => Promise<unknown>][] = [
    ['workspaces.createWorkspace', 'viewer', (s) => workspaces.createWorkspace(s, { name: 'x' })],
    ['workspaces.updateWorkspace', 'viewer', (s) => workspaces.updateWorkspace(s, ids.workspace, { name: 'x' })],
    ['workspaces.deleteWorkspace', 'viewer', (s) => workspaces.deleteWorkspace(s, ids.workspace)],
    ['dataSources.createDataSource', 'viewer', (s) => dataSources.createDataSource(s, { workspaceId: ids.workspace, name: 'x', connectionConfig: { file: { format: 'csv', location: '/x' } } })],
    ['dataSources.updateDataSource', 'viewer', (s) => dataSources.updateDataSource(s, ids.dataSource, { name: 'x' })],
    ['dataSources.deactivateDataSource', 'viewer', (s) => dataSources.deactivateDataSource(s, ids.dataSource)],
    ['sourceConnections.testDataSourceConnection', 'viewer', (s) => sourceConnections.testDataSourceConnection(s, ids.dataSource)],
    ['sourceConnections.testDataSourceConnectionConfig', 'viewer', (s) => sourceConnections.testDataSourceConnectionConfig(s, ids.workspace, { file: { format: 'csv', location: '/x' } })],
    ['sourceConnections.refreshDataSourceSchema', 'viewer', (s) => sourceConnections.refreshDataSourceSchema(s, ids.dataSource)],
    ['mappings.createMapping', 'viewer', (s) => mappings.createMapping(s, { workspaceId: ids.workspace, ...mapping })],
    ['mappings.updateMapping', 'viewer', (s) => mappings.updateMapping(s, ids.mapping, 1, { targetTable: 'x' })],
    ['mappings.setMappingStatus', 'viewer', (s) => mappings.setMappingStatus(s, ids.mapping, 'active')],
    ['mappings.deleteMapping', 'viewer', (s) => mappings.deleteMapping(s, ids.mapping)],
    ['jobs.createPipelineJob', 'viewer', (s) => jobs.createPipelineJob(s, { workspaceId: ids.workspace, jobType: 'incremental' })],
    ['jobs.retryPipelineJob', 'viewer', (s) => jobs.retryPipelineJob(s, ids.job)],
    ['jobs.cancelPipelineJob', 'viewer', (s) => jobs.cancelPipelineJob(s, ids.job)],
    ['users.createUser', 'editor', (s) => users.createUser(s, { email: 'x@example.test', role: 'viewer', password: 'long enough password' })],
    ['users.updateUserRole', 'editor', (s) => users.updateUserRole(s, ids.user, 'admin')],
    ['users.removeUser', 'editor', (s) => users.removeUser(s, ids.user)],
    ['users.transferOwnership', 'admin', (s) => users.transferOwnership(s, ids.user)],
    ['organizations.updateOrganization', 'editor', (s) => organizations.updateOrganization(s, { name: 'x' })],
    ['organizations.deleteOwnOrganization', 'admin', (s) => organizations.deleteOwnOrganization(s, world.org.slug)],
    ['accounts.createServiceAccount', 'editor', (s) => accounts.createServiceAccount(s, { name: 'x', role: 'viewer' })],
    ['accounts.createServiceAccountKey', 'editor', (s) => accounts.createServiceAccountKey(s, ids.account)],
    ['accounts.revokeServiceAccountKey', 'editor', (s) => accounts.revokeServiceAccountKey(s, ids.key)],
    ['accounts.revokeServiceAccount', 'editor', (s) => accounts.revokeServiceAccount(s, ids.account)],
    ['accounts.listServiceAccounts', 'editor', (s) => accounts.listServiceAccounts(s, {})],
    ['audit.listAuditEntries', 'editor', (s) => audit.listAuditEntries(s, {}, {})],
    ['audit.countAuditEntries', 'editor', (s) => audit.countAuditEntries(s, {})],
  ];

  it.each(calls)('%s called directly by a %s is a ForbiddenError and writes nothing', async (_name, role, call) => {
    const before = await snapshot(server);
    await expect((async () => call(scopeAs(role)))()).rejects.toBeInstanceOf(ForbiddenError);
    expect(await snapshot(server)).toEqual(before);
  });
});
