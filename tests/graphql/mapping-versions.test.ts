import { sql } from 'kysely';
import {
  auditMark,
  auditRowsSince,
  createMapping,
  createWorkspace,
  ENTITY_ERROR_FIELDS,
  errorsOf,
  globalId,
  gqlData,
  insertMappings,
  insertWorkspaces,
  ISO_DATE,
  localId,
  mutate,
  newUser,
  NO_SUCH_UUID,
  seedOrganization,
  tenantDbOf,
  useTestApi,
  type SeededOrg,
} from '../support/index.js';

const { server, org } = useTestApi({ env: { GRAPHQL_MAX_COMPLEXITY: '50000' } });
let workspaceId: string;
let editor: string;

beforeAll(async () => {
  editor = org.users.editor.token;
  workspaceId = await createWorkspace(server, editor, 'Versions');
});

const STATE = `version targetTable sourceTable status
  fieldMappings { targetField source transform }
  decorators { __typename type ... on IdentityResolutionDecorator { identityResolution { matchKeys } } ... on GenericDecorator { config } }
  cteDefinitions { name sql }`;
const VERSIONS = `query($id: ID!, $first: Int, $after: String) { mapping(id: $id) { version versions(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage endCursor } edges { cursor node { ${STATE} changedAt changedBy { email } } } } } }`;
const UPDATE = `mutation($input: UpdateMappingInput!) { updateMapping(input: $input) {
  __typename ... on UpdateMappingPayload { mapping { version } } ${ENTITY_ERROR_FIELDS} } }`;
const SET_STATUS = `mutation($id: ID!, $status: MappingStatus!) { setMappingStatus(id: $id, status: $status) {
  __typename ... on SetMappingStatusPayload { mapping { version status } } ${ENTITY_ERROR_FIELDS} } }`;
const RESTORE = `mutation($id: ID!, $version: Int!, $expectedVersion: Int!) {
  restoreMappingVersion(id: $id, version: $version, expectedVersion: $expectedVersion) {
    __typename ... on RestoreMappingVersionPayload { mapping { ${STATE} } } ${ENTITY_ERROR_FIELDS} } }`;
const DIFF = `query($id: ID!, $from: Int!, $to: Int!) { mapping(id: $id) { diff(fromVersion: $from, toVersion: $to) {
  fromVersion toVersion changed
  targetTable { before after } sourceTable { before after } status { before after }
  fieldMappings { added { targetField source transform } removed { targetField source transform }
    changed { targetField before { source transform } after { source transform } } }
  decorators { added { position decorator { type } } removed { position decorator { type } }
    changed { position before { type ... on GenericDecorator { config } } after { type ... on GenericDecorator { config } } } }
  cteDefinitions { added { name sql } removed { name sql } changed { name before { sql } after { sql } } orderChanged } } } }`;

type Node = Record<string, unknown> & { version: number; changedBy: { email: string } | null };
type Versions = { mapping: { version: number; versions: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { cursor: string; node: Node }[] } } };

const versionsOf = async (id: string, first = 100, after?: string, token = org.users.viewer.token) =>
  (await gqlData<Versions>(server, VERSIONS, { id, first, after }, token)).mapping;
const versionNumbers = async (id: string) => (await versionsOf(id)).versions.edges.map((e) => e.node.version);
const update = (id: string, expectedVersion: number, input: Record<string, unknown>, token = editor) =>
  mutate<{ __typename: string; mapping?: { version: number }; currentVersion?: number }>(server, UPDATE, { input: { id, expectedVersion, ...input } }, token);
const restore = (id: string, version: number, expectedVersion: number, token = editor) =>
  mutate<{ __typename: string; mapping?: Node; currentVersion?: number; currentStatus?: string; entityType?: string }>(server, RESTORE, { id, version, expectedVersion }, token);

const V1 = {
  sourceTable: 'crm.customers',
  targetTable: 'dim_customer',
  fieldMappings: [
    { targetField: 'email', source: 'email', transform: null },
    { targetField: 'customer_id', source: 'cust_id', transform: null },
  ],
  decorators: [{ generic: { type: 'dedupe', config: { key: 'email' } } }],
  cteDefinitions: [
    { name: 'recent', sql: 'select * from customers' },
    { name: 'active', sql: 'select * from recent where active' },
  ],
};
const V2 = {
  targetTable: 'dim_customers',
  fieldMappings: [
    { targetField: 'email', source: 'email', transform: 'lower(email)' },
    { targetField: 'full_name', source: 'first_name', transform: "concat(first_name, ' ', last_name)" },
  ],
  decorators: [{ generic: { type: 'dedupe', config: { key: 'phone' } } }, { identityResolution: { matchKeys: ['email'] } }],
  cteDefinitions: [
    { name: 'active', sql: 'select * from customers where active' },
    { name: 'latest', sql: 'select * from customers order by updated_at desc' },
  ],
};

describe('Mapping.versions', () => {
  let id: string;
  beforeAll(async () => {
    id = await createMapping(server, editor, workspaceId, V1);
    expect(await update(id, 1, V2)).toEqual({ __typename: 'UpdateMappingPayload', mapping: { version: 2 } });
    expect(await mutate(server, SET_STATUS, { id, status: 'ACTIVE' }, org.users.admin.token)).toEqual({
      __typename: 'SetMappingStatusPayload',
      mapping: { version: 3, status: 'ACTIVE' },
    });
  });

  it('lists every state, creation and current included, newest first, with who made it and when', async () => {
    const m = await versionsOf(id);
    expect(m.version).toBe(3);
    expect(m.versions.totalCount).toBe(3);
    const v2State = {
      targetTable: 'dim_customers',
      sourceTable: 'crm.customers',
      // jsonb orders an object's keys shorter first: the stored field mappings come back in that order
      fieldMappings: [V2.fieldMappings[0], V2.fieldMappings[1]],
      decorators: [
        { __typename: 'GenericDecorator', type: 'dedupe', config: { key: 'phone' } },
        { __typename: 'IdentityResolutionDecorator', type: 'identity_resolution', identityResolution: { matchKeys: ['email'] } },
      ],
      cteDefinitions: V2.cteDefinitions,
    };
    expect(m.versions.edges.map((e) => e.node)).toEqual([
      { version: 3, status: 'ACTIVE', ...v2State, changedAt: ISO_DATE, changedBy: { email: org.users.admin.email } },
      { version: 2, status: 'DRAFT', ...v2State, changedAt: ISO_DATE, changedBy: { email: org.users.editor.email } },
      {
        version: 1,
        status: 'DRAFT',
        targetTable: 'dim_customer',
        sourceTable: 'crm.customers',
        fieldMappings: V1.fieldMappings,
        decorators: [{ __typename: 'GenericDecorator', type: 'dedupe', config: { key: 'email' } }],
        cteDefinitions: V1.cteDefinitions,
        changedAt: ISO_DATE,
        changedBy: { email: org.users.editor.email },
      },
    ]);
  });

  it('keeps no version for an update that changes nothing, nor for a refused one', async () => {
    const other = await createMapping(server, editor, workspaceId);
    expect(await update(other, 1, { targetTable: 'dim_customer' })).toEqual({ __typename: 'UpdateMappingPayload', mapping: { version: 1 } });
    expect(await update(other, 7, { targetTable: 'elsewhere' })).toMatchObject({ __typename: 'ConflictError', currentVersion: 1 });
    expect(await mutate(server, SET_STATUS, { id: other, status: 'ARCHIVED' }, editor)).toMatchObject({ __typename: 'ConflictError' });
    expect(await versionNumbers(other)).toEqual([1]);
  });

  it('pages on version numbers with opaque cursors, and counts all of them', async () => {
    const paged = await createMapping(server, editor, workspaceId);
    for (let v = 1; v < 5; v++) await update(paged, v, { targetTable: `t_${v}` });
    const seen: number[][] = [];
    let after: string | undefined;
    for (;;) {
      const page = (await versionsOf(paged, 2, after)).versions;
      expect(page.totalCount).toBe(5);
      seen.push(page.edges.map((e) => e.node.version));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor!;
    }
    expect(seen).toEqual([[5, 4], [3, 2], [1]]);
    const bad = await server.gql(VERSIONS, { id: paged, first: 2, after: 'not-a-cursor' }, editor);
    expect(errorsOf(bad)).toEqual([expect.objectContaining({ code: 'VALIDATION' })]);
  });

  it('shows no author once the user who made a version is removed', async () => {
    const member = await newUser(server, org, 'editor');
    const mine = await createMapping(server, member.token, workspaceId);
    expect((await versionsOf(mine)).versions.edges[0]!.node.changedBy).toEqual({ email: member.email });
    const removed = await mutate(server, `mutation($userId: ID!) { removeUser(userId: $userId) { __typename } }`, { userId: member.globalId }, org.users.admin.token);
    expect(removed).toEqual({ __typename: 'RemoveUserPayload' });
    expect((await versionsOf(mine)).versions.edges[0]!.node.changedBy).toBeNull();
    const stored = await tenantDbOf(server, org).selectFrom('mapping_versions').select('changed_by').where('mapping_id', '=', localId(mine)).execute();
    expect(stored).toEqual([{ changed_by: null }]);
  });

  it('are deleted with their mapping', async () => {
    const gone = await createMapping(server, editor, workspaceId);
    await update(gone, 1, { targetTable: 'x' });
    await mutate(server, `mutation($id: ID!) { deleteMapping(id: $id) { __typename } }`, { id: gone }, editor);
    const left = await tenantDbOf(server, org).selectFrom('mapping_versions').select('id').where('mapping_id', '=', localId(gone)).execute();
    expect(left).toEqual([]);
  });
});

describe('Mapping.diff', () => {
  let id: string;
  beforeAll(async () => {
    id = await createMapping(server, editor, workspaceId, V1);
    await update(id, 1, V2);
    await mutate(server, SET_STATUS, { id, status: 'ACTIVE' }, editor);
  });
  const diff = (from: number, to: number) => server.gql<{ mapping: { diff: unknown } }>(DIFF, { id, from, to }, org.users.viewer.token);

  it('compares two versions field by field', async () => {
    const res = await diff(1, 3);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data!.mapping.diff).toEqual({
      fromVersion: 1,
      toVersion: 3,
      changed: true,
      targetTable: { before: 'dim_customer', after: 'dim_customers' },
      sourceTable: null,
      status: { before: 'DRAFT', after: 'ACTIVE' },
      fieldMappings: {
        added: [{ targetField: 'full_name', source: 'first_name', transform: "concat(first_name, ' ', last_name)" }],
        removed: [{ targetField: 'customer_id', source: 'cust_id', transform: null }],
        changed: [{ targetField: 'email', before: { source: 'email', transform: null }, after: { source: 'email', transform: 'lower(email)' } }],
      },
      decorators: {
        added: [{ position: 1, decorator: { type: 'identity_resolution' } }],
        removed: [],
        changed: [{ position: 0, before: { type: 'dedupe', config: { key: 'email' } }, after: { type: 'dedupe', config: { key: 'phone' } } }],
      },
      cteDefinitions: {
        added: [{ name: 'latest', sql: 'select * from customers order by updated_at desc' }],
        removed: [{ name: 'recent', sql: 'select * from customers' }],
        changed: [{ name: 'active', before: { sql: 'select * from recent where active' }, after: { sql: 'select * from customers where active' } }],
        orderChanged: false,
      },
    });
  });

  it('reads backwards too, and finds nothing between equal states', async () => {
    const back = (await diff(3, 1)).body.data!.mapping.diff as Record<string, { added?: unknown[]; removed?: unknown[] } | null>;
    expect(back.status).toEqual({ before: 'ACTIVE', after: 'DRAFT' });
    expect(back.fieldMappings!.added).toEqual([{ targetField: 'customer_id', source: 'cust_id', transform: null }]);
    expect(back.decorators!.removed).toEqual([{ position: 1, decorator: { type: 'identity_resolution' } }]);
    expect((await diff(2, 2)).body.data!.mapping.diff).toMatchObject({
      changed: false,
      targetTable: null,
      status: null,
      fieldMappings: { added: [], removed: [], changed: [] },
      decorators: { added: [], removed: [], changed: [] },
      cteDefinitions: { added: [], removed: [], changed: [], orderChanged: false },
    });
    // v2 → v3 is the status move alone
    expect((await diff(2, 3)).body.data!.mapping.diff).toMatchObject({ changed: true, status: { before: 'DRAFT', after: 'ACTIVE' }, targetTable: null });
  });

  it('sees CTEs that only swapped places', async () => {
    const swapped = await createMapping(server, editor, workspaceId, V1);
    await update(swapped, 1, { cteDefinitions: [V1.cteDefinitions[1], V1.cteDefinitions[0]] });
    const res = await server.gql<{ mapping: { diff: { changed: boolean; cteDefinitions: unknown } } }>(DIFF, { id: swapped, from: 1, to: 2 }, editor);
    expect(res.body.data!.mapping.diff).toMatchObject({ changed: true, cteDefinitions: { added: [], removed: [], changed: [], orderChanged: true } });
  });

  it('refuses a version that does not exist, or is not a version number', async () => {
    expect(errorsOf(await diff(1, 9))).toEqual([{ message: expect.stringContaining('MappingVersion 9'), code: 'NOT_FOUND' }]);
    expect(errorsOf(await diff(0, 1))).toEqual([expect.objectContaining({ code: 'VALIDATION' })]);
  });
});

describe('restoreMappingVersion', () => {
  it('makes an old state current as a new version, keeps the status, and writes one audit entry', async () => {
    const id = await createMapping(server, editor, workspaceId, V1);
    await update(id, 1, V2);
    await mutate(server, SET_STATUS, { id, status: 'ACTIVE' }, editor);
    const mark = await auditMark(server);
    const restored = await restore(id, 1, 3);
    expect(restored).toEqual({
      __typename: 'RestoreMappingVersionPayload',
      mapping: {
        version: 4,
        status: 'ACTIVE',
        targetTable: 'dim_customer',
        sourceTable: 'crm.customers',
        fieldMappings: V1.fieldMappings,
        decorators: [{ __typename: 'GenericDecorator', type: 'dedupe', config: { key: 'email' } }],
        cteDefinitions: V1.cteDefinitions,
      },
    });
    const newest = (await versionsOf(id)).versions.edges[0]!.node;
    expect(newest).toEqual({ ...restored.mapping, changedAt: ISO_DATE, changedBy: { email: org.users.editor.email } });
    const entries = await auditRowsSince(server, mark);
    expect(entries).toEqual([
      expect.objectContaining({ action: 'mapping.restoreVersion', entity_type: 'Mapping', entity_id: localId(id), actor_type: 'user', actor_id: org.users.editor.id, organization_id: org.id }),
    ]);
    expect(entries[0]!.changes).toMatchObject({ version: { before: 3, after: 4 }, restored_version: { before: null, after: 1 }, target_table: { before: 'dim_customers', after: 'dim_customer' } });
    // and diff agrees the content is v1's again
    const res = await server.gql<{ mapping: { diff: { changed: boolean; status: unknown } } }>(DIFF, { id, from: 1, to: 4 }, editor);
    expect(res.body.data!.mapping.diff).toMatchObject({ changed: true, status: { before: 'DRAFT', after: 'ACTIVE' }, targetTable: null, fieldMappings: { added: [], removed: [], changed: [] } });
  });

  it('changes nothing when the version is already the current content', async () => {
    const id = await createMapping(server, editor, workspaceId);
    const mark = await auditMark(server);
    expect(await restore(id, 1, 1)).toMatchObject({ __typename: 'RestoreMappingVersionPayload', mapping: { version: 1 } });
    expect(await auditRowsSince(server, mark)).toEqual([]);
    expect(await versionNumbers(id)).toEqual([1]);
  });

  it('refuses a stale expectedVersion, an unknown version, a bad number and an archived mapping, writing nothing', async () => {
    const id = await createMapping(server, editor, workspaceId);
    await update(id, 1, { targetTable: 'second' });
    const mark = await auditMark(server);
    expect(await restore(id, 1, 1)).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT', currentVersion: 2 });
    expect(await restore(id, 5, 2)).toMatchObject({ __typename: 'NotFoundError', entityType: 'MappingVersion' });
    expect(await restore(id, 0, 2)).toMatchObject({ __typename: 'ValidationError', path: ['version'] });
    expect(await restore(globalId('Mapping', NO_SUCH_UUID), 1, 1)).toMatchObject({ __typename: 'NotFoundError', entityType: 'Mapping' });
    expect(await restore(workspaceId, 1, 1)).toMatchObject({ __typename: 'NotFoundError', entityType: 'Mapping' });
    await mutate(server, SET_STATUS, { id, status: 'ACTIVE' }, editor);
    await mutate(server, SET_STATUS, { id, status: 'ARCHIVED' }, editor);
    const archivedMark = await auditMark(server);
    expect(await restore(id, 1, 4)).toMatchObject({ __typename: 'ConflictError', currentStatus: 'ARCHIVED' });
    expect(await versionNumbers(id)).toEqual([4, 3, 2, 1]);
    expect((await auditRowsSince(server, mark)).map((e) => e.action)).toEqual(['mapping.setStatus', 'mapping.setStatus']);
    expect(await auditRowsSince(server, archivedMark)).toEqual([]);
  });

  it('is refused to a viewer, and does not find another organization\'s mapping', async () => {
    const id = await createMapping(server, editor, workspaceId);
    await update(id, 1, { targetTable: 'second' });
    const stranger: SeededOrg = await seedOrganization(server);
    const mark = await auditMark(server);
    expect(await restore(id, 1, 2, org.users.viewer.token)).toMatchObject({ __typename: 'ForbiddenError', code: 'FORBIDDEN' });
    expect(await restore(id, 1, 2, stranger.users.owner.token)).toMatchObject({ __typename: 'NotFoundError', entityType: 'Mapping' });
    expect(await auditRowsSince(server, mark)).toEqual([]);
    expect(await versionNumbers(id)).toEqual([2, 1]);
    // nor can its versions or diffs be read from there
    const foreign = await gqlData<{ mapping: unknown }>(server, VERSIONS, { id, first: 10 }, stranger.users.owner.token);
    expect(foreign).toEqual({ mapping: null });
    const node = await gqlData<{ node: unknown }>(server, `query($id: ID!) { node(id: $id) { ... on Mapping { versions { totalCount } } } }`, { id }, stranger.users.owner.token);
    expect(node).toEqual({ node: null });
  });
});

describe('concurrent edits', () => {
  it('let one of two changes at the same expectedVersion win; the other gets a ConflictError and no version is lost', async () => {
    const id = await createMapping(server, editor, workspaceId, V1);
    await update(id, 1, V2);
    let expected = 2;
    for (let round = 0; round < 6; round++) {
      // a restore racing an update, then two restores, then two updates
      const racers = [
        round % 3 === 2 ? update(id, expected, { targetTable: `a_${round}` }) : restore(id, round % 2 ? 2 : 1, expected),
        round % 3 === 0 ? update(id, expected, { targetTable: `b_${round}` }) : restore(id, round % 2 ? 1 : 2, expected),
      ];
      const results = await Promise.all(racers);
      const winners = results.filter((r) => r.__typename !== 'ConflictError');
      const losers = results.filter((r) => r.__typename === 'ConflictError');
      // two restores of the same content as the current state are both no-ops; every other pair has one winner
      expect(winners.length + losers.length).toBe(2);
      if (losers.length === 1) {
        expect(losers[0]!.currentVersion).toBe(expected + 1);
        expected++;
      } else {
        const changed = winners.filter((w) => (w.mapping as { version: number }).version > expected);
        expect(changed.length).toBeLessThanOrEqual(1);
        expected += changed.length;
      }
    }
    const m = await versionsOf(id);
    expect(m.version).toBe(expected);
    expect(m.versions.edges.map((e) => e.node.version)).toEqual(Array.from({ length: expected }, (_, i) => expected - i));
  });

  it('keep every version when a status change and an update race', async () => {
    for (let round = 0; round < 4; round++) {
      const id = await createMapping(server, editor, workspaceId);
      const [status, edit] = await Promise.all([
        mutate<{ __typename: string }>(server, SET_STATUS, { id, status: 'ACTIVE' }, editor),
        update(id, 1, { targetTable: `raced_${round}` }),
      ]);
      expect(status.__typename).toBe('SetMappingStatusPayload');
      const m = await versionsOf(id);
      const expected = edit.__typename === 'UpdateMappingPayload' ? 3 : 2;
      expect(m.version).toBe(expected);
      expect(m.versions.edges.map((e) => e.node.version)).toEqual(Array.from({ length: expected }, (_, i) => expected - i));
      expect(m.versions.edges[0]!.node.status).toBe('ACTIVE');
    }
  });
});

describe('versions of many mappings are batched', () => {
  let workspaces: string[];
  beforeAll(async () => {
    const db = tenantDbOf(server, org);
    workspaces = await insertWorkspaces(db, 30, 'batched');
    await insertMappings(db, workspaces, 10);
    // test seed: three versions per seeded mapping, by the editor
    await sql`insert into ${sql.table(`${org.schema_name}.mapping_versions`)}
        (mapping_id, version, target_table, source_table, field_mappings, status, changed_by)
      select m.id, v, m.target_table, m.source_table, m.field_mappings, 'draft', ${org.users.editor.id}::uuid
      from ${sql.table(`${org.schema_name}.mappings`)} m, generate_series(1, 3) v
      where m.workspace_id = any(${workspaces}::uuid[])`.execute(server.db.db);
  });

  const TREE = `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Workspace { name
    mappings(first: 10) { edges { node { targetTable versions(first: 2) { totalCount edges { node { version changedBy { email } } } } } } } } } }`;
  type Tree = { nodes: { mappings: { edges: { node: { versions: { totalCount: number; edges: { node: Node }[] } } }[] } }[] };

  async function counted(n: number) {
    server.db.counter.reset();
    const ids = workspaces.slice(0, n).map((w) => globalId('Workspace', w));
    const data = await gqlData<Tree>(server, TREE, { ids }, org.users.viewer.token);
    return { data, statements: server.db.counter.data.length };
  }

  it('costs the same handful of statements for 3 workspaces × 10 mappings as for 30 × 10', async () => {
    const few = await counted(3);
    const many = await counted(30);
    expect(many.statements).toBe(few.statements);
    expect(many.statements).toBeLessThanOrEqual(8);
    const all = many.data.nodes.flatMap((w) => w.mappings.edges.map((m) => m.node.versions));
    expect(all).toHaveLength(300);
    for (const v of all) {
      expect(v).toEqual({ totalCount: 3, edges: [3, 2].map((version) => ({ node: { version, changedBy: { email: org.users.editor.email } } })) });
    }
  });
});
