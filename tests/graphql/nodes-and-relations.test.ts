import { createActiveMapping, createJob, createWorkspace, globalId, gqlData, localId, mutate, NO_SUCH_UUID, useTestApi } from '../support/index.js';

const { server, org } = useTestApi();
let ids: { workspace: string; dataSource: string; mapping: string; job: string };

beforeAll(async () => {
  const token = org.users.editor.token;
  const workspace = await createWorkspace(server, token, 'Graph');
  const created = await mutate<{ dataSource: { id: string } }>(
    server,
    'mutation($input: CreateDataSourceInput!) { createDataSource(input: $input) { ... on CreateDataSourcePayload { dataSource { id } } } }',
    { input: { workspaceId: workspace, name: 'warehouse', connectionConfig: { snowflake: { account: 'a', warehouse: 'w', database: 'd', user: 'u' } } } },
    token,
  );
  const mapping = await createActiveMapping(server, token, workspace, { targetTable: 'dim_graph' });
  ids = { workspace, dataSource: created.dataSource.id, mapping, job: await createJob(server, token, workspace, 'MAPPING_TEST', [mapping]) };
});

const NODE_FIELDS = `__typename id
  ... on Organization { slug }
  ... on User { email }
  ... on Workspace { name }
  ... on DataSource { sourceType }
  ... on Mapping { targetTable }
  ... on PipelineJob { jobType }`;

describe('node and nodes', () => {
  it('node resolves a global ID of every node type', async () => {
    const expected = [
      { __typename: 'Organization', id: globalId('Organization', org.id), slug: org.slug },
      { __typename: 'User', id: globalId('User', org.users.admin.id), email: org.users.admin.email },
      { __typename: 'Workspace', id: ids.workspace, name: 'Graph' },
      { __typename: 'DataSource', id: ids.dataSource, sourceType: 'SNOWFLAKE' },
      { __typename: 'Mapping', id: ids.mapping, targetTable: 'dim_graph' },
      { __typename: 'PipelineJob', id: ids.job, jobType: 'MAPPING_TEST' },
    ];
    for (const node of expected) {
      expect(await gqlData(server, `query($id: ID!) { node(id: $id) { ${NODE_FIELDS} } }`, { id: node.id }, org.users.viewer.token)).toEqual({ node });
    }
  });

  it('nodes keeps the order asked for, with null for ids that do not exist or name the wrong type', async () => {
    const wrongType = globalId('Mapping', localId(ids.workspace));
    const data = await gqlData(
      server,
      `query($ids: [ID!]!) { nodes(ids: $ids) { ${NODE_FIELDS} } }`,
      { ids: [ids.job, globalId('Workspace', NO_SUCH_UUID), ids.workspace, wrongType, ids.mapping] },
      org.users.viewer.token,
    );
    expect(data).toEqual({
      nodes: [
        { __typename: 'PipelineJob', id: ids.job, jobType: 'MAPPING_TEST' },
        null,
        { __typename: 'Workspace', id: ids.workspace, name: 'Graph' },
        null,
        { __typename: 'Mapping', id: ids.mapping, targetTable: 'dim_graph' },
      ],
    });
  });
});

describe('relations, in both directions', () => {
  it('a workspace lists its data sources, mappings and jobs, and each points back to it', async () => {
    const data = await gqlData(
      server,
      `query($id: ID!) { workspace(id: $id) { name
         dataSources { totalCount edges { node { id workspace { id } } } }
         mappings { totalCount edges { node { id workspace { id } } } }
         pipelineJobs { totalCount edges { node { id workspace { id } createdBy { id } } } } } }`,
      { id: ids.workspace },
      org.users.viewer.token,
    );
    const back = { workspace: { id: ids.workspace } };
    expect(data).toEqual({
      workspace: {
        name: 'Graph',
        dataSources: { totalCount: 1, edges: [{ node: { id: ids.dataSource, ...back } }] },
        mappings: { totalCount: 1, edges: [{ node: { id: ids.mapping, ...back } }] },
        pipelineJobs: { totalCount: 1, edges: [{ node: { id: ids.job, ...back, createdBy: { id: globalId('User', org.users.editor.id) } } }] },
      },
    });
  });

  it('mapping.workspace, dataSource.workspace, job.workspace and job.createdBy resolve to whole nodes', async () => {
    const data = await gqlData(
      server,
      `query($m: ID!, $d: ID!, $j: ID!) {
         mapping(id: $m) { workspace { name } }
         dataSource(id: $d) { workspace { name } }
         pipelineJob(id: $j) { workspace { name } createdBy { email role organization { slug } } } }`,
      { m: ids.mapping, d: ids.dataSource, j: ids.job },
      org.users.viewer.token,
    );
    expect(data).toEqual({
      mapping: { workspace: { name: 'Graph' } },
      dataSource: { workspace: { name: 'Graph' } },
      pipelineJob: { workspace: { name: 'Graph' }, createdBy: { email: org.users.editor.email, role: 'EDITOR', organization: { slug: org.slug } } },
    });
  });

  it('user.organization and organization.users and .workspaces lead back to each other', async () => {
    const data = await gqlData(
      server,
      `{ me { organization { id users(first: 1) { edges { node { organization { id } } } } workspaces { edges { node { id } } } } } }`,
      {},
      org.users.owner.token,
    );
    const orgId = globalId('Organization', org.id);
    expect(data).toEqual({
      me: { organization: { id: orgId, users: { edges: [{ node: { organization: { id: orgId } } }] }, workspaces: { edges: [{ node: { id: ids.workspace } }] } } },
    });
  });
});
