import { ERROR_FIELDS, failure, globalId, gqlData, type SeededOrg, seedOrganization, tableText, useTestApi } from '../support/index.js';

const { server, org } = useTestApi();
let other: SeededOrg;
const requestIds: Record<string, string> = {};
/** An instant between the editor's updateMe and createDataSource (the server shares this clock). */
let between: Date;
const PASSWORDS = ['first-Pg-pa55word!', 'second-Pg-pa55word!'];

interface Entry {
  action: string;
  entityType: string;
  entityId: string | null;
  actorType: string;
  actorId: string | null;
  changes: Record<string, { before: unknown; after: unknown }>;
  requestId: string | null;
  clientAddress: string | null;
  createdAt: string;
}
interface AuditPage { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: Entry }[] }

const AUDIT_LOG = `query($action: String, $entityType: String, $entityId: ID, $actorId: ID, $createdAfter: DateTime, $first: Int, $after: String) {
  auditLog(action: $action, entityType: $entityType, entityId: $entityId, actorId: $actorId, createdAfter: $createdAfter, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { action entityType entityId actorType actorId changes requestId clientAddress createdAt } }
  }
}`;

const auditLog = async (vars: Record<string, unknown> = {}, token = org.users.admin.token) =>
  (await gqlData<{ auditLog: AuditPage }>(server, AUDIT_LOG, vars, token)).auditLog;
const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
const nodes = (page: AuditPage) => page.edges.map((e) => e.node);

/** Runs a mutation that must succeed and remembers its x-request-id under `name`. */
async function act(name: string, query: string, variables: Record<string, unknown>, token: string): Promise<Record<string, unknown>> {
  const res = await server.gql<Record<string, Record<string, unknown>>>(query, variables, token);
  const result = Object.values(res.body.data ?? {})[0];
  if (!result || 'code' in result) throw new Error(`${name} failed: ${JSON.stringify(res.body)}`);
  requestIds[name] = res.headers.get('x-request-id')!;
  return result;
}

beforeAll(async () => {
  other = await seedOrganization(server);
  const ws = await act('createWorkspace', `mutation { createWorkspace(input: { name: "Audited" }) { ... on CreateWorkspacePayload { workspace { id } } ${ERROR_FIELDS} } }`, {}, org.users.editor.token);
  const workspaceId = (ws.workspace as { id: string }).id;
  await act('updateMe', `mutation { updateMe(displayName: "Eddie Editor") { ... on UpdateMePayload { user { id } } ${ERROR_FIELDS} } }`, {}, org.users.editor.token);
  // DateTime has millisecond precision: keep the instant clear of both neighbours.
  await pause();
  between = new Date();
  await pause();
  const pg = (password: string) => ({ postgresql: { host: 'db.internal', database: 'sales', user: 'reader', password } });
  const ds = await act(
    'createDataSource',
    `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { ... on CreateDataSourcePayload { dataSource { id } } ${ERROR_FIELDS} } }`,
    { input: { workspaceId, name: 'Sales DB', connectionConfig: pg(PASSWORDS[0]!) } },
    org.users.editor.token,
  );
  await act(
    'updateDataSource',
    `mutation($input: UpdateDataSourceInput!) { updateDataSource(input: $input) { ... on UpdateDataSourcePayload { dataSource { id } } ${ERROR_FIELDS} } }`,
    { input: { id: (ds.dataSource as { id: string }).id, name: 'Sales DB (rotated)', connectionConfig: pg(PASSWORDS[1]!) } },
    org.users.editor.token,
  );
  await act('otherUpdateMe', `mutation { updateMe(displayName: "Other admin") { ... on UpdateMePayload { user { id } } ${ERROR_FIELDS} } }`, {}, other.users.admin.token);
});

describe('auditLog', () => {
  it('records who did what, from which request and address, with the changed fields before and after', async () => {
    expect(nodes(await auditLog({ action: 'user.updateMe' }))).toEqual([
      {
        action: 'user.updateMe',
        entityType: 'User',
        entityId: globalId('User', org.users.editor.id),
        actorType: 'user',
        actorId: globalId('User', org.users.editor.id),
        changes: { display_name: { before: `editor of ${org.slug}`, after: 'Eddie Editor' } },
        requestId: requestIds.updateMe,
        clientAddress: '127.0.0.1',
        createdAt: expect.any(String),
      },
    ]);
    expect(requestIds.updateMe).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('filters by entity type, entity id, actor and time, newest first', async () => {
    expect(nodes(await auditLog({ entityType: 'Workspace' })).map((e) => [e.action, e.requestId])).toEqual([['workspace.create', requestIds.createWorkspace]]);
    const onDataSources = nodes(await auditLog({ entityType: 'DataSource' }));
    expect(onDataSources.map((e) => e.action)).toEqual(['dataSource.update', 'dataSource.create']);
    expect(nodes(await auditLog({ entityId: onDataSources[1]!.entityId })).map((e) => e.action)).toEqual(['dataSource.update', 'dataSource.create']);

    const byEditor = nodes(await auditLog({ actorId: globalId('User', org.users.editor.id) }));
    expect(byEditor.map((e) => e.action)).toEqual(['dataSource.update', 'dataSource.create', 'user.updateMe', 'workspace.create']);
    expect(nodes(await auditLog({ actorId: globalId('User', org.users.viewer.id) }))).toEqual([]);

    const after = nodes(await auditLog({ createdAfter: between.toISOString() }));
    expect(after.map((e) => e.action)).toEqual(['dataSource.update', 'dataSource.create']);
  });

  it('pages through the entries with first/after and counts them all', async () => {
    const all = nodes(await auditLog());
    const first = await auditLog({ first: 2 });
    const rest = await auditLog({ first: 10, after: first.pageInfo.endCursor });

    expect(first.totalCount).toBe(all.length);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect([...nodes(first), ...nodes(rest)]).toEqual(all);
    expect(all.map((e) => e.action)).toEqual(['dataSource.update', 'dataSource.create', 'user.updateMe', 'workspace.create', 'organization.create']);
  });

  it('shows each organization only its own entries', async () => {
    expect(nodes(await auditLog({ action: 'user.updateMe' }, other.users.admin.token)).map((e) => [e.actorId, e.requestId])).toEqual([
      [globalId('User', other.users.admin.id), requestIds.otherUpdateMe],
    ]);
  });

  it('names a service account as the actor of what it did with its API key', async () => {
    const created = await gqlData<{ createServiceAccount: { apiKey: string; serviceAccount: { id: string } } }>(
      server,
      'mutation { createServiceAccount(input: { name: "ci", role: EDITOR }) { ... on ApiKeyPayload { apiKey serviceAccount { id } } } }',
      {},
      org.users.admin.token,
    );
    const { apiKey, serviceAccount } = created.createServiceAccount;
    await act('byServiceAccount', `mutation { createWorkspace(input: { name: "By CI" }) { ... on CreateWorkspacePayload { workspace { id } } ${ERROR_FIELDS} } }`, {}, apiKey);

    expect(nodes(await auditLog({ actorId: serviceAccount.id }))).toEqual([
      expect.objectContaining({ action: 'workspace.create', actorType: 'service_account', actorId: serviceAccount.id, requestId: requestIds.byServiceAccount }),
    ]);
    expect(JSON.stringify(nodes(await auditLog({ action: 'serviceAccount.create' })))).not.toContain(apiKey.slice(17));
  });

  it.each(['viewer', 'editor'] as const)('is refused to a %s with FORBIDDEN', async (role) => {
    const res = await server.gql(AUDIT_LOG, {}, org.users[role].token);
    expect(failure(res)).toEqual({ status: 200, codes: ['FORBIDDEN'] });
    expect(res.body.data).toBeNull();
  });

  it('never holds a data source password, only that one was set or changed', async () => {
    const text = await tableText(server, 'audit_log');
    for (const password of PASSWORDS) expect(text).not.toContain(password);

    const [update] = nodes(await auditLog({ action: 'dataSource.update' }));
    expect(update!.changes.name).toEqual({ before: 'Sales DB', after: 'Sales DB (rotated)' });
    expect(JSON.stringify(update!.changes)).not.toMatch(/pa55word/);
  });
});
