import {
  createMapping,
  createWorkspace,
  ENTITY_ERROR_FIELDS,
  globalId,
  gqlData,
  ISO_DATE,
  localId,
  mutate,
  NO_SUCH_UUID,
  tenantDbOf,
  useTestApi,
} from '../support/index.js';

const { server, org } = useTestApi();
let workspaceId: string;
let token: string;

beforeAll(async () => {
  token = org.users.editor.token;
  workspaceId = await createWorkspace(server, token, 'Mappings');
});

const MAPPING = `id version status sourceTable targetTable createdAt updatedAt
  fieldMappings { targetField source transform }
  decorators {
    __typename type
    ... on IdentityResolutionDecorator { identityResolution { matchKeys strategy targetIdField confidenceThreshold } }
    ... on GenericDecorator { config }
  }
  cteDefinitions { name sql }
  workspace { id name }`;

const payload = (name: string, input: string) => `mutation($input: ${input}) {
  ${name}(input: $input) { __typename ... on ${name[0]!.toUpperCase()}${name.slice(1)}Payload { mapping { ${MAPPING} } } ${ENTITY_ERROR_FIELDS} }
}`;
const CREATE = payload('createMapping', 'CreateMappingInput!');
const UPDATE = payload('updateMapping', 'UpdateMappingInput!');
const SET_STATUS = `mutation($id: ID!, $status: MappingStatus!) {
  setMappingStatus(id: $id, status: $status) { __typename ... on SetMappingStatusPayload { mapping { status version } } ${ENTITY_ERROR_FIELDS} }
}`;
const DELETE = `mutation($id: ID!) { deleteMapping(id: $id) { __typename ... on DeleteMappingPayload { mapping { id targetTable } } ${ENTITY_ERROR_FIELDS} } }`;

type MappingResult = { mapping: { id: string; version: number; updatedAt: string } & Record<string, unknown> };

const storedRow = (id: string) => tenantDbOf(server, org).selectFrom('mappings').selectAll().where('id', '=', localId(id)).executeTakeFirstOrThrow();

describe('createMapping', () => {
  // Field mappings are stored as one JSON object keyed by target field, and
  // jsonb orders keys (shorter first): this input is already in that order.
  const fieldMappings = [
    { targetField: 'email', source: 'email_address', transform: 'lower(email_address)' },
    { targetField: 'customer_id', source: 'cust_id', transform: null },
  ];
  const decorators = [
    { identityResolution: { matchKeys: ['email', 'phone'], strategy: 'FUZZY', targetIdField: 'person_id', confidenceThreshold: 0.85 } },
    { generic: { type: 'pii_masking', config: { columns: ['email'], mode: 'hash', salt: null, nested: { levels: [1, 2, { deep: true }] } } } },
    { generic: { type: 'sample', config: [10, 'percent'] } },
  ];
  const cteDefinitions = [{ name: 'recent_orders', sql: "select * from orders where ordered_at > now() - interval '30 days'" }];

  it('round-trips field mappings, typed and generic decorators and CTEs, as a draft at version 1', async () => {
    const input = { workspaceId, sourceTable: 'crm.customers', targetTable: 'dim_customer', fieldMappings, decorators, cteDefinitions };
    const result = await mutate<MappingResult>(server, CREATE, { input }, token);
    expect(result).toEqual({
      __typename: 'CreateMappingPayload',
      mapping: {
        id: expect.any(String),
        version: 1,
        status: 'DRAFT',
        sourceTable: 'crm.customers',
        targetTable: 'dim_customer',
        createdAt: ISO_DATE,
        updatedAt: ISO_DATE,
        fieldMappings,
        decorators: [
          { __typename: 'IdentityResolutionDecorator', type: 'identity_resolution', identityResolution: decorators[0]!.identityResolution },
          { __typename: 'GenericDecorator', type: 'pii_masking', config: decorators[1]!.generic!.config },
          { __typename: 'GenericDecorator', type: 'sample', config: [10, 'percent'] },
        ],
        cteDefinitions,
        workspace: { id: workspaceId, name: 'Mappings' },
      },
    });
    expect(await gqlData(server, `query($id: ID!) { mapping(id: $id) { ${MAPPING} } }`, { id: result.mapping.id }, org.users.viewer.token)).toEqual({ mapping: result.mapping });
  });

  it('stores the JSONB columns in the design shape', async () => {
    const id = await createMapping(server, token, workspaceId, { fieldMappings, decorators, cteDefinitions });
    const row = await storedRow(id);
    expect({ field_mappings: row.field_mappings, decorators: row.decorators, cte_definitions: row.cte_definitions }).toEqual({
      field_mappings: {
        customer_id: { source: 'cust_id', transform: null },
        email: { source: 'email_address', transform: 'lower(email_address)' },
      },
      decorators: [
        { type: 'identity_resolution', config: { match_keys: ['email', 'phone'], strategy: 'fuzzy', target_id_field: 'person_id', confidence_threshold: 0.85 } },
        { type: 'pii_masking', config: decorators[1]!.generic!.config },
        { type: 'sample', config: [10, 'percent'] },
      ],
      cte_definitions: cteDefinitions,
    });
  });

  it('defaults an identity resolution decorator to the exact strategy, and decorators and CTEs to empty lists', async () => {
    const withDecorator = await mutate<MappingResult>(server, CREATE, {
      input: { workspaceId, sourceTable: 's', targetTable: 't', fieldMappings: [{ targetField: 'id', source: 'id' }], decorators: [{ identityResolution: { matchKeys: ['email'] } }] },
    }, token);
    expect(withDecorator.mapping.decorators).toEqual([
      { __typename: 'IdentityResolutionDecorator', type: 'identity_resolution', identityResolution: { matchKeys: ['email'], strategy: 'EXACT', targetIdField: null, confidenceThreshold: null } },
    ]);
    const bare = await mutate<MappingResult>(server, CREATE, { input: { workspaceId, sourceTable: 's', targetTable: 't', fieldMappings: [{ targetField: 'id', source: 'id' }] } }, token);
    expect(bare.mapping).toMatchObject({ decorators: [], cteDefinitions: [], fieldMappings: [{ targetField: 'id', source: 'id', transform: null }] });
  });
});

describe('updateMapping with expectedVersion', () => {
  it('applies the change at the expected version and bumps it; the same version again is a ConflictError naming the current one', async () => {
    const id = await createMapping(server, token, workspaceId, { targetTable: 'dim_v1', decorators: [{ generic: { type: 'keep', config: { a: 1 } } }] });
    const change = { id, expectedVersion: 1, targetTable: 'dim_v2', fieldMappings: [{ targetField: 'key', source: 'k', transform: 'trim(k)' }] };
    const updated = await mutate<MappingResult>(server, UPDATE, { input: change }, token);
    expect(updated.mapping).toMatchObject({
      id,
      version: 2,
      status: 'DRAFT',
      sourceTable: 'customers',
      targetTable: 'dim_v2',
      fieldMappings: [{ targetField: 'key', source: 'k', transform: 'trim(k)' }],
      decorators: [{ __typename: 'GenericDecorator', type: 'keep', config: { a: 1 } }],
    });

    const stale = await mutate(server, UPDATE, { input: { ...change, targetTable: 'dim_lost_update' } }, token);
    expect(stale).toEqual({
      __typename: 'ConflictError',
      code: 'CONFLICT',
      message: 'Mapping was changed by someone else: expected version 1, current version is 2',
      currentVersion: 2,
      currentStatus: null,
    });
    expect(await mutate(server, UPDATE, { input: { ...change, expectedVersion: 7 } }, token)).toMatchObject({ __typename: 'ConflictError', currentVersion: 2 });
    expect(await storedRow(id)).toMatchObject({ version: 2, target_table: 'dim_v2' });
  });
});

describe('setMappingStatus', () => {
  async function mappingIn(status: 'DRAFT' | 'ACTIVE' | 'ARCHIVED'): Promise<string> {
    const id = await createMapping(server, token, workspaceId);
    for (const next of ['ACTIVE', 'ARCHIVED'].slice(0, ['DRAFT', 'ACTIVE', 'ARCHIVED'].indexOf(status))) {
      await mutate(server, SET_STATUS, { id, status: next }, token);
    }
    return id;
  }

  it('moves draft → active → archived, bumping the version each time', async () => {
    const id = await mappingIn('DRAFT');
    expect(await mutate(server, SET_STATUS, { id, status: 'ACTIVE' }, token)).toEqual({ __typename: 'SetMappingStatusPayload', mapping: { status: 'ACTIVE', version: 2 } });
    expect(await mutate(server, SET_STATUS, { id, status: 'ARCHIVED' }, token)).toEqual({ __typename: 'SetMappingStatusPayload', mapping: { status: 'ARCHIVED', version: 3 } });
  });

  it.each([
    ['DRAFT', 'ARCHIVED'],
    ['DRAFT', 'DRAFT'],
    ['ACTIVE', 'DRAFT'],
    ['ACTIVE', 'ACTIVE'],
    ['ARCHIVED', 'ACTIVE'],
    ['ARCHIVED', 'DRAFT'],
  ] as const)('refuses %s → %s with a ConflictError carrying the current status', async (from, to) => {
    const id = await mappingIn(from);
    expect(await mutate(server, SET_STATUS, { id, status: to }, token)).toEqual({
      __typename: 'ConflictError',
      code: 'CONFLICT',
      message: `A mapping cannot move from ${from.toLowerCase()} to ${to.toLowerCase()}`,
      currentVersion: null,
      currentStatus: from,
    });
    expect((await storedRow(id)).status).toBe(from.toLowerCase());
  });

  it('refuses to edit an archived mapping', async () => {
    const id = await mappingIn('ARCHIVED');
    expect(await mutate(server, UPDATE, { input: { id, expectedVersion: 3, targetTable: 'x' } }, token)).toEqual({
      __typename: 'ConflictError',
      code: 'CONFLICT',
      message: 'An archived mapping cannot be changed',
      currentVersion: null,
      currentStatus: 'ARCHIVED',
    });
  });
});

describe('deleteMapping', () => {
  it('deletes the mapping and returns it; it is then gone, and deleting it again is a NotFoundError', async () => {
    const id = await createMapping(server, token, workspaceId, { targetTable: 'to_delete' });
    expect(await mutate(server, DELETE, { id }, token)).toEqual({ __typename: 'DeleteMappingPayload', mapping: { id, targetTable: 'to_delete' } });
    expect(await gqlData(server, 'query($id: ID!) { mapping(id: $id) { id } }', { id }, token)).toEqual({ mapping: null });
    expect(await tenantDbOf(server, org).selectFrom('mappings').select('id').where('id', '=', localId(id)).execute()).toEqual([]);
    expect(await mutate(server, DELETE, { id }, token)).toEqual({
      __typename: 'NotFoundError',
      code: 'NOT_FOUND',
      entityType: 'Mapping',
      message: `Mapping ${localId(id)} was not found`,
    });
  });

  it('answers an unknown mapping with a NotFoundError', async () => {
    expect(await mutate(server, DELETE, { id: globalId('Mapping', NO_SUCH_UUID) }, token)).toMatchObject({ __typename: 'NotFoundError', entityType: 'Mapping' });
  });
});
