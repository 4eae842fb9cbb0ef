import { createActiveMapping, createDataSource, createJob, createMapping, createWorkspace, localId, mutate, POSTGRES_CONFIG, unique } from '../../support/index.js';
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

const SCHEMA_CACHE = { tables: [{ schema: 'public', name: 'customers', columns: [{ name: 'cust_id', dataType: 'uuid', nullable: false }] }] };

const MAPPING_FIELDS = {
  targetTable: 'dim_customer',
  sourceTable: 'customers',
  fieldMappings: [{ targetField: 'customer_id', source: 'cust_id', transform: 'trim(cust_id)' }],
  decorators: [
    { identityResolution: { matchKeys: ['email'], strategy: 'EXACT', targetIdField: 'person_id', confidenceThreshold: 0.9 } },
    { generic: { type: 'dedupe', config: { key: 'email' } } },
  ],
  cteDefinitions: [{ name: 'recent', sql: 'select cust_id from customers' }],
};

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
    arrange: async (w) => {
      const id = await createWorkspace(w.server, editor(w));
      return { variables: { input: { id, name: unique('renamed'), ...WORKSPACE_FIELDS } }, subject: localId(id) };
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
  createMapping: {
    access: 'editor',
    select: 'mapping { id }',
    arrange: async (w) => ({ variables: { input: { workspaceId: await createWorkspace(w.server, editor(w)), ...MAPPING_FIELDS } } }),
    audit: [audit('mapping.create', 'Mapping', fromResult('mapping', 'id'))],
  },
  updateMapping: {
    access: 'editor',
    select: 'mapping { id version }',
    arrange: async (w) => {
      const id = await createMapping(w.server, editor(w), await createWorkspace(w.server, editor(w)));
      return { variables: { input: { id, expectedVersion: 1, ...MAPPING_FIELDS } }, subject: localId(id) };
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
      return { variables: { input: { workspaceId, jobType: 'FULL_REFRESH', mappingIds: [await createActiveMapping(w.server, editor(w), workspaceId)] } } };
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
