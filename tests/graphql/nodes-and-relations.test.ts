import { createActiveMapping, createJob, createWorkspace, globalId, gqlData, localId, mutate, NO_SUCH_UUID, seedOrganization, useTestApi } from '../support/index.js';

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

  describe('mapping(id) showing its workspace: one statement reads both', () => {
    const MAPPING = `id version status sourceTable targetTable createdAt updatedAt
      fieldMappings { targetField source transform } cteDefinitions { name sql } decorators { type }
      workspace { id name description githubRepoUrl createdAt updatedAt settings { timezone defaultJobType retentionDays notificationEmails extra } }`;

    /** The statements a query sent for its data (asked twice: the first may authenticate). */
    async function counted(query: string, variables: Record<string, unknown>, token = org.users.viewer.token) {
      await gqlData(server, query, variables, token);
      server.db.counter.reset();
      const data = await gqlData(server, query, variables, token);
      return { data, statements: server.db.counter.data.length };
    }

    it('answers as the separate reads do (a mapping by id, then its workspace)', async () => {
      const joined = await counted(`query($id: ID!) { mapping(id: $id) { ${MAPPING} } }`, { id: ids.mapping });
      const separate = await counted(`query($id: ID!) { node(id: $id) { ... on Mapping { ${MAPPING} } } }`, { id: ids.mapping });
      expect(joined.data).toEqual({ mapping: (separate.data as { node: unknown }).node });
      expect(joined.data).toMatchObject({ mapping: { id: ids.mapping, targetTable: 'dim_graph', workspace: { id: ids.workspace, name: 'Graph' } } });
      expect(separate.statements).toBe(2);
      expect(joined.statements).toBe(1);
    });

    it('the workspace read with it is not read again later in the request', async () => {
      const run = await counted(`query($id: ID!) { mapping(id: $id) { workspace { name mappings(first: 5) { edges { node { workspace { name } } } } } } }`, { id: ids.mapping });
      expect(run.data).toEqual({ mapping: { workspace: { name: 'Graph', mappings: { edges: [{ node: { workspace: { name: 'Graph' } } }] } } } });
      // The mapping with its workspace, then the workspace's mappings; their workspace is the one already read.
      expect(run.statements).toBe(2);
    });

    it('finds a mapping whose global ID has its UUID in upper case, as node(id) and the loader do', async () => {
      const upper = globalId('Mapping', localId(ids.mapping).toUpperCase());
      const data = await gqlData(
        server,
        'query($id: ID!) { joined: mapping(id: $id) { id workspace { name } } loaded: mapping(id: $id) { id targetTable } node(id: $id) { id } }',
        { id: upper },
        org.users.viewer.token,
      );
      expect(data).toEqual({ joined: { id: ids.mapping, workspace: { name: 'Graph' } }, loaded: { id: ids.mapping, targetTable: 'dim_graph' }, node: { id: ids.mapping } });
    });

    it('is null for an id that does not exist or names a mapping of another organization', async () => {
      const other = await seedOrganization(server);
      const theirs = await createActiveMapping(server, other.users.editor.token, await createWorkspace(server, other.users.editor.token, 'Theirs'), { targetTable: 'dim_theirs' });
      const query = `query($id: ID!) { mapping(id: $id) { id workspace { name } } }`;
      expect(await gqlData(server, query, { id: theirs }, org.users.viewer.token)).toEqual({ mapping: null });
      expect(await gqlData(server, query, { id: globalId('Mapping', NO_SUCH_UUID) }, org.users.viewer.token)).toEqual({ mapping: null });
      expect(await gqlData(server, query, { id: theirs }, other.users.viewer.token)).toEqual({ mapping: { id: theirs, workspace: { name: 'Theirs' } } });
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
