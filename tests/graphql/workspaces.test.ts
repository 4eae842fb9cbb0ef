import {
  createJob,
  createWorkspace,
  ENTITY_ERROR_FIELDS,
  globalId,
  gqlData,
  ISO_DATE,
  localId,
  mutate,
  NO_SUCH_UUID,
  seedOrganization,
  tenantDbOf,
  useTestApi,
} from '../support/index.js';

const { server, org } = useTestApi();


const WORKSPACE = `id name description targetSchemaId githubRepoUrl repoSubdirectory createdAt updatedAt
  settings { timezone defaultJobType retentionDays notificationEmails extra }`;
const DEFAULT_SETTINGS = { timezone: 'UTC', defaultJobType: 'INCREMENTAL', retentionDays: 30, notificationEmails: [], extra: {} };

const CREATE = `mutation($input: CreateWorkspaceInput!) {
  createWorkspace(input: $input) { __typename ... on CreateWorkspacePayload { workspace { ${WORKSPACE} } } ${ENTITY_ERROR_FIELDS} }
}`;
const UPDATE = `mutation($input: UpdateWorkspaceInput!) {
  updateWorkspace(input: $input) { __typename ... on UpdateWorkspacePayload { workspace { ${WORKSPACE} } } ${ENTITY_ERROR_FIELDS} }
}`;
const DELETE = `mutation($id: ID!) {
  deleteWorkspace(id: $id) { __typename ... on DeleteWorkspacePayload { workspace { id name } } ${ENTITY_ERROR_FIELDS} }
}`;
const GET = `query($id: ID!) { workspace(id: $id) { ${WORKSPACE} } }`;

describe('me and organization', () => {
  it('me is the signed-in user, with their organization', async () => {
    const data = await gqlData(server, '{ me { id email displayName role mfaEnabled lastLoginAt organization { id name slug } } }', {}, org.users.editor.token);
    expect(data).toEqual({
      me: {
        id: globalId('User', org.users.editor.id),
        email: org.users.editor.email,
        displayName: `editor of ${org.slug}`,
        role: 'EDITOR',
        mfaEnabled: false,
        lastLoginAt: null,
        organization: { id: globalId('Organization', org.id), name: `Org ${org.slug}`, slug: org.slug },
      },
    });
  });

  it("organization shows the caller's organization with its users (newest first) and workspaces", async () => {
    const fresh = await seedOrganization(server);
    await createWorkspace(server, fresh.users.editor.token, 'Only one');
    const data = await gqlData(
      server,
      `{ organization { id name slug createdAt updatedAt
           users { totalCount edges { node { email role } } }
           workspaces { totalCount edges { node { name } } } } }`,
      {},
      fresh.users.viewer.token,
    );
    expect(data).toEqual({
      organization: {
        id: globalId('Organization', fresh.id),
        name: `Org ${fresh.slug}`,
        slug: fresh.slug,
        createdAt: ISO_DATE,
        updatedAt: ISO_DATE,
        users: {
          totalCount: 4,
          edges: (['owner', 'admin', 'editor', 'viewer'] as const).map((role) => ({ node: { email: fresh.users[role].email, role: role.toUpperCase() } })),
        },
        workspaces: { totalCount: 1, edges: [{ node: { name: 'Only one' } }] },
      },
    });
  });
});

describe('createWorkspace', () => {
  it('creates a workspace with the default settings and returns every field', async () => {
    const result = await mutate(server, CREATE, { input: { name: '  Sales  ' } }, org.users.editor.token);
    expect(result).toEqual({
      __typename: 'CreateWorkspacePayload',
      workspace: {
        id: expect.any(String),
        name: 'Sales',
        description: null,
        targetSchemaId: null,
        githubRepoUrl: null,
        repoSubdirectory: null,
        createdAt: ISO_DATE,
        updatedAt: ISO_DATE,
        settings: DEFAULT_SETTINGS,
      },
    });
  });

  it('keeps known settings typed and any other keys under extra, stored as one flat JSON object', async () => {
    const input = {
      name: 'Marketing',
      description: 'Campaign data',
      targetSchemaId: '5b0a8c2e-4f3d-4a1b-9c7e-2d6f8e1a3b5c',
      githubRepoUrl: 'https://github.com/acme/dbt',
      repoSubdirectory: 'models/marketing',
      settings: {
        timezone: 'Europe/Berlin',
        defaultJobType: 'FULL_REFRESH',
        retentionDays: 90,
        notificationEmails: ['data@acme.test'],
        extra: { slackChannel: '#data', thresholds: { warn: 5, fail: [1, 2] } },
      },
    };
    const result = await mutate<{ workspace: { id: string } }>(server, CREATE, { input }, org.users.editor.token);
    expect(result).toEqual({
      __typename: 'CreateWorkspacePayload',
      workspace: { ...input, id: expect.any(String), createdAt: ISO_DATE, updatedAt: ISO_DATE },
    });
    const row = await tenantDbOf(server, org).selectFrom('workspaces').select('settings').where('id', '=', localId(result.workspace.id)).executeTakeFirstOrThrow();
    expect(row.settings).toEqual({
      timezone: 'Europe/Berlin',
      defaultJobType: 'full_refresh',
      retentionDays: 90,
      notificationEmails: ['data@acme.test'],
      slackChannel: '#data',
      thresholds: { warn: 5, fail: [1, 2] },
    });
  });
});

describe('workspace query', () => {
  it('returns a workspace by id, and null for an id that does not exist', async () => {
    const id = await createWorkspace(server, org.users.editor.token, 'Lookup');
    expect(await gqlData(server, GET, { id }, org.users.viewer.token)).toEqual({
      workspace: { id, name: 'Lookup', description: null, targetSchemaId: null, githubRepoUrl: null, repoSubdirectory: null, createdAt: ISO_DATE, updatedAt: ISO_DATE, settings: DEFAULT_SETTINGS },
    });
    expect(await gqlData(server, GET, { id: globalId('Workspace', NO_SUCH_UUID) }, org.users.viewer.token)).toEqual({ workspace: null });
  });
});

describe('updateWorkspace', () => {
  it('changes only the fields given and merges settings over the stored ones', async () => {
    const id = await createWorkspace(server, org.users.editor.token, 'Finance', { description: 'Ledger', settings: { timezone: 'Asia/Tokyo', extra: { owner: 'cfo' } } });
    const before = await gqlData<{ workspace: { createdAt: string; updatedAt: string } }>(server, GET, { id }, org.users.viewer.token);
    const result = await mutate<{ workspace: { updatedAt: string } }>(server, UPDATE, { input: { id, name: 'Finance EU', settings: { retentionDays: 7 } } }, org.users.editor.token);
    expect(result).toEqual({
      __typename: 'UpdateWorkspacePayload',
      workspace: {
        id,
        name: 'Finance EU',
        description: 'Ledger',
        targetSchemaId: null,
        githubRepoUrl: null,
        repoSubdirectory: null,
        createdAt: before.workspace.createdAt,
        updatedAt: ISO_DATE,
        settings: { ...DEFAULT_SETTINGS, timezone: 'Asia/Tokyo', retentionDays: 7, extra: { owner: 'cfo' } },
      },
    });
    expect(Date.parse(result.workspace.updatedAt)).toBeGreaterThan(Date.parse(before.workspace.updatedAt));
  });

  it('replaces extra when it is given', async () => {
    const id = await createWorkspace(server, org.users.editor.token, 'Ops', { settings: { extra: { a: 1, b: 2 } } });
    const result = await mutate<{ workspace: { settings: unknown } }>(server, UPDATE, { input: { id, settings: { extra: { c: 3 } } } }, org.users.editor.token);
    expect(result.workspace.settings).toEqual({ ...DEFAULT_SETTINGS, extra: { c: 3 } });
  });
});

describe('deleteWorkspace', () => {
  const ADD_SOURCE = `mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { __typename } }`;
  const CANCEL = `mutation($id: ID!) { cancelPipelineJob(id: $id) { __typename } }`;

  async function childCounts(workspaceId: string) {
    const db = tenantDbOf(server, org);
    const count = async (table: 'data_sources' | 'mappings' | 'pipeline_jobs') =>
      Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow()).n);
    return { dataSources: await count('data_sources'), mappings: await count('mappings'), jobs: await count('pipeline_jobs') };
  }

  it('deletes the workspace with its data sources, mappings and finished jobs', async () => {
    const id = await createWorkspace(server, org.users.editor.token, 'Doomed');
    await mutate(server, ADD_SOURCE, { input: { workspaceId: id, name: 'files', connectionConfig: { file: { format: 'csv', location: 's3://b/k' } } } }, org.users.editor.token);
    const job = await createJob(server, org.users.editor.token, id); // with an active mapping of its own
    await mutate(server, CANCEL, { id: job }, org.users.editor.token);
    expect(await childCounts(localId(id))).toEqual({ dataSources: 1, mappings: 1, jobs: 1 });

    expect(await mutate(server, DELETE, { id }, org.users.editor.token)).toEqual({ __typename: 'DeleteWorkspacePayload', workspace: { id, name: 'Doomed' } });
    expect(await gqlData(server, GET, { id }, org.users.viewer.token)).toEqual({ workspace: null });
    expect(await childCounts(localId(id))).toEqual({ dataSources: 0, mappings: 0, jobs: 0 });
  });

  it.each(['pending', 'running'] as const)('is refused with a ConflictError while a job is %s, deleting nothing', async (status) => {
    const id = await createWorkspace(server, org.users.editor.token, `Busy ${status}`);
    const job = await createJob(server, org.users.editor.token, id); // with an active mapping of its own
    await tenantDbOf(server, org).updateTable('pipeline_jobs').set({ status }).where('id', '=', localId(job)).execute();

    expect(await mutate(server, DELETE, { id }, org.users.editor.token)).toEqual({
      __typename: 'ConflictError',
      code: 'CONFLICT',
      message: 'Workspace has 1 pending or running job(s); cancel them or wait for them to finish',
      currentVersion: null,
      currentStatus: null,
    });
    expect(await childCounts(localId(id))).toEqual({ dataSources: 0, mappings: 1, jobs: 1 });

    await mutate(server, CANCEL, { id: job }, org.users.editor.token);
    expect(await mutate(server, DELETE, { id }, org.users.editor.token)).toEqual({ __typename: 'DeleteWorkspacePayload', workspace: { id, name: `Busy ${status}` } });
  });
});
