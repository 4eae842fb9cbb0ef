import type { ConnectionCheck, ConnectionTestReport } from '../../connectors/index.js';
import type { ColumnChange, SchemaDiff, TableChange } from '../../data-sources/schema-diff.js';
import * as sourceConnections from '../../data-sources/source-connection.manager.js';
import type { SchemaRefresh } from '../../data-sources/source-connection.manager.js';
import { upperCaseEnum } from '../enum-values.js';
import { builder } from '../builder.js';
import { idOf, scopeOf } from '../relay.js';
import { ConnectionConfigInput } from './data-source.js';
import { directErrors, SOURCE_CONNECTION_ERRORS } from './error.js';
import { DataSourceRef, MappingRef } from './refs.js';

const TestStatusEnum = builder.enumType('ConnectionTestStatus', {
  description: 'The outcome of a connection test.',
  values: upperCaseEnum(['succeeded', 'failed'] as const, {
    succeeded: 'Every check passed (or passed with a warning).',
    failed: 'A check failed, or a step could not run (see `checks`).',
  }),
});

const CheckStatusEnum = builder.enumType('ConnectionCheckStatus', {
  description: 'The outcome of one check of a connection test.',
  values: upperCaseEnum(['passed', 'failed', 'warning', 'skipped'] as const, {
    passed: 'The step worked.',
    failed: 'The step failed; `message` says why. Later steps are SKIPPED.',
    warning: 'The step worked, with a caveat worth fixing (e.g. no TLS under sslMode prefer).',
    skipped: 'The step did not run: an earlier one failed, or the source type has no connector yet ("not supported yet").',
  }),
});

const ConnectionCheckRef = builder.objectRef<ConnectionCheck>('ConnectionCheck').implement({
  description: 'One step of a connection test.',
  fields: (t) => ({
    name: t.exposeString('name', {
      description:
        'The step: configuration (settings complete), resolve_host (DNS), address_policy (this server may connect to the address), tcp_connect, http_reachable (api sources), tls (as sslMode asks), authenticate, open_database, read_catalog (tables are readable), connector (a connector exists for the type).',
    }),
    status: t.field({ type: CheckStatusEnum, description: 'How the step went.', resolve: (c) => c.status }),
    message: t.exposeString('message', { description: 'What happened, in words a user can act on. Never contains a secret.' }),
  }),
});

export const ConnectionTestResultRef = builder.objectRef<ConnectionTestReport>('ConnectionTestResult').implement({
  description: 'The result of testing a connection step by step. A failed test is a result, not an error: see `checks` for the step.',
  fields: (t) => ({
    status: t.field({ type: TestStatusEnum, description: 'SUCCEEDED when no check failed or was skipped.', resolve: (r) => r.status }),
    durationMs: t.exposeInt('durationMs', { description: 'How long the test took, in milliseconds.' }),
    message: t.exposeString('message', { description: 'One sentence: what was reached, or the failing step and why.' }),
    checks: t.field({ type: [ConnectionCheckRef], description: 'Every step, in the order they run.', resolve: (r) => r.checks }),
  }),
});

const ClassificationEnum = builder.enumType('SchemaChangeClassification', {
  description: 'How much a schema change matters to the mappings of the workspace.',
  values: upperCaseEnum(['no_change', 'non_breaking', 'breaking'] as const, {
    no_change: 'The schema is as it was.',
    non_breaking: 'Something changed, but no mapping reads what was removed or retyped.',
    breaking: 'A mapping reads a removed table or column, or a column whose type changed.',
  }),
});

const TableChangeEnum = builder.enumType('SchemaTableChangeKind', {
  description: 'What happened to a table.',
  values: upperCaseEnum(['added', 'removed', 'changed'] as const, {
    added: 'The table is new.',
    removed: 'The table is gone (or the user may no longer read it).',
    changed: 'Some of its columns changed.',
  }),
});

const ColumnChangeEnum = builder.enumType('SchemaColumnChangeKind', {
  description: 'What happened to a column.',
  values: upperCaseEnum(['added', 'removed', 'type_changed', 'nullability_changed'] as const, {
    added: 'The column is new.',
    removed: 'The column is gone.',
    type_changed: 'Its declared type changed (see oldType, newType).',
    nullability_changed: 'It now allows nulls, or no longer does.',
  }),
});

const ColumnChangeRef = builder.objectRef<ColumnChange>('SchemaColumnChange').implement({
  description: 'A change to one column.',
  fields: (t) => ({
    column: t.exposeString('column', { description: 'Column name.' }),
    change: t.field({ type: ColumnChangeEnum, description: 'What changed.', resolve: (c) => c.change }),
    oldType: t.exposeString('oldType', { nullable: true, description: 'Type before; null for an added column.' }),
    newType: t.exposeString('newType', { nullable: true, description: 'Type after; null for a removed column.' }),
    breaking: t.exposeBoolean('breaking', { description: 'The column was removed or retyped and a mapping of the workspace reads it.' }),
    affectedMappings: t.field({
      type: [MappingRef],
      description: 'The mappings of the workspace that read this column (by source table, field sources and transforms). Loaded in one batch per request.',
      resolve: (c) => c.affectedMappingIds,
    }),
  }),
});

const TableChangeRef = builder.objectRef<TableChange>('SchemaTableChange').implement({
  description: 'A change to one table.',
  fields: (t) => ({
    table: t.exposeString('table', { description: 'Schema-qualified name, e.g. crm.customers.' }),
    change: t.field({ type: TableChangeEnum, description: 'What happened to the table.', resolve: (c) => c.change }),
    columnChanges: t.field({ type: [ColumnChangeRef], description: 'Its changed columns (all of them for an added or removed table), in source order.', resolve: (c) => c.columnChanges }),
  }),
});

const SchemaDiffRef = builder.objectRef<SchemaDiff>('SchemaDiff').implement({
  description: 'What changed in a source schema since the previous refresh, and whether it breaks a mapping.',
  fields: (t) => ({
    classification: t.field({ type: ClassificationEnum, description: 'BREAKING if any column change is breaking.', resolve: (d) => d.classification }),
    tableChanges: t.field({ type: [TableChangeRef], description: 'Changed tables, by qualified name.', resolve: (d) => d.tableChanges }),
  }),
});

const RefreshPayloadRef = builder.objectRef<SchemaRefresh>('RefreshDataSourceSchemaPayload').implement({
  description: 'The result of a successful `refreshDataSourceSchema`.',
  fields: (t) => ({
    dataSource: t.field({ type: DataSourceRef, description: 'The data source with its new schemaCache and lastSchemaRefresh.', resolve: (r) => r.dataSource }),
    diff: t.field({ type: SchemaDiffRef, description: 'The change from the schema stored before (everything ADDED on a first refresh).', resolve: (r) => r.diff }),
  }),
});

const connectionErrors = 'RateLimitError (too many attempts this minute), NotFoundError, ForbiddenError (viewers), ValidationError';

builder.mutationFields((t) => ({
  testDataSourceConnection: t.field({
    type: ConnectionTestResultRef,
    description: `Tests a saved data source's settings step by step and reports each check; a failing step is a FAILED result, not an error. Editors and above; counts against the organization's connection rate limit; audited. Errors: ${connectionErrors}.`,
    authScopes: { editor: true },
    args: { id: t.arg.globalID({ required: true, description: 'Global ID of the data source.' }) },
    errors: directErrors('testDataSourceConnection', SOURCE_CONNECTION_ERRORS),
    resolve: (_root, { id }, ctx) => sourceConnections.testDataSourceConnection(scopeOf(ctx), idOf(id, 'DataSource')),
  }),
  testDataSourceConnectionConfig: t.field({
    type: ConnectionTestResultRef,
    description: `Tests settings that are not saved (a create or edit form). With dataSourceId, a secret left out or sent as "********" is the stored one. Editors and above; rate limited; audited. Errors: ${connectionErrors} (settings invalid, or another type than the source's).`,
    authScopes: { editor: true },
    args: {
      workspaceId: t.arg.globalID({ required: true, description: 'Global ID of the workspace the source is (or will be) in.' }),
      connectionConfig: t.arg({ type: ConnectionConfigInput, required: true, description: 'The settings to test; exactly one field, as in createDataSource.' }),
      dataSourceId: t.arg.globalID({ description: 'The saved source being edited, whose stored secrets fill in masked or left-out ones. Must be in the workspace.' }),
    },
    errors: directErrors('testDataSourceConnectionConfig', SOURCE_CONNECTION_ERRORS),
    resolve: (_root, args, ctx) =>
      sourceConnections.testDataSourceConnectionConfig(
        scopeOf(ctx),
        idOf(args.workspaceId, 'Workspace'),
        args.connectionConfig,
        args.dataSourceId ? idOf(args.dataSourceId, 'DataSource') : null,
      ),
  }),
  refreshDataSourceSchema: t.field({
    type: RefreshPayloadRef,
    description: `Discovers the source's tables, views and columns, stores them as schemaCache (with lastSchemaRefresh) and returns the diff from the previous schema. PostgreSQL sources only. Editors and above; rate limited; audited. Errors: SourceConnectionError (the failing step), UnsupportedSourceError (other types), ${connectionErrors}.`,
    authScopes: { editor: true },
    args: { id: t.arg.globalID({ required: true, description: 'Global ID of the data source.' }) },
    errors: directErrors('refreshDataSourceSchema', SOURCE_CONNECTION_ERRORS),
    resolve: (_root, { id }, ctx) => sourceConnections.refreshDataSourceSchema(scopeOf(ctx), idOf(id, 'DataSource')),
  }),
}));
