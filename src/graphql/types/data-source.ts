import { connectionConfigView, MASKED_SECRET } from '../../data-sources/connection-config.js';
import * as dataSources from '../../data-sources/data-source.manager.js';
import { toSourceSchema, type SourceSchema } from '../../data-sources/source-schema.js';
import { DATA_SOURCE_TYPES, type DataSourceType } from '../../db/tables/data-sources.table.js';
import type { StoredConnectionConfig } from '../../data-sources/connection-config.js';
import { upperCaseEnum } from '../enum-values.js';
import { builder } from '../builder.js';
import { idOf, scopeOf } from '../relay.js';
import { MUTATION_ERRORS } from './error.js';
import { DataSourceRef, WorkspaceRef } from './refs.js';

export const DataSourceTypeEnum = builder.enumType('DataSourceType', {
  values: upperCaseEnum(DATA_SOURCE_TYPES),
});

/** The API view of a stored config (see connectionConfigView); each type exposes its own keys. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- keys differ per source type, checked by the zod schemas on write
type View = { sourceType: DataSourceType } & Record<string, any>;

const PostgresConfig = builder.objectRef<View>('PostgresConnectionConfig').implement({
  fields: (t) => ({
    host: t.exposeString('host'),
    port: t.exposeInt('port'),
    database: t.exposeString('database'),
    user: t.exposeString('user'),
    sslMode: t.exposeString('sslMode'),
    hasPassword: t.exposeBoolean('hasPassword', { description: 'A password is stored (it is never returned).' }),
  }),
});

const SnowflakeConfig = builder.objectRef<View>('SnowflakeConnectionConfig').implement({
  fields: (t) => ({
    account: t.exposeString('account'),
    warehouse: t.exposeString('warehouse'),
    database: t.exposeString('database'),
    schema: t.exposeString('schema', { nullable: true }),
    user: t.exposeString('user'),
    role: t.exposeString('role', { nullable: true }),
    hasPassword: t.exposeBoolean('hasPassword'),
    hasPrivateKey: t.exposeBoolean('hasPrivateKey'),
  }),
});

const ApiConfig = builder.objectRef<View>('ApiConnectionConfig').implement({
  fields: (t) => ({
    baseUrl: t.exposeString('baseUrl'),
    authType: t.exposeString('authType'),
    username: t.exposeString('username', { nullable: true }),
    headers: t.field({ type: 'JSONObject', nullable: true, resolve: (c) => c.headers ?? null }),
    hasToken: t.exposeBoolean('hasToken'),
  }),
});

const FileConfig = builder.objectRef<View>('FileConnectionConfig').implement({
  fields: (t) => ({
    format: t.exposeString('format'),
    location: t.exposeString('location'),
    delimiter: t.exposeString('delimiter', { nullable: true }),
    hasHeader: t.exposeBoolean('hasHeader', { nullable: true }),
  }),
});

const BY_TYPE = { postgresql: PostgresConfig, snowflake: SnowflakeConfig, api: ApiConfig, file: FileConfig } as const;

const ConnectionConfigUnion = builder.unionType('ConnectionConfig', {
  description: 'Connection settings, typed per source type. Secret values are never returned, only has* flags.',
  types: [PostgresConfig, SnowflakeConfig, ApiConfig, FileConfig],
  resolveType: (c) => BY_TYPE[c.sourceType as DataSourceType],
});

const SourceColumnRef = builder.objectRef<SourceSchema['tables'][number]['columns'][number]>('SourceColumn').implement({
  fields: (t) => ({ name: t.exposeString('name'), dataType: t.exposeString('dataType'), nullable: t.exposeBoolean('nullable') }),
});
const SourceTableRef = builder.objectRef<SourceSchema['tables'][number]>('SourceTable').implement({
  fields: (t) => ({
    schema: t.exposeString('schema', { nullable: true }),
    name: t.exposeString('name'),
    columns: t.field({ type: [SourceColumnRef], resolve: (s) => s.columns }),
  }),
});
const SourceSchemaRef = builder.objectRef<SourceSchema>('SourceSchema').implement({
  description: "The cached copy of the source's schema.",
  fields: (t) => ({ tables: t.field({ type: [SourceTableRef], resolve: (s) => s.tables }) }),
});

const secretNote = `Write-only. Leave out, or send "${MASKED_SECRET}", to keep the stored value.`;

const PostgresConfigInput = builder.inputType('PostgresConnectionConfigInput', {
  fields: (t) => ({
    host: t.string({ required: true }),
    port: t.int(),
    database: t.string({ required: true }),
    user: t.string({ required: true }),
    sslMode: t.string({ description: 'disable | allow | prefer | require (default) | verify-ca | verify-full' }),
    password: t.string({ description: secretNote }),
  }),
});
const SnowflakeConfigInput = builder.inputType('SnowflakeConnectionConfigInput', {
  fields: (t) => ({
    account: t.string({ required: true }),
    warehouse: t.string({ required: true }),
    database: t.string({ required: true }),
    schema: t.string(),
    user: t.string({ required: true }),
    role: t.string(),
    password: t.string({ description: secretNote }),
    privateKey: t.string({ description: secretNote }),
  }),
});
const ApiConfigInput = builder.inputType('ApiConnectionConfigInput', {
  fields: (t) => ({
    baseUrl: t.string({ required: true }),
    authType: t.string({ description: 'none (default) | bearer | basic | api_key' }),
    username: t.string(),
    headers: t.field({ type: 'JSONObject' }),
    token: t.string({ description: secretNote }),
  }),
});
const FileConfigInput = builder.inputType('FileConnectionConfigInput', {
  fields: (t) => ({
    format: t.string({ required: true, description: 'csv | json | parquet' }),
    location: t.string({ required: true }),
    delimiter: t.string(),
    hasHeader: t.boolean(),
  }),
});
const ConnectionConfigInput = builder.inputType('ConnectionConfigInput', {
  description: 'Set exactly one field; it decides the source type.',
  fields: (t) => ({
    postgresql: t.field({ type: PostgresConfigInput }),
    snowflake: t.field({ type: SnowflakeConfigInput }),
    api: t.field({ type: ApiConfigInput }),
    file: t.field({ type: FileConfigInput }),
  }),
});

const SourceColumnInput = builder.inputType('SourceColumnInput', {
  fields: (t) => ({ name: t.string({ required: true }), dataType: t.string({ required: true }), nullable: t.boolean({ required: true }) }),
});
const SourceTableInput = builder.inputType('SourceTableInput', {
  fields: (t) => ({ schema: t.string(), name: t.string({ required: true }), columns: t.field({ type: [SourceColumnInput], required: true }) }),
});
const SourceSchemaInput = builder.inputType('SourceSchemaInput', {
  fields: (t) => ({ tables: t.field({ type: [SourceTableInput], required: true }) }),
});

const CreateDataSourceInput = builder.inputType('CreateDataSourceInput', {
  fields: (t) => ({
    workspaceId: t.globalID({ required: true }),
    name: t.string({ required: true }),
    connectionConfig: t.field({ type: ConnectionConfigInput, required: true }),
    schemaCache: t.field({ type: SourceSchemaInput }),
  }),
});
const UpdateDataSourceInput = builder.inputType('UpdateDataSourceInput', {
  fields: (t) => ({
    id: t.globalID({ required: true }),
    name: t.string(),
    connectionConfig: t.field({ type: ConnectionConfigInput, description: 'The same type as stored; omitted secrets are kept.' }),
    schemaCache: t.field({ type: SourceSchemaInput, description: 'Replaces the cached schema and sets lastSchemaRefresh.' }),
  }),
});

const toSchemaInput = (s: { tables: { schema?: string | null; name: string; columns: { name: string; dataType: string; nullable: boolean }[] }[] } | null | undefined) =>
  s ? { tables: s.tables.map((tb) => ({ ...tb, schema: tb.schema ?? null })) } : s;

DataSourceRef.implement({
  description: 'Where a workspace reads from: connection settings (secrets encrypted at rest) and a cached copy of the schema.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    workspace: t.field({ type: WorkspaceRef, resolve: (d) => d.workspace_id }),
    name: t.exposeString('name'),
    sourceType: t.field({ type: DataSourceTypeEnum, resolve: (d) => d.source_type }),
    connectionConfig: t.field({
      type: ConnectionConfigUnion,
      resolve: (d) => connectionConfigView(d.source_type, d.connection_config as StoredConnectionConfig) as View,
    }),
    schemaCache: t.field({ type: SourceSchemaRef, nullable: true, resolve: (d) => toSourceSchema(d.schema_cache) }),
    lastSchemaRefresh: t.expose('last_schema_refresh', { type: 'DateTime', nullable: true }),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
    isActive: t.exposeBoolean('is_active'),
  }),
});

builder.queryFields((t) => ({
  dataSource: t.field({
    type: DataSourceRef,
    nullable: true,
    authScopes: { authenticated: true },
    args: { id: t.arg.globalID({ required: true }) },
    resolve: (_root, { id }) => idOf(id, 'DataSource'),
  }),
}));

const errors = { types: MUTATION_ERRORS, dataField: { name: 'dataSource' } };

builder.mutationFields((t) => ({
  createDataSource: t.field({
    type: DataSourceRef,
    authScopes: { editor: true },
    args: { input: t.arg({ type: CreateDataSourceInput, required: true }) },
    errors,
    resolve: (_root, { input }, ctx) =>
      dataSources.createDataSource(scopeOf(ctx), {
        ...input,
        workspaceId: idOf(input.workspaceId, 'Workspace'),
        schemaCache: toSchemaInput(input.schemaCache),
      }),
  }),
  updateDataSource: t.field({
    type: DataSourceRef,
    authScopes: { editor: true },
    args: { input: t.arg({ type: UpdateDataSourceInput, required: true }) },
    errors,
    resolve: (_root, { input: { id, ...input } }, ctx) =>
      dataSources.updateDataSource(scopeOf(ctx), idOf(id, 'DataSource'), {
        ...input,
        schemaCache: toSchemaInput(input.schemaCache),
      }),
  }),
  deactivateDataSource: t.field({
    type: DataSourceRef,
    authScopes: { editor: true },
    args: { id: t.arg.globalID({ required: true }) },
    errors,
    resolve: (_root, { id }, ctx) => dataSources.deactivateDataSource(scopeOf(ctx), idOf(id, 'DataSource')),
  }),
}));
