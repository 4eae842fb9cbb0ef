import {
  createActiveMapping,
  createJob,
  createMapping,
  createWorkspace,
  ENTITY_ERROR_FIELDS,
  globalId,
  gqlData,
  localId,
  mutate,
  type SeededOrg,
  seedOrganization,
  tenantDbOf,
  useTestApi,
} from '../support/index.js';

const { server } = useTestApi({ organization: false });
let a: SeededOrg;
let b: SeededOrg;
type Ids = { workspace: string; dataSource: string; mapping: string; job: string };
let aIds: Ids;
let bIds: Ids;

async function seedContent(org: SeededOrg, name: string): Promise<Ids> {
  const token = org.users.editor.token;
  const workspace = await createWorkspace(server, token, name);
  const created = await mutate<{ dataSource: { id: string } }>(
    server,
    'mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { ... on CreateDataSourcePayload { dataSource { id } } } }',
    { input: { workspaceId: workspace, name: `${name} db`, connectionConfig: { postgresql: { host: 'h', database: 'd', user: 'u', password: `${name}-pw` } } } },
    token,
  );
  return { workspace, dataSource: created.dataSource.id, ...(await (async () => {
    const mapping = await createActiveMapping(server, token, workspace);
    return { mapping, job: await createJob(server, token, workspace, 'MAPPING_TEST', [mapping]) };
  })()) };
}

beforeAll(async () => {
  a = await seedOrganization(server);
  b = await seedOrganization(server);
  aIds = await seedContent(a, 'Alpha');
  bIds = await seedContent(b, 'Beta');
  await createMapping(server, b.users.editor.token, bIds.workspace, { targetTable: 'beta_extra' });
  await createJob(server, b.users.editor.token, bIds.workspace);
});

const BY_ID = `query($w: ID!, $d: ID!, $m: ID!, $j: ID!) {
  workspace(id: $w) { name } dataSource(id: $d) { name } mapping(id: $m) { targetTable } pipelineJob(id: $j) { status }
}`;
const byIdVars = (ids: Ids) => ({ w: ids.workspace, d: ids.dataSource, m: ids.mapping, j: ids.job });

/** Every row of B's tenant tables. */
async function snapshotOfB() {
  const db = tenantDbOf(server, b);
  return Promise.all((['workspaces', 'data_sources', 'mappings', 'pipeline_jobs'] as const).map((t) => db.selectFrom(t).selectAll().orderBy('id').execute()));
}

describe('reading across organizations', () => {
  it("finds nothing of B by id with A's token, while B's own token finds it all", async () => {
    expect(await gqlData(server, BY_ID, byIdVars(bIds), a.users.owner.token)).toEqual({ workspace: null, dataSource: null, mapping: null, pipelineJob: null });
    expect(await gqlData(server, BY_ID, byIdVars(bIds), b.users.viewer.token)).toEqual({
      workspace: { name: 'Beta' },
      dataSource: { name: 'Beta db' },
      mapping: { targetTable: 'dim_customer' },
      pipelineJob: { status: 'PENDING' },
    });
  });

  it("node and nodes return null for every kind of B's node, including its organization and users", async () => {
    const bNodes = [globalId('Organization', b.id), globalId('User', b.users.owner.id), bIds.workspace, bIds.dataSource, bIds.mapping, bIds.job];
    for (const id of bNodes) {
      expect(await gqlData(server, 'query($id: ID!) { node(id: $id) { id } }', { id }, a.users.owner.token)).toEqual({ node: null });
    }
    expect(await gqlData(server, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids: [...bNodes, aIds.workspace] }, a.users.owner.token)).toEqual({
      nodes: [...bNodes.map(() => null), { id: aIds.workspace }],
    });
  });

  it("lists filtered by B's workspace are empty", async () => {
    const data = await gqlData(
      server,
      'query($w: ID!) { mappings(workspaceId: $w) { totalCount edges { node { id } } } pipelineJobs(workspaceId: $w) { totalCount edges { node { id } } } }',
      { w: bIds.workspace },
      a.users.owner.token,
    );
    expect(data).toEqual({ mappings: { totalCount: 0, edges: [] }, pipelineJobs: { totalCount: 0, edges: [] } });
  });

  it("counts and lists hold A's rows only", async () => {
    const data = await gqlData(
      server,
      `{ workspaces { totalCount edges { node { id } } } mappings { totalCount edges { node { id } } }
         pipelineJobs { totalCount edges { node { id } } } organization { users { totalCount edges { node { email } } } } }`,
      {},
      a.users.viewer.token,
    );
    expect(data).toEqual({
      workspaces: { totalCount: 1, edges: [{ node: { id: aIds.workspace } }] },
      mappings: { totalCount: 1, edges: [{ node: { id: aIds.mapping } }] },
      pipelineJobs: { totalCount: 1, edges: [{ node: { id: aIds.job } }] },
      organization: { users: { totalCount: 4, edges: (['owner', 'admin', 'editor', 'viewer'] as const).map((r) => ({ node: { email: a.users[r].email } })) } },
    });
  });

  it("never resolves a job's creator to a user of another organization", async () => {
    const row = await tenantDbOf(server, a)
      .insertInto('pipeline_jobs')
      .values({ workspace_id: localId(aIds.workspace), job_type: 'incremental', status: 'completed', created_by: b.users.owner.id })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect(await gqlData(server, 'query($id: ID!) { pipelineJob(id: $id) { status createdBy { email } } }', { id: globalId('PipelineJob', row.id) }, a.users.viewer.token)).toEqual({
      pipelineJob: { status: 'COMPLETED', createdBy: null },
    });
    await tenantDbOf(server, a).deleteFrom('pipeline_jobs').where('id', '=', row.id).execute();
  });
});

describe("changing B's rows with A's token", () => {
  const result = (name: string, args: string, params: string) => `mutation(${params}) { ${name}${args} { __typename ${ENTITY_ERROR_FIELDS} } }`;
  const notFound = (entityType: string, id: string) => ({ __typename: 'NotFoundError', code: 'NOT_FOUND', entityType, message: `${entityType} ${localId(id)} was not found` });

  it.each<[string, string, string, () => Record<string, unknown>, () => [string, string]]>([
    ['updateWorkspace', '(input: $input)', '$input: UpdateWorkspaceInput!', () => ({ input: { id: bIds.workspace, name: 'Hijacked' } }), () => ['Workspace', bIds.workspace]],
    ['deleteWorkspace', '(id: $id)', '$id: ID!', () => ({ id: bIds.workspace }), () => ['Workspace', bIds.workspace]],
    ['createDataSource', '(input: $input)', '$input: CreateDataSourceInput!', () => ({ input: { workspaceId: bIds.workspace, name: 'x', connectionConfig: { file: { format: 'csv', location: '/x' } } } }), () => ['Workspace', bIds.workspace]],
    ['updateDataSource', '(input: $input)', '$input: UpdateDataSourceInput!', () => ({ input: { id: bIds.dataSource, connectionConfig: { postgresql: { host: 'evil', database: 'd', user: 'u' } } } }), () => ['DataSource', bIds.dataSource]],
    ['deactivateDataSource', '(id: $id)', '$id: ID!', () => ({ id: bIds.dataSource }), () => ['DataSource', bIds.dataSource]],
    ['createMapping', '(input: $input)', '$input: CreateMappingInput!', () => ({ input: { workspaceId: bIds.workspace, sourceTable: 's', targetTable: 't', fieldMappings: [{ targetField: 'a', source: 'b' }] } }), () => ['Workspace', bIds.workspace]],
    ['updateMapping', '(input: $input)', '$input: UpdateMappingInput!', () => ({ input: { id: bIds.mapping, expectedVersion: 1, targetTable: 'hijacked' } }), () => ['Mapping', bIds.mapping]],
    ['setMappingStatus', '(id: $id, status: ACTIVE)', '$id: ID!', () => ({ id: bIds.mapping }), () => ['Mapping', bIds.mapping]],
    ['deleteMapping', '(id: $id)', '$id: ID!', () => ({ id: bIds.mapping }), () => ['Mapping', bIds.mapping]],
    ['createPipelineJob', '(input: { workspaceId: $id, jobType: FULL_REFRESH })', '$id: ID!', () => ({ id: bIds.workspace }), () => ['Workspace', bIds.workspace]],
    ['retryPipelineJob', '(id: $id)', '$id: ID!', () => ({ id: bIds.job }), () => ['PipelineJob', bIds.job]],
    ['cancelPipelineJob', '(id: $id)', '$id: ID!', () => ({ id: bIds.job }), () => ['PipelineJob', bIds.job]],
  ])('%s is a NotFoundError and leaves B unchanged', async (name, args, params, variables, target) => {
    const before = await snapshotOfB();
    expect(await mutate(server, result(name, args, params), variables(), a.users.owner.token)).toEqual(notFound(...target()));
    expect(await snapshotOfB()).toEqual(before);
  });
});
