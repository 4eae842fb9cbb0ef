import type { WarehouseView } from '../../warehouses/warehouse-config.js';
import * as warehouses from '../../warehouses/warehouse.manager.js';
import type { WarehouseDialect } from '../../workspaces/warehouse-dialects.js';
import { builder } from '../builder.js';
import { idOf, scopeOf } from '../relay.js';
import { PostgresConfig, PostgresConfigInput, secretNote, SnowflakeConfig, SnowflakeConfigInput } from './data-source.js';
import { directErrors, SOURCE_CONNECTION_ERRORS } from './error.js';
import { WorkspaceRef } from './refs.js';
import { ConnectionTestResultRef } from './source-connection.js';
import { WarehouseDialectEnum } from './warehouse-dialect.js';

/** Workspace.warehouse and the warehouse part of updateWorkspace's input. */

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- keys differ per dialect, checked by the zod schemas on write
type ConfigView = { dialect: WarehouseDialect; sourceType: string } & Record<string, any>;

const BigQueryConfig = builder.objectRef<ConfigView>('BigQueryConnectionConfig').implement({
  description: 'How to reach a BigQuery warehouse. The service account key is stored encrypted and never returned. Stored only: this deployment does not load into BigQuery yet.',
  fields: (t) => ({
    projectId: t.exposeString('projectId', { description: 'Google Cloud project id.' }),
    location: t.exposeString('location', { nullable: true, description: 'Dataset location, e.g. EU; null for the default.' }),
    hasServiceAccountKey: t.exposeBoolean('hasServiceAccountKey', { description: 'A service account key (JSON) is stored (it is never returned).' }),
  }),
});

const DatabricksConfig = builder.objectRef<ConfigView>('DatabricksConnectionConfig').implement({
  description: 'How to reach a Databricks SQL warehouse. The token is stored encrypted and never returned. Stored only: this deployment does not load into Databricks yet.',
  fields: (t) => ({
    host: t.exposeString('host', { description: 'Workspace host name, e.g. dbc-1234.cloud.databricks.com.' }),
    httpPath: t.exposeString('httpPath', { description: 'HTTP path of the SQL warehouse, e.g. /sql/1.0/warehouses/abc.' }),
    catalog: t.exposeString('catalog', { nullable: true, description: 'Unity Catalog catalog; null for the default.' }),
    hasToken: t.exposeBoolean('hasToken', { description: 'A personal access token is stored (it is never returned).' }),
  }),
});

const BY_DIALECT = { postgresql: PostgresConfig, snowflake: SnowflakeConfig, bigquery: BigQueryConfig, databricks: DatabricksConfig } as const;

const WarehouseConnectionConfig = builder.unionType('WarehouseConnectionConfig', {
  description: 'Connection settings of a warehouse, typed per dialect. Secret values are never returned, only `has…` flags.',
  types: [PostgresConfig, SnowflakeConfig, BigQueryConfig, DatabricksConfig],
  resolveType: (c) => BY_DIALECT[(c as ConfigView).dialect],
});

const WarehouseRef = builder.objectRef<WarehouseView>('WorkspaceWarehouse').implement({
  description: 'Where a workspace loads its data: the warehouse, its dialect and the schema loads go into. Secrets are masked.',
  fields: (t) => ({
    dialect: t.field({ type: WarehouseDialectEnum, description: 'The warehouse and its SQL dialect. Only POSTGRESQL is loaded by this deployment; jobs into others fail with CONFIG_ERROR.', resolve: (w) => w.dialect }),
    targetSchema: t.exposeString('targetSchema', { description: 'The schema tables are loaded into; created when missing.' }),
    connectionConfig: t.field({
      type: WarehouseConnectionConfig,
      description: 'How to reach it, typed per dialect; secrets only as `has…` flags.',
      resolve: (w) => ({ ...w.connectionConfig, sourceType: w.dialect }) as ConfigView,
    }),
  }),
});

builder.objectFields(WorkspaceRef, (t) => ({
  warehouse: t.field({
    type: WarehouseRef,
    nullable: true,
    description: 'The target warehouse its pipelines load into; null when none is set (see updateWorkspace). Any role; secrets are never returned.',
    resolve: (w) => warehouses.workspaceWarehouseView(w),
  }),
}));

const BigQueryConfigInput = builder.inputType('BigQueryConnectionConfigInput', {
  description: 'Settings of a BigQuery warehouse (stored only; not loaded by this deployment yet).',
  fields: (t) => ({
    projectId: t.string({ required: true, description: 'Google Cloud project id, 1–255 characters.' }),
    location: t.string({ description: 'Dataset location, 1–255 characters.' }),
    serviceAccountKey: t.string({ description: `The service account key (JSON text). ${secretNote}` }),
  }),
});

const DatabricksConfigInput = builder.inputType('DatabricksConnectionConfigInput', {
  description: 'Settings of a Databricks SQL warehouse (stored only; not loaded by this deployment yet).',
  fields: (t) => ({
    host: t.string({ required: true, description: 'Workspace host name, 1–255 characters.' }),
    httpPath: t.string({ required: true, description: 'HTTP path of the SQL warehouse, 1–1000 characters.' }),
    catalog: t.string({ description: 'Unity Catalog catalog, 1–255 characters.' }),
    token: t.string({ description: `A personal access token. ${secretNote}` }),
  }),
});

const WarehouseConnectionConfigInput = builder.inputType('WarehouseConnectionConfigInput', {
  description: 'Set exactly one field: the one named by the dialect.',
  fields: (t) => ({
    postgresql: t.field({ type: PostgresConfigInput, description: 'A PostgreSQL warehouse.' }),
    snowflake: t.field({ type: SnowflakeConfigInput, description: 'A Snowflake warehouse (stored only).' }),
    bigquery: t.field({ type: BigQueryConfigInput, description: 'A BigQuery warehouse (stored only).' }),
    databricks: t.field({ type: DatabricksConfigInput, description: 'A Databricks warehouse (stored only).' }),
  }),
});

export const WarehouseInput = builder.inputType('WarehouseInput', {
  description: 'A workspace target warehouse. Replaces the stored one; secrets left out or sent masked keep their stored value when the dialect stays the same.',
  fields: (t) => ({
    dialect: t.field({ type: WarehouseDialectEnum, required: true, description: 'The warehouse and its SQL dialect.' }),
    targetSchema: t.string({ required: true, description: 'Schema to load into: letters, digits and underscores, not starting with a digit, at most 63 characters.' }),
    connectionConfig: t.field({ type: WarehouseConnectionConfigInput, required: true, description: 'How to reach it: exactly the field of `dialect`.' }),
  }),
});

builder.mutationFields((t) => ({
  testWarehouseConnection: t.field({
    type: ConnectionTestResultRef,
    description:
      "Tests the workspace's stored warehouse step by step (the same checks as a data source's connection test); a failing step is a FAILED result, not an error. BigQuery and Databricks report their connector step as not supported by this deployment yet. Editors and above; counts against the organization's connection rate limit; audited. Errors: RateLimitError, NotFoundError, ForbiddenError (viewers), ValidationError (the workspace has no warehouse).",
    authScopes: { editor: true },
    args: { workspaceId: t.arg.globalID({ required: true, description: 'Global ID of the workspace whose warehouse is tested.' }) },
    errors: directErrors('testWarehouseConnection', SOURCE_CONNECTION_ERRORS),
    resolve: (_root, { workspaceId }, ctx) => warehouses.testWarehouseConnection(scopeOf(ctx), idOf(workspaceId, 'Workspace')),
  }),
}));
