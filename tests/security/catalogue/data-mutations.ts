import { createActiveMapping, createDataSource, createJob, createMapping, createWorkspace, localId, mutate, POSTGRES_CONFIG, sharedSourceDb, sourceConfigOf, unique } from '../../support/index.js';
import { audit, editor, fromResult, fromSubject, type MutationCase } from './types.js';

/** The mutations on workspaces, data sources, mappings and jobs: editors and up. */

const WORKSPACE_FIELDS = {
  description: 'Nightly CRM sync',
  githubRepoUrl: 'https://github.com/acme/pipelines',
  repoSubdirectory: 'crm',
  targetSchemaId: '6f1c1a52-5c1e-4d8e-9f0a-2b7c4d3e1f00',
  settings: { timezone: 'Europe/Berlin', notificationEmails: ['ops@example.com'], extra: { team: 'data' } },
};

/** One connection config per source type, every string field set. */
export const CONNECTION_CONFIGS: Record<string, unknown>[] = [
  POSTGRES_CONFIG,
  { snowflake: { account: 'acme-xy12', warehouse: 'LOAD_WH', database: 'RAW', schema: 'CRM', user: 'loader', role: 'LOADER', password: 'sf-password', privateKey: 'sf-private-key' } },
  { api: { baseUrl: 'https://api.example.com/v1', authType: 'bearer', username: 'svc', headers: { 'X-Tenant': 'acme' }, token: 'api-token' } },
  { file: { format: 'csv', location: 's3://acme/exports/', delimiter: ';', hasHeader: true } },
];

/** One warehouse per dialect, every string field set. */
export const WAREHOUSES: Record<string, unknown>[] = [
  { dialect: 'POSTGRESQL', targetSchema: 'analytics', connectionConfig: { postgresql: { ...POSTGRES_CONFIG.postgresql, password: 'wh-password' } } },
  { dialect: 'SNOWFLAKE', targetSchema: 'analytics', connectionConfig: CONNECTION_CONFIGS[1] },
  { dialect: 'BIGQUERY', targetSchema: 'analytics', connectionConfig: { bigquery: { projectId: 'acme-data', location: 'EU', serviceAccountKey: '{"private_key":"bq-key"}' } } },
  { dialect: 'DATABRICKS', targetSchema: 'analytics', connectionConfig: { databricks: { host: 'dbc-1.cloud.databricks.com', httpPath: '/sql/1.0/warehouses/abc', catalog: 'main', token: 'dapi-token' } } },
];

const SCHEMA_CACHE = { tables: [{ schema: 'public', name: 'customers', columns: [{ name: 'cust_id', dataType: 'uuid', nullable: false }] }] };

const MAPPING_FIELDS = {
  targetTable: 'dim_customer',
  sourceTable: 'customers',
  fieldMappings: [{ targetField: 'customer_id', source: 'cust_id', transform: 'trim(cust_id)' }],
  decorators: [
    { identityResolution: { matchKeys: ['email'], strategy: 'EXACT', targetIdField: 'person_id', confidenceThreshold: 0.9 } },
    { identityResolution: { identifiers: [{ column: 'email', normalize: ['TRIM'], ignoreValues: ['anonymous'] }], matchRules: [{ allOf: ['email'] }], recordKey: 'customer_id', outputColumn: 'person_id' } },
    { generic: { type: 'dedupe', config: { key: 'email' } } },
  ],
  cteDefinitions: [{ name: 'recent', sql: 'select cust_id from customers' }],
};
/** The two shapes of a mapping's input: with identity resolution, or with incremental settings (they exclude each other). */
const MAPPING_VARIANTS = [
  MAPPING_FIELDS,
  { ...MAPPING_FIELDS, decorators: [MAPPING_FIELDS.decorators[1]], incremental: { cursorColumn: 'customer_id', keyColumns: ['customer_id'] } },
];

export const DATA_MUTATIONS: Record<string, MutationCase> = {
  createWorkspace: {
    access: 'editor',
    select: 'workspace { id name }',
    arrange: async () => ({ variables: { input: { name: unique('ws'), ...WORKSPACE_FIELDS } } }),
    audit: [audit('workspace.create', 'Workspace', fromResult('workspace', 'id'))],
  },
  updateWorkspace: {
    access: 'editor',
    select: 'workspace { id name }',
    variants: WAREHOUSES.length,
    arrange: async (w, _c, variant) => {
      const id = await createWorkspace(w.server, editor(w));
      return { variables: { input: { id, name: unique('renamed'), ...WORKSPACE_FIELDS, warehouse: WAREHOUSES[variant] } }, subject: localId(id) };
    },
    audit: [audit('workspace.update', 'Workspace', fromSubject)],
  },
  deleteWorkspace: {
    access: 'editor',
    select: 'workspace { id }',
    arrange: async (w) => {
      const id = await createWorkspace(w.server, editor(w));
      return { variables: { id }, subject: localId(id) };
    },
    audit: [audit('workspace.delete', 'Workspace', fromSubject)],
  },
  setWorkspaceSchedule: {
    access: 'editor',
    select: 'workspace { id schedule { cron } }',
    arrange: async (w) => {
      const workspaceId = await createWorkspace(w.server, editor(w));
      return { variables: { input: { workspaceId, cron: '0 3 * * *', timeZone: 'Europe/Berlin', jobType: 'MAPPING_TEST' } }, subject: localId(workspaceId) };
    },
    audit: [audit('workspace.schedule.set', 'Workspace', fromSubject)],
  },
  removeWorkspaceSchedule: {
    access: 'editor',
    select: 'workspace { id }',
    arrange: async (w) => {
      const workspaceId = await createWorkspace(w.server, editor(w));
      const set = await mutate<{ __typename: string }>(
        w.server,
        `mutation($input: SetWorkspaceScheduleInput!) { setWorkspaceSchedule(input: $input) { __typename } }`,
        { input: { workspaceId, cron: '@daily', jobType: 'MAPPING_TEST' } },
        editor(w),
      );
      if (set.__typename !== 'SetWorkspaceSchedulePayload') throw new Error(`could not set the schedule: ${set.__typename}`);
      return { variables: { workspaceId }, subject: localId(workspaceId) };
    },
    audit: [audit('workspace.schedule.remove', 'Workspace', fromSubject)],
  },
  createDataSource: {
    access: 'editor',
    select: 'dataSource { id name }',
    variants: CONNECTION_CONFIGS.length,
    arrange: async (w, _c, variant) => {
      const workspaceId = await createWorkspace(w.server, editor(w));
      return { variables: { input: { workspaceId, name: unique('ds'), connectionConfig: CONNECTION_CONFIGS[variant], schemaCache: SCHEMA_CACHE } } };
    },
    audit: [audit('dataSource.create', 'DataSource', fromResult('dataSource', 'id'))],
  },
  updateDataSource: {
    access: 'editor',
    select: 'dataSource { id name }',
    variants: CONNECTION_CONFIGS.length,
    arrange: async (w, _c, variant) => {
      const config = CONNECTION_CONFIGS[variant]!;
      const id = await createDataSource(w.server, editor(w), await createWorkspace(w.server, editor(w)), config);
      return { variables: { input: { id, name: unique('renamed'), connectionConfig: config, schemaCache: SCHEMA_CACHE } }, subject: localId(id) };
    },
    audit: [audit('dataSource.update', 'DataSource', fromSubject)],
  },
  deactivateDataSource: {
    access: 'editor',
    select: 'dataSource { id isActive }',
    arrange: async (w) => {
      const id = await createDataSource(w.server, editor(w), await createWorkspace(w.server, editor(w)));
      return { variables: { id }, subject: localId(id) };
    },
    audit: [audit('dataSource.deactivate', 'DataSource', fromSubject)],
  },
  testWarehouseConnection: {
    access: 'editor',
    select: 'status checks { name status }',
    arrange: async (w) => {
      // A BigQuery warehouse: the test runs without touching the network (its connector step is not supported).
      const workspaceId = await createWorkspace(w.server, editor(w));
      await mutate(w.server, `mutation($input: UpdateWorkspaceInput!) { updateWorkspace(input: $input) { __typename } }`, { input: { id: workspaceId, warehouse: WAREHOUSES[2] } }, editor(w));
      return { variables: { workspaceId }, subject: localId(workspaceId) };
    },
    audit: [audit('workspace.testWarehouseConnection', 'Workspace', fromSubject)],
  },
  testDataSourceConnection: {
    access: 'editor',
    select: 'status checks { name status }',
    arrange: async (w) => {
      // A file source: the test runs without touching the network (its connector step is SKIPPED).
      const id = await createDataSource(w.server, editor(w), await createWorkspace(w.server, editor(w)), CONNECTION_CONFIGS[3]);
      return { variables: { id }, subject: localId(id) };
    },
    audit: [audit('dataSource.testConnection', 'DataSource', fromSubject)],
  },
  testDataSourceConnectionConfig: {
    access: 'editor',
    select: 'status checks { name status }',
    variants: 4,
    arrange: async (w, _c, variant) => {
      const workspaceId = await createWorkspace(w.server, editor(w));
      // Every string field of every type, aimed at places that answer at once: the test cluster, a closed loopback port.
      const source = await sharedSourceDb();
      const configs = [
        sourceConfigOf(source, { sslMode: 'prefer' }),
        CONNECTION_CONFIGS[1],
        { api: { baseUrl: 'http://127.0.0.1:9/v1', authType: 'bearer', username: 'svc', headers: { 'X-Tenant': 'acme' }, token: 'api-token' } },
        CONNECTION_CONFIGS[3],
      ];
      const dataSourceId = variant === 0 ? await createDataSource(w.server, editor(w), workspaceId, sourceConfigOf(source)) : undefined;
      return { variables: { workspaceId, connectionConfig: configs[variant], ...(dataSourceId ? { dataSourceId } : {}) }, subject: localId(dataSourceId ?? workspaceId) };
    },
    // Variant 0 (the one the audit test calls) edits a saved source: the entry is the source's.
    audit: [audit('dataSource.testConnectionConfig', 'DataSource', fromSubject)],
  },
  refreshDataSourceSchema: {
    access: 'editor',
    select: 'dataSource { id lastSchemaRefresh } diff { classification }',
    arrange: async (w) => {
      const id = await createDataSource(w.server, editor(w), await createWorkspace(w.server, editor(w)), sourceConfigOf(await sharedSourceDb()));
      return { variables: { id }, subject: localId(id) };
    },
    audit: [audit('dataSource.refreshSchema', 'DataSource', fromSubject)],
  },
  createMapping: {
    access: 'editor',
    select: 'mapping { id }',
    variants: MAPPING_VARIANTS.length,
    arrange: async (w, _c, variant) => ({ variables: { input: { workspaceId: await createWorkspace(w.server, editor(w)), ...MAPPING_VARIANTS[variant] } } }),
    audit: [audit('mapping.create', 'Mapping', fromResult('mapping', 'id'))],
  },
  updateMapping: {
    access: 'editor',
    select: 'mapping { id version }',
    variants: MAPPING_VARIANTS.length,
    arrange: async (w, _c, variant) => {
      const id = await createMapping(w.server, editor(w), await createWorkspace(w.server, editor(w)));
      return { variables: { input: { id, expectedVersion: 1, ...MAPPING_VARIANTS[variant] } }, subject: localId(id) };
    },
    audit: [audit('mapping.update', 'Mapping', fromSubject)],
  },
  setMappingStatus: {
    access: 'editor',
    select: 'mapping { id status }',
    arrange: async (w) => {
      const id = await createMapping(w.server, editor(w), await createWorkspace(w.server, editor(w)));
      return { variables: { id, status: 'ACTIVE' }, subject: localId(id) };
    },
    audit: [audit('mapping.setStatus', 'Mapping', fromSubject)],
  },
  restoreMappingVersion: {
    access: 'editor',
    select: 'mapping { id version }',
    arrange: async (w) => {
      const id = await createMapping(w.server, editor(w), await createWorkspace(w.server, editor(w)));
      // a second version, so restoring the first changes something
      await mutate(w.server, `mutation($input: UpdateMappingInput!) { updateMapping(input: $input) { __typename } }`, { input: { id, expectedVersion: 1, targetTable: 'renamed' } }, editor(w));
      return { variables: { id, version: 1, expectedVersion: 2 }, subject: localId(id) };
    },
    audit: [audit('mapping.restoreVersion', 'Mapping', fromSubject)],
  },
  deleteMapping: {
    access: 'editor',
    select: 'mapping { id }',
    arrange: async (w) => {
      const id = await createMapping(w.server, editor(w), await createWorkspace(w.server, editor(w)));
      return { variables: { id }, subject: localId(id) };
    },
    audit: [audit('mapping.delete', 'Mapping', fromSubject)],
  },
  createPipelineJob: {
    access: 'editor',
    select: 'pipelineJob { id status }',
    arrange: async (w) => {
      const workspaceId = await createWorkspace(w.server, editor(w));
      return { variables: { input: { workspaceId, jobType: 'MAPPING_TEST', mappingIds: [await createActiveMapping(w.server, editor(w), workspaceId)] } } };
    },
    audit: [audit('pipelineJob.create', 'PipelineJob', fromResult('pipelineJob', 'id'))],
  },
  retryPipelineJob: {
    access: 'editor',
    select: 'pipelineJob { id status }',
    arrange: async (w) => {
      const id = await createJob(w.server, editor(w), await createWorkspace(w.server, editor(w)));
      await w.server.gql('mutation($id: ID!) { cancelPipelineJob(id: $id) { __typename } }', { id }, editor(w));
      return { variables: { id }, subject: localId(id) };
    },
    audit: [audit('pipelineJob.retry', 'PipelineJob', fromResult('pipelineJob', 'id'))],
  },
  cancelPipelineJob: {
    access: 'editor',
    select: 'pipelineJob { id status }',
    arrange: async (w) => {
      const id = await createJob(w.server, editor(w), await createWorkspace(w.server, editor(w)));
      return { variables: { id }, subject: localId(id) };
    },
    audit: [audit('pipelineJob.cancel', 'PipelineJob', fromSubject)],
  },
};
