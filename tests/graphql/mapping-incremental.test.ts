import { createWorkspace, ENTITY_ERROR_FIELDS, mutate, tenantDbOf, localId, useTestApi } from '../support/index.js';

// A mapping's incremental-load settings: created, read back, changed, removed, and refused when they name no target field.
const { server, org } = useTestApi();
let workspaceId: string;
const token = () => org.users.editor.token;

beforeAll(async () => {
  workspaceId = await createWorkspace(server, token());
});

const payload = (name: string, input: string) => `mutation($input: ${input}) {
  ${name}(input: $input) { __typename ... on ${name[0]!.toUpperCase()}${name.slice(1)}Payload { mapping { id version incremental { cursorColumn keyColumns } } } ${ENTITY_ERROR_FIELDS} }
}`;
const CREATE = payload('createMapping', 'CreateMappingInput!');
const UPDATE = payload('updateMapping', 'UpdateMappingInput!');
const FIELDS = [
  { targetField: 'customer_id', source: 'cust_id' },
  { targetField: 'updated_at', source: 'updated_at' },
];
const create = (extra: Record<string, unknown>) =>
  mutate<{ mapping?: { id: string; version: number; incremental: unknown } }>(server, CREATE, { input: { workspaceId, targetTable: 'inc', sourceTable: 'customers', fieldMappings: FIELDS, ...extra } }, token());
const stored = async (id: string) => (await tenantDbOf(server, org).selectFrom('mappings').select('incremental').where('id', '=', localId(id)).executeTakeFirstOrThrow()).incremental;

describe('Mapping.incremental', () => {
  it('is null by default; set on create it reads back, is stored snake_case, is replaced and removed by updateMapping', async () => {
    expect((await create({})).mapping!.incremental).toBeNull();
    const { mapping } = await create({ incremental: { cursorColumn: 'updated_at', keyColumns: ['customer_id'] } });
    expect(mapping!.incremental).toEqual({ cursorColumn: 'updated_at', keyColumns: ['customer_id'] });
    expect(await stored(mapping!.id)).toEqual({ cursor_column: 'updated_at', key_columns: ['customer_id'] });

    const changed = await mutate<{ mapping: { version: number; incremental: unknown } }>(server, UPDATE, { input: { id: mapping!.id, expectedVersion: 1, incremental: { cursorColumn: 'customer_id', keyColumns: ['customer_id', 'updated_at'] } } }, token());
    expect(changed.mapping).toEqual({ id: mapping!.id, version: 2, incremental: { cursorColumn: 'customer_id', keyColumns: ['customer_id', 'updated_at'] } });
    // Left out: kept.
    const renamed = await mutate<{ mapping: { incremental: unknown } }>(server, UPDATE, { input: { id: mapping!.id, expectedVersion: 2, targetTable: 'inc2' } }, token());
    expect(renamed.mapping.incremental).toEqual({ cursorColumn: 'customer_id', keyColumns: ['customer_id', 'updated_at'] });
    const removed = await mutate<{ mapping: { version: number; incremental: unknown } }>(server, UPDATE, { input: { id: mapping!.id, expectedVersion: 3, incremental: null } }, token());
    expect(removed.mapping).toEqual({ id: mapping!.id, version: 4, incremental: null });
    expect(await stored(mapping!.id)).toBeNull();
  });

  it.each<[string, Record<string, unknown>, string[], string]>([
    ['an unknown cursor column', { incremental: { cursorColumn: 'modified', keyColumns: ['customer_id'] } }, ['input', 'incremental', 'cursorColumn'], 'Cursor column modified is not a target field of this mapping (its fields: customer_id, updated_at)'],
    ['an unknown key column', { incremental: { cursorColumn: 'updated_at', keyColumns: ['id'] } }, ['input', 'incremental', 'keyColumns'], 'Key column id is not a target field of this mapping (its fields: customer_id, updated_at)'],
    ['no key column', { incremental: { cursorColumn: 'updated_at', keyColumns: [] } }, ['input', 'incremental', 'keyColumns'], 'incremental.keyColumns: name at least one key column'],
    ['a key column twice', { incremental: { cursorColumn: 'updated_at', keyColumns: ['customer_id', 'customer_id'] } }, ['input', 'incremental', 'keyColumns'], 'incremental.keyColumns: key columns must be unique'],
    [
      'identity resolution beside it',
      { incremental: { cursorColumn: 'updated_at', keyColumns: ['customer_id'] }, decorators: [{ identityResolution: { matchKeys: ['customer_id'] } }] },
      ['input', 'incremental'],
      'Incremental loads cannot be combined with identity resolution (it rebuilds the whole table): load this mapping by full refresh',
    ],
  ])('refuses %s on create, writing nothing', async (_what, extra, path, message) => {
    const before = await tenantDbOf(server, org).selectFrom('mappings').select('id').execute();
    expect(await create(extra)).toEqual({ __typename: 'ValidationError', code: 'VALIDATION', message, path });
    expect(await tenantDbOf(server, org).selectFrom('mappings').select('id').execute()).toEqual(before);
  });

  it('refuses restoring a version whose fields lack the cursor column (versions do not carry the settings)', async () => {
    const { mapping } = await create({ fieldMappings: [FIELDS[0]] });
    await mutate(server, UPDATE, { input: { id: mapping!.id, expectedVersion: 1, fieldMappings: FIELDS, incremental: { cursorColumn: 'updated_at', keyColumns: ['customer_id'] } } }, token());
    const RESTORE = `mutation { restoreMappingVersion(id: "${mapping!.id}", version: 1, expectedVersion: 2) { __typename ${ENTITY_ERROR_FIELDS} } }`;
    expect(await mutate(server, RESTORE, {}, token())).toEqual({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      message: 'Cursor column updated_at is not a target field of this mapping (its fields: customer_id)',
      path: ['input', 'incremental', 'cursorColumn'],
    });
    expect(await tenantDbOf(server, org).selectFrom('mappings').select('version').where('id', '=', localId(mapping!.id)).executeTakeFirstOrThrow()).toEqual({ version: 2 });
  });

  it('refuses an update whose field mappings drop the cursor column, leaving the mapping as it was', async () => {
    const { mapping } = await create({ incremental: { cursorColumn: 'updated_at', keyColumns: ['customer_id'] } });
    expect(await mutate(server, UPDATE, { input: { id: mapping!.id, expectedVersion: 1, fieldMappings: [FIELDS[0]] } }, token())).toEqual({
      __typename: 'ValidationError',
      code: 'VALIDATION',
      message: 'Cursor column updated_at is not a target field of this mapping (its fields: customer_id)',
      path: ['input', 'incremental', 'cursorColumn'],
    });
    expect(await stored(mapping!.id)).toEqual({ cursor_column: 'updated_at', key_columns: ['customer_id'] });
  });
});
