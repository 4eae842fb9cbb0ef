import { createMapping, createWorkspace, errorsOf, globalId, gqlData, localId, mutate, seedOrganization, tenantDbOf, useTestApi } from '../support/index.js';

const { server, org } = useTestApi();
let ws1: string;
let ws2: string;
/** Global ID → the label a test names it by. */
const labels = new Map<string, string>();

type Page = { totalCount: number; edges: { node: { id: string } }[] };
const labelled = (page: Page) => ({ totalCount: page.totalCount, labels: page.edges.map((e) => labels.get(e.node.id) ?? e.node.id) });

beforeAll(async () => {
  const token = org.users.editor.token;
  ws1 = await createWorkspace(server, token, 'One');
  ws2 = await createWorkspace(server, token, 'Two');

  // Mappings, oldest first.
  const mappings: [string, string, Parameters<typeof createMapping>[3]][] = [
    ['m1', ws1, { sourceTable: 'crm.customers', targetTable: 'dim_customer', fieldMappings: [{ targetField: 'customer_id', source: 'cust_id' }, { targetField: 'email', source: 'email', transform: 'lower' }] }],
    ['m2', ws1, { sourceTable: 'crm.orders', targetTable: 'fct_order', fieldMappings: [{ targetField: 'order_id', source: 'id' }, { targetField: 'customer_id', source: 'cust_id' }] }],
    ['m3', ws2, { sourceTable: 'crm.customers', targetTable: 'dim_contact', fieldMappings: [{ targetField: 'contact_id', source: 'id' }, { targetField: 'email', source: 'email_addr' }] }],
  ];
  for (const [label, ws, input] of mappings) labels.set(await createMapping(server, token, ws, input), label);
  const m1 = [...labels].find(([, l]) => l === 'm1')![0];
  await mutate(server, 'mutation($id: ID!) { setMappingStatus(id: $id, status: ACTIVE) { __typename } }', { id: m1 }, token);

  // Jobs at fixed times, one day apart.
  const jobs = [
    ['j1', ws1, 'full_refresh', 'completed', '2024-01-01T00:00:00Z'],
    ['j2', ws1, 'incremental', 'failed', '2024-01-02T00:00:00Z'],
    ['j3', ws1, 'incremental', 'pending', '2024-01-03T00:00:00Z'],
    ['j4', ws2, 'mapping_test', 'completed', '2024-01-04T00:00:00Z'],
    ['j5', ws2, 'incremental', 'running', '2024-01-05T00:00:00Z'],
  ] as const;
  for (const [label, ws, job_type, status, at] of jobs) {
    const row = await tenantDbOf(server, org)
      .insertInto('pipeline_jobs')
      .values({ workspace_id: localId(ws), job_type, status, created_by: org.users.editor.id, created_at: new Date(at) } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    labels.set(globalId('PipelineJob', row.id), label);
  }
});

const ws = (name: 'ws1' | 'ws2') => (name === 'ws1' ? ws1 : ws2);

describe('mappings filters', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ['no filter: every mapping, newest first', {}, ['m3', 'm2', 'm1']],
    ['workspaceId', { workspaceId: 'ws1' }, ['m2', 'm1']],
    ['status', { status: 'ACTIVE' }, ['m1']],
    ['sourceTable', { sourceTable: 'crm.customers' }, ['m3', 'm1']],
    ['targetTable', { targetTable: 'fct_order' }, ['m2']],
    ['hasTargetField', { hasTargetField: 'email' }, ['m3', 'm1']],
    ['hasTargetField on a field no mapping has', { hasTargetField: 'cust_id' }, []],
    ['fieldMappingsContain with a source', { fieldMappingsContain: { targetField: 'customer_id', source: 'cust_id' } }, ['m2', 'm1']],
    ['fieldMappingsContain with a transform', { fieldMappingsContain: { targetField: 'email', transform: 'lower' } }, ['m1']],
    ['fieldMappingsContain with only the target field', { fieldMappingsContain: { targetField: 'email' } }, ['m3', 'm1']],
    ['fieldMappingsContain that matches nothing', { fieldMappingsContain: { targetField: 'email', source: 'nope' } }, []],
    ['workspaceId and hasTargetField together', { workspaceId: 'ws1', hasTargetField: 'email' }, ['m1']],
    ['fieldMappingsContain with a source and a transform', { fieldMappingsContain: { targetField: 'email', source: 'email', transform: 'lower' } }, ['m1']],
    ['fieldMappingsContain with a transform the field does not have', { fieldMappingsContain: { targetField: 'customer_id', transform: 'lower' } }, []],
    ['fieldMappingsContain and workspaceId together', { workspaceId: 'ws2', fieldMappingsContain: { targetField: 'email' } }, ['m3']],
    ['fieldMappingsContain and status together', { status: 'DRAFT', fieldMappingsContain: { targetField: 'customer_id', source: 'cust_id' } }, ['m2']],
  ])('%s', async (_case, filter, expected) => {
    const variables = { ...filter, ...(filter.workspaceId ? { workspaceId: ws(filter.workspaceId as 'ws1') } : {}) };
    const data = await gqlData<{ mappings: Page }>(
      server,
      `query($workspaceId: ID, $status: MappingStatus, $sourceTable: String, $targetTable: String, $hasTargetField: String, $fieldMappingsContain: FieldMappingContainsInput) {
         mappings(workspaceId: $workspaceId, status: $status, sourceTable: $sourceTable, targetTable: $targetTable, hasTargetField: $hasTargetField, fieldMappingsContain: $fieldMappingsContain) {
           totalCount edges { node { id } } } }`,
      variables,
      org.users.viewer.token,
    );
    expect(labelled(data.mappings)).toEqual({ totalCount: expected.length, labels: expected });
  });

  it("another organization's search finds none of these mappings, with the same filters and counts none", async () => {
    const other = await seedOrganization(server);
    const data = await gqlData<{ a: Page; b: Page }>(
      server,
      `{ a: mappings(fieldMappingsContain: { targetField: "customer_id", source: "cust_id" }) { totalCount edges { node { id } } }
         b: mappings(hasTargetField: "email") { totalCount edges { node { id } } } }`,
      {},
      other.users.viewer.token,
    );
    expect(data).toEqual({ a: { totalCount: 0, edges: [] }, b: { totalCount: 0, edges: [] } });
  });

  it('workspace.mappings filters by status within the workspace', async () => {
    const data = await gqlData<{ workspace: { draft: Page; active: Page } }>(
      server,
      'query($id: ID!) { workspace(id: $id) { draft: mappings(status: DRAFT) { totalCount edges { node { id } } } active: mappings(status: ACTIVE) { totalCount edges { node { id } } } } }',
      { id: ws1 },
      org.users.viewer.token,
    );
    expect({ draft: labelled(data.workspace.draft), active: labelled(data.workspace.active) }).toEqual({
      draft: { totalCount: 1, labels: ['m2'] },
      active: { totalCount: 1, labels: ['m1'] },
    });
  });
});

describe('mappings with totalCount: the page and its count are one statement', () => {
  const QUERY = `query($c: FieldMappingContainsInput, $after: String) {
    mappings(fieldMappingsContain: $c, first: 1, after: $after) { totalCount pageInfo { endCursor } edges { node { id } } } }`;
  /** The data and how many statements it took besides authentication's one. */
  const counted = async (variables: Record<string, unknown>) => {
    server.db.counter.reset();
    const data = await gqlData<{ mappings: Page & { pageInfo: { endCursor: string | null } } }>(server, QUERY, variables, org.users.viewer.token);
    return { page: labelled(data.mappings), endCursor: data.mappings.pageInfo.endCursor, statements: server.db.counter.data.length };
  };

  it('with and without the contains filter, after a cursor too; an empty page after a cursor is counted apart', async () => {
    const c = { targetField: 'customer_id', source: 'cust_id' };
    const first = await counted({ c });
    expect({ page: first.page, statements: first.statements }).toEqual({ page: { totalCount: 2, labels: ['m2'] }, statements: 1 });
    const second = await counted({ c, after: first.endCursor });
    expect({ page: second.page, statements: second.statements }).toEqual({ page: { totalCount: 2, labels: ['m1'] }, statements: 1 });
    const past = await counted({ c, after: second.endCursor });
    expect({ page: past.page, statements: past.statements }).toEqual({ page: { totalCount: 2, labels: [] }, statements: 2 });
    expect((await counted({})).statements).toBe(1);
  });
});

describe('fieldMappingsContain follows every write of a mapping', () => {
  const CONTAINS = `query($c: FieldMappingContainsInput!) { mappings(fieldMappingsContain: $c) { totalCount edges { node { id } } } }`;
  const found = async (c: Record<string, string>) => {
    const page = (await gqlData<{ mappings: Page }>(server, CONTAINS, { c }, org.users.viewer.token)).mappings;
    return { totalCount: page.totalCount, ids: page.edges.map((e) => e.node.id) };
  };
  const ok = async (mutation: string, variables: Record<string, unknown>) =>
    expect(await mutate<{ __typename: string }>(server, mutation, variables, org.users.editor.token)).toMatchObject({ __typename: expect.stringMatching(/Payload$/) });

  it('create, update, restore a version, delete the mapping, delete its workspace', async () => {
    const token = org.users.editor.token;
    const workspace = await createWorkspace(server, token, 'Writes');
    const byOrderKey = { targetField: 'order_key', source: 'ord_no' };
    const mapping = await createMapping(server, token, workspace, { fieldMappings: [{ targetField: 'order_key', source: 'ord_no' }, { targetField: 'amount', source: 'amt' }] });
    expect(await found(byOrderKey)).toEqual({ totalCount: 1, ids: [mapping] });

    // Version 2: order_key now from another column, amount gone, a new field.
    await ok(`mutation($input: UpdateMappingInput!) { updateMapping(input: $input) { __typename } }`, {
      input: { id: mapping, expectedVersion: 1, fieldMappings: [{ targetField: 'order_key', source: 'order_number' }, { targetField: 'placed_on', transform: 'date(placed_at)' }] },
    });
    expect(await found(byOrderKey)).toEqual({ totalCount: 0, ids: [] });
    expect(await found({ targetField: 'amount' })).toEqual({ totalCount: 0, ids: [] });
    expect(await found({ targetField: 'order_key', source: 'order_number' })).toEqual({ totalCount: 1, ids: [mapping] });
    expect(await found({ targetField: 'placed_on', transform: 'date(placed_at)' })).toEqual({ totalCount: 1, ids: [mapping] });

    // Version 3: version 1 restored.
    await ok(`mutation { restoreMappingVersion(id: "${mapping}", version: 1, expectedVersion: 2) { __typename } }`, {});
    expect(await found(byOrderKey)).toEqual({ totalCount: 1, ids: [mapping] });
    expect(await found({ targetField: 'amount', source: 'amt' })).toEqual({ totalCount: 1, ids: [mapping] });
    expect(await found({ targetField: 'placed_on' })).toEqual({ totalCount: 0, ids: [] });

    await ok(`mutation($id: ID!) { deleteMapping(id: $id) { __typename } }`, { id: mapping });
    expect(await found(byOrderKey)).toEqual({ totalCount: 0, ids: [] });

    const again = await createMapping(server, token, workspace, { fieldMappings: [{ targetField: 'order_key', source: 'ord_no' }] });
    expect(await found(byOrderKey)).toEqual({ totalCount: 1, ids: [again] });
    await ok(`mutation($id: ID!) { deleteWorkspace(id: $id) { __typename } }`, { id: workspace });
    expect(await found(byOrderKey)).toEqual({ totalCount: 0, ids: [] });
    // nothing of the workspace's mappings is left behind in the side table
    expect(await tenantDbOf(server, org).selectFrom('mapping_field_sources').select('mapping_id').where('mapping_id', 'in', [localId(mapping), localId(again)]).execute()).toEqual([]);
  });
});

describe('pipelineJobs filters', () => {
  it.each<[string, Record<string, unknown>, string[]]>([
    ['no filter: every job, newest first', {}, ['j5', 'j4', 'j3', 'j2', 'j1']],
    ['workspaceId', { workspaceId: 'ws1' }, ['j3', 'j2', 'j1']],
    ['status', { status: 'COMPLETED' }, ['j4', 'j1']],
    ['jobType', { jobType: 'INCREMENTAL' }, ['j5', 'j3', 'j2']],
    ['createdAfter (exclusive)', { createdAfter: '2024-01-03T00:00:00Z' }, ['j5', 'j4']],
    ['createdBefore (exclusive)', { createdBefore: '2024-01-03T00:00:00Z' }, ['j2', 'j1']],
    ['createdAfter and createdBefore together', { createdAfter: '2024-01-01T00:00:00Z', createdBefore: '2024-01-05T00:00:00Z' }, ['j4', 'j3', 'j2']],
    ['workspaceId and jobType together', { workspaceId: 'ws2', jobType: 'INCREMENTAL' }, ['j5']],
    ['a status no job has', { status: 'CANCELLED' }, []],
  ])('%s', async (_case, filter, expected) => {
    const variables = { ...filter, ...(filter.workspaceId ? { workspaceId: ws(filter.workspaceId as 'ws1') } : {}) };
    const data = await gqlData<{ pipelineJobs: Page }>(
      server,
      `query($workspaceId: ID, $status: JobStatus, $jobType: JobType, $createdAfter: DateTime, $createdBefore: DateTime) {
         pipelineJobs(workspaceId: $workspaceId, status: $status, jobType: $jobType, createdAfter: $createdAfter, createdBefore: $createdBefore) {
           totalCount edges { node { id } } } }`,
      variables,
      org.users.viewer.token,
    );
    expect(labelled(data.pipelineJobs)).toEqual({ totalCount: expected.length, labels: expected });
  });

  it('refuses a createdAfter that is not before createdBefore', async () => {
    const res = await server.gql('{ pipelineJobs(createdAfter: "2024-02-01T00:00:00Z", createdBefore: "2024-01-01T00:00:00Z") { totalCount } }', {}, org.users.viewer.token);
    expect(res.body.data).toBeNull();
    expect(errorsOf(res)).toEqual([{ message: 'createdAfter must be earlier than createdBefore', code: 'VALIDATION', path: ['createdAfter'] }]);
  });

  it('workspace.pipelineJobs filters by status and by job type within the workspace', async () => {
    const data = await gqlData<{ workspace: { failed: Page; incremental: Page } }>(
      server,
      `query($id: ID!) { workspace(id: $id) {
         failed: pipelineJobs(status: FAILED) { totalCount edges { node { id } } }
         incremental: pipelineJobs(jobType: INCREMENTAL) { totalCount edges { node { id } } } } }`,
      { id: ws1 },
      org.users.viewer.token,
    );
    expect({ failed: labelled(data.workspace.failed), incremental: labelled(data.workspace.incremental) }).toEqual({
      failed: { totalCount: 1, labels: ['j2'] },
      incremental: { totalCount: 2, labels: ['j3', 'j2'] },
    });
  });
});
