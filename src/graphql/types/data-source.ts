import { connectionConfigView, MASKED_SECRET } from '../../data-sources/connection-config.js';
import * as dataSources from '../../data-sources/data-source.manager.js';
import { qualifiedName, toSourceSchema, type SourceSchema } from '../../connectors/source-schema.js';
import { SOURCE_TABLE_KINDS } from '../../connectors/index.js';
import { DATA_SOURCE_TYPES, type DataSourceSummary, type DataSourceType } from '../../db/tables/data-sources.table.js';
import type { StoredConnectionConfig } from '../../data-sources/connection-config.js';
import { upperCaseEnum } from '../enum-values.js';
import { builder } from '../builder.js';
import { idOf, scopeOf, type FieldColumns } from '../relay.js';
import { payloadErrors } from './error.js';
import { DataSourceRef, WorkspaceRef } from './refs.js';

export const DataSourceTypeEnum = builder.enumType('DataSourceType', {
  description: 'What kind of system a data source reads from; decides the shape of its `connectionConfig`. Fixed when the source is created.',
  values: upperCaseEnum(DATA_SOURCE_TYPES, {
    postgresql: 'A PostgreSQL database (PostgresConnectionConfig).',
    snowflake: 'A Snowflake warehouse (SnowflakeConnectionConfig).',
    api: 'An HTTP API (ApiConnectionConfig).',
    file: 'Files in CSV, JSON or Parquet at a location (FileConnectionConfig).',
  }),
});

/** The API view of a stored config (see connectionConfigView); each type exposes its own keys. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- keys differ per source type, checked by the zod schemas on write
type View = { sourceType: DataSourceType } & Record<string, any>;

export const PostgresConfig = builder.objectRef<View>('PostgresConnectionConfig').implement({
  description: 'How to reach a PostgreSQL source. The password is stored encrypted and never returned.',
  fields: (t) => ({
    host: t.exposeString('host', { description: 'Host name or IP address.' }),
    port: t.exposeInt('port', { description: 'TCP port (5432 unless set).' }),
    database: t.exposeString('database', { description: 'Database name.' }),
    user: t.exposeString('user', { description: 'User to connect as.' }),
    sslMode: t.exposeString('sslMode', { description: 'libpq sslmode: disable, allow, prefer, require (the default), verify-ca or verify-full.' }),
    hasPassword: t.exposeBoolean('hasPassword', { description: 'A password is stored (it is never returned).' }),
  }),
});

export const SnowflakeConfig = builder.objectRef<View>('SnowflakeConnectionConfig').implement({
  description: 'How to reach a Snowflake source. Password and private key are stored encrypted and never returned.',
  fields: (t) => ({
    account: t.exposeString('account', { description: 'Account identifier, e.g. xy12345.eu-central-1.' }),
    warehouse: t.exposeString('warehouse', { description: 'Virtual warehouse that runs the queries.' }),
    database: t.exposeString('database', { description: 'Database name.' }),
    schema: t.exposeString('schema', { nullable: true, description: 'Schema to read; null for all the user may see.' }),
    user: t.exposeString('user', { description: 'User to connect as.' }),
    role: t.exposeString('role', { nullable: true, description: "Role to use; null for the user's default role." }),
    hasPassword: t.exposeBoolean('hasPassword', { description: 'A password is stored (it is never returned).' }),
    hasPrivateKey: t.exposeBoolean('hasPrivateKey', { description: 'A key-pair private key is stored (it is never returned).' }),
  }),
});

const ApiConfig = builder.objectRef<View>('ApiConnectionConfig').implement({
  description: 'How to reach an HTTP API source. The token is stored encrypted and never returned.',
  fields: (t) => ({
    baseUrl: t.exposeString('baseUrl', { description: 'http(s) URL that requests start from.' }),
    authType: t.exposeString('authType', { description: 'none, bearer, basic or api_key.' }),
    username: t.exposeString('username', { nullable: true, description: 'User name for basic authentication.' }),
    headers: t.field({
      type: 'JSONObject',
      nullable: true,
      description: 'Extra request headers, name to value (strings). Not for secrets: they are stored and shown in clear.',
      resolve: (c) => c.headers ?? null,
    }),
    hasToken: t.exposeBoolean('hasToken', { description: 'A token, password or API key is stored (it is never returned).' }),
  }),
});

const FileConfig = builder.objectRef<View>('FileConnectionConfig').implement({
  description: 'Where to read files from, and how to parse them.',
  fields: (t) => ({
    format: t.exposeString('format', { description: 'csv, json or parquet.' }),
    location: t.exposeString('location', { description: 'Where the files are, e.g. s3://bucket/prefix/ or a path.' }),
    delimiter: t.exposeString('delimiter', { nullable: true, description: 'Field separator of CSV files (1–4 characters); null for the default.' }),
    hasHeader: t.exposeBoolean('hasHeader', { nullable: true, description: 'CSV files start with a header row; null when not set.' }),
  }),
});

const BY_TYPE = { postgresql: PostgresConfig, snowflake: SnowflakeConfig, api: ApiConfig, file: FileConfig } as const;

const ConnectionConfigUnion = builder.unionType('ConnectionConfig', {
  description: 'Connection settings, typed per source type (see `DataSource.sourceType`). Secret values are never returned, only `has…` flags.',
  types: [PostgresConfig, SnowflakeConfig, ApiConfig, FileConfig],
  resolveType: (c) => BY_TYPE[c.sourceType as DataSourceType],
});

const SourceColumnRef = builder.objectRef<SourceSchema['tables'][number]['columns'][number]>('SourceColumn').implement({
  description: 'A column of a source table.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Column name.' }),
    dataType: t.exposeString('dataType', { description: "The source's own type name, e.g. varchar(255) or NUMBER(38,0)." }),
    nullable: t.exposeBoolean('nullable', { description: 'The column may hold nulls.' }),
    isPrimaryKey: t.exposeBoolean('isPrimaryKey', { description: "The column is part of the table's primary key (false when unknown)." }),
    ordinalPosition: t.exposeInt('ordinalPosition', { description: 'Position among the table\'s columns, from 1.' }),
  }),
});
const SourceTableKindEnum = builder.enumType('SourceTableKind', {
  description: 'What kind of relation a source table is.',
  values: upperCaseEnum(SOURCE_TABLE_KINDS, {
    table: 'A table (for PostgreSQL also a partitioned table, standing for its partitions).',
    view: 'A view.',
    materialized_view: 'A materialized view.',
    foreign_table: 'A foreign table.',
  }),
});
const SourceTableRef = builder.objectRef<SourceSchema['tables'][number]>('SourceTable').implement({
  description: 'A table (or view, or file set) of the source.',
  fields: (t) => ({
    schema: t.exposeString('schema', { nullable: true, description: 'Schema or namespace holding it; null when the source has none.' }),
    name: t.exposeString('name', { description: 'Table name.' }),
    qualifiedName: t.string({
      description: 'Schema and name, e.g. crm.customers (the bare name when there is no schema): what a mapping\'s `sourceTable` names.',
      resolve: (s) => qualifiedName(s),
    }),
    kind: t.field({ type: SourceTableKindEnum, nullable: true, description: 'Table, view, …; null when stored by hand without one.', resolve: (s) => s.kind }),
    columns: t.field({ type: [SourceColumnRef], description: 'Its columns, in source order.', resolve: (s) => s.columns }),
  }),
});
export const SourceSchemaRef = builder.objectRef<SourceSchema>('SourceSchema').implement({
  description: "The cached copy of the source's schema, as last discovered by `refreshDataSourceSchema` or stored with `schemaCache` (see `lastSchemaRefresh`).",
  fields: (t) => ({ tables: t.field({ type: [SourceTableRef], description: 'Tables of the source.', resolve: (s) => s.tables }) }),
});

export const secretNote = `Write-only. Leave out, or send "${MASKED_SECRET}", to keep the stored value.`;

export const PostgresConfigInput = builder.inputType('PostgresConnectionConfigInput', {
  description: 'Settings of a PostgreSQL source.',
  fields: (t) => ({
    host: t.string({ required: true, description: 'Host name or IP address, 1–255 characters.' }),
    port: t.int({ description: 'TCP port, 1–65535; default 5432.' }),
    database: t.string({ required: true, description: 'Database name, 1–255 characters.' }),
    user: t.string({ required: true, description: 'User to connect as, 1–255 characters.' }),
    sslMode: t.string({ description: 'disable | allow | prefer | require (default) | verify-ca | verify-full' }),
    password: t.string({ description: secretNote }),
  }),
});
export const SnowflakeConfigInput = builder.inputType('SnowflakeConnectionConfigInput', {
  description: 'Settings of a Snowflake source; it authenticates with `password` or with a key pair (`privateKey`).',
  fields: (t) => ({
    account: t.string({ required: true, description: 'Account identifier, 1–255 characters.' }),
    warehouse: t.string({ required: true, description: 'Virtual warehouse, 1–255 characters.' }),
    database: t.string({ required: true, description: 'Database name, 1–255 characters.' }),
    schema: t.string({ description: 'Schema to read, 1–255 characters.' }),
    user: t.string({ required: true, description: 'User to connect as, 1–255 characters.' }),
    role: t.string({ description: 'Role to use, 1–255 characters.' }),
    password: t.string({ description: secretNote }),
    privateKey: t.string({ description: secretNote }),
  }),
});
const ApiConfigInput = builder.inputType('ApiConnectionConfigInput', {
  description: 'Settings of an HTTP API source.',
  fields: (t) => ({
    baseUrl: t.string({ required: true, description: 'http or https URL, at most 2000 characters.' }),
    authType: t.string({ description: 'none (default) | bearer | basic | api_key' }),
    username: t.string({ description: 'User name for basic authentication, 1–255 characters.' }),
    headers: t.field({
      type: 'JSONObject',
      description: 'Extra request headers: names up to 200 characters, string values up to 2000. Stored in clear: put secrets in `token`.',
    }),
    token: t.string({ description: secretNote }),
  }),
});
const FileConfigInput = builder.inputType('FileConnectionConfigInput', {
  description: 'Settings of a file source.',
  fields: (t) => ({
    format: t.string({ required: true, description: 'csv | json | parquet' }),
    location: t.string({ required: true, description: 'Where the files are (URL or path), 1–2000 characters.' }),
    delimiter: t.string({ description: 'CSV field separator, 1–4 characters.' }),
    hasHeader: t.boolean({ description: 'CSV files start with a header row.' }),
  }),
});
export const ConnectionConfigInput = builder.inputType('ConnectionConfigInput', {
  description: 'Set exactly one field; it decides the source type.',
  fields: (t) => ({
    postgresql: t.field({ type: PostgresConfigInput, description: 'A PostgreSQL source.' }),
    snowflake: t.field({ type: SnowflakeConfigInput, description: 'A Snowflake source.' }),
    api: t.field({ type: ApiConfigInput, description: 'An HTTP API source.' }),
    file: t.field({ type: FileConfigInput, description: 'A file source.' }),
  }),
});

const SourceColumnInput = builder.inputType('SourceColumnInput', {
  description: 'A column of a source table.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Column name, 1–255 characters.' }),
    dataType: t.string({ required: true, description: "The source's type name, 1–255 characters." }),
    nullable: t.boolean({ required: true, description: 'The column may hold nulls.' }),
    isPrimaryKey: t.boolean({ description: "Part of the table's primary key; false when left out." }),
    ordinalPosition: t.int({ description: 'Position from 1; the place in the list when left out.' }),
  }),
});
const SourceTableInput = builder.inputType('SourceTableInput', {
  description: 'A table of the source.',
  fields: (t) => ({
    schema: t.string({ description: 'Schema or namespace, at most 255 characters.' }),
    name: t.string({ required: true, description: 'Table name, 1–255 characters.' }),
    columns: t.field({ type: [SourceColumnInput], required: true, description: 'Its columns, at most 5000.' }),
  }),
});
const SourceSchemaInput = builder.inputType('SourceSchemaInput', {
  description: "A snapshot of the source's schema, as discovered by a client or runner.",
  fields: (t) => ({ tables: t.field({ type: [SourceTableInput], required: true, description: 'Tables, at most 10,000.' }) }),
});

const CreateDataSourceInput = builder.inputType('CreateDataSourceInput', {
  description: 'A new data source.',
  fields: (t) => ({
    workspaceId: t.globalID({ required: true, description: 'Global ID of the workspace it belongs to.' }),
    name: t.string({ required: true, description: 'Display name, 1–255 characters after trimming.' }),
    connectionConfig: t.field({ type: ConnectionConfigInput, required: true, description: 'How to connect; its one field sets the source type.' }),
    schemaCache: t.field({ type: SourceSchemaInput, description: 'A schema snapshot to store now; sets lastSchemaRefresh.' }),
  }),
});
const UpdateDataSourceInput = builder.inputType('UpdateDataSourceInput', {
  description: 'Changes to a data source; omitted fields stay as they are.',
  fields: (t) => ({
    id: t.globalID({ required: true, description: 'Global ID of the data source.' }),
    name: t.string({ description: 'New display name, 1–255 characters after trimming.' }),
    connectionConfig: t.field({
      type: ConnectionConfigInput,
      description: 'Replaces the settings; must be of the stored source type. Omitted or masked secrets keep their stored value.',
    }),
    schemaCache: t.field({ type: SourceSchemaInput, description: 'Replaces the cached schema and sets lastSchemaRefresh.' }),
  }),
});

const toSchemaInput = (
  s: { tables: { schema?: string | null; name: string; columns: { name: string; dataType: string; nullable: boolean; isPrimaryKey?: boolean | null; ordinalPosition?: number | null }[] }[] } | null | undefined,
) =>
  s ? { tables: s.tables.map((tb) => ({ ...tb, schema: tb.schema ?? null })) } : s;

/** The columns each DataSource field below reads: lists read only those their nodes show (FieldColumns). */
export const DATA_SOURCE_FIELD_COLUMNS: FieldColumns<DataSourceSummary> = {
  id: ['id'],
  workspace: ['workspace_id'],
  name: ['name'],
  sourceType: ['source_type'],
  connectionConfig: ['source_type', 'connection_config'],
  // Lists never read the cached schema: the field loads it by id.
  schemaCache: ['id'],
  lastSchemaRefresh: ['last_schema_refresh'],
  createdAt: ['created_at'],
  isActive: ['is_active'],
};

DataSourceRef.implement({
  description:
    'Where a workspace reads from: connection settings (secrets encrypted at rest, never returned) and a cached copy of the schema. Any member may read it.',
  fields: (t) => ({
    workspace: t.field({ type: WorkspaceRef, description: 'The workspace it belongs to.', resolve: (d) => d.workspace_id }),
    name: t.exposeString('name', { description: 'Display name.' }),
    sourceType: t.expose('source_type', { type: DataSourceTypeEnum, description: 'What kind of source; fixed at creation.' }),
    connectionConfig: t.field({
      type: ConnectionConfigUnion,
      description: 'How to connect, typed by `sourceType`; secrets appear only as `has…` flags.',
      resolve: (d) => connectionConfigView(d.source_type, d.connection_config as StoredConnectionConfig) as View,
    }),
    schemaCache: t.field({
      type: SourceSchemaRef,
      nullable: true,
      description: 'The cached source schema; null when none was stored.',
      // Lists read data sources without their cached schema; those asking for it share one statement.
      resolve: async (d, _args, ctx) =>
        toSourceSchema(
          d.schema_cache !== undefined
            ? d.schema_cache
            : await ctx.loaders.get<string, unknown>('DataSource.schemaCache', null, (ids) => dataSources.schemaCachesByIds(scopeOf(ctx), ids)).load(d.id),
        ),
    }),
    lastSchemaRefresh: t.expose('last_schema_refresh', { type: 'DateTime', nullable: true, description: 'When `schemaCache` was last stored; null if never.' }),
    createdAt: t.expose('created_at', { type: 'DateTime', description: 'When the data source was created.' }),
    isActive: t.exposeBoolean('is_active', { description: 'False once deactivated (`deactivateDataSource`); an inactive source is kept but not used.' }),
  }),
});

builder.queryFields((t) => ({
  dataSource: t.field({
    type: DataSourceRef,
    nullable: true,
    description: 'A data source by global ID; null when it does not exist or belongs to another organization. Any role.',
    authScopes: { authenticated: true },
    args: { id: t.arg.globalID({ required: true, description: 'Global ID of the data source.' }) },
    resolve: (_root, { id }) => idOf(id, 'DataSource'),
  }),
}));

const errors = (mutation: string, dataSource: string) => payloadErrors(mutation, { name: 'dataSource', description: dataSource });

builder.mutationFields((t) => ({
  createDataSource: t.field({
    type: DataSourceRef,
    description:
      'Adds a data source to a workspace; secrets are encrypted before they are stored. Editors and above. Errors: ValidationError (settings, not exactly one connectionConfig field), NotFoundError (workspace), ForbiddenError.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: CreateDataSourceInput, required: true, description: 'The new data source.' }) },
    errors: errors('createDataSource', 'The new data source.'),
    resolve: (_root, { input }, ctx) =>
      dataSources.createDataSource(scopeOf(ctx), {
        ...input,
        workspaceId: idOf(input.workspaceId, 'Workspace'),
        schemaCache: toSchemaInput(input.schemaCache),
      }),
  }),
  updateDataSource: t.field({
    type: DataSourceRef,
    description:
      'Changes name, settings or cached schema. A secret left out, or sent as "********", keeps the stored value. Editors and above. Errors: ValidationError (settings, another source type), NotFoundError, ForbiddenError.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: UpdateDataSourceInput, required: true, description: 'What to change.' }) },
    errors: errors('updateDataSource', 'The data source as changed.'),
    resolve: (_root, { input: { id, ...input } }, ctx) =>
      dataSources.updateDataSource(scopeOf(ctx), idOf(id, 'DataSource'), {
        ...input,
        schemaCache: toSchemaInput(input.schemaCache),
      }),
  }),
  deactivateDataSource: t.field({
    type: DataSourceRef,
    description: 'Marks a data source inactive (isActive false); it and its settings are kept. Editors and above. Errors: NotFoundError, ForbiddenError.',
    authScopes: { editor: true },
    args: { id: t.arg.globalID({ required: true, description: 'Global ID of the data source.' }) },
    errors: errors('deactivateDataSource', 'The deactivated data source.'),
    resolve: (_root, { id }, ctx) => dataSources.deactivateDataSource(scopeOf(ctx), idOf(id, 'DataSource')),
  }),
}));
