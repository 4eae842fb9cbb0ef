import { requireRole } from '../auth/actor.js';
import type { RequestScope } from '../auth/scope.js';
import { auditSource, recordAudit, type AuditEvent } from '../audit/audit.js';
import {
  closeQuietly,
  connectPostgres,
  introspectPostgres,
  testApiReachability,
  testFileSource,
  testPostgresConnection,
  testSnowflakeReachability,
  type ConnectionTestReport,
  takeConnectionAttempt,
} from '../connectors/index.js';
import type { DataSourceRow, DataSourceType } from '../db/tables/data-sources.table.js';
import { DomainError, NotFoundError, UnsupportedSourceError, ValidationError } from '../errors.js';
import { columnsReadBy } from '../mappings/mapping-reads.js';
import { findMappingReadsByWorkspace } from '../mappings/mapping.dao.js';
import { parseInput } from '../validation.js';
import { findWorkspaceById } from '../workspaces/workspace.dao.js';
import { CONNECTION_SCHEMAS, MASKED_SECRET, SECRET_FIELDS } from './connection-config.js';
import * as dao from './data-source.dao.js';
import { pickConnection, type DataSourceInput } from './data-source.manager.js';
import { diffSchemas, type SchemaDiff } from './schema-diff.js';
import { fromDiscovered, toSourceSchema } from '../connectors/source-schema.js';
import { postgresSettingsFrom, postgresSettingsOf, settingsOf } from './source-settings.js';

/**
 * Connecting to a data source on a user's behalf: connection tests (saved or
 * unsaved settings) and schema refreshes. Editors and above; each attempt
 * counts against the organization's rate limit and writes one audit entry.
 */

const takeAttempt = (scope: RequestScope) => takeConnectionAttempt(scope.services.connectors.limiter, scope.tenant.organizationId);

/** Runs the test of a validated connection input (camelCase, secrets in clear). */
async function runTest(scope: RequestScope, type: DataSourceType, config: Record<string, unknown>): Promise<ConnectionTestReport> {
  const { policy, connectTimeoutMs, testTimeoutMs, statementTimeoutMs } = scope.services.connectors;
  switch (type) {
    case 'postgresql':
      return testPostgresConnection(postgresSettingsFrom(config), { policy, connectTimeoutMs, testTimeoutMs, statementTimeoutMs, applicationName: 'datalinx-connection-test' });
    case 'snowflake':
      return testSnowflakeReachability({ account: String(config.account) }, { policy, connectTimeoutMs, testTimeoutMs });
    case 'api':
      return testApiReachability({ baseUrl: String(config.baseUrl) }, { policy, connectTimeoutMs, testTimeoutMs });
    case 'file':
      return testFileSource();
  }
}

/** Where a test went, for the audit entry: settings that are not secret, and the outcome. */
function testAudit(type: DataSourceType, config: Record<string, unknown>, report: ConnectionTestReport) {
  const target: Record<string, unknown> = Object.fromEntries(['host', 'port', 'database', 'user', 'sslMode', 'account', 'baseUrl', 'location'].filter((k) => config[k] != null).map((k) => [k, config[k]]));
  if (typeof target.baseUrl === 'string') target.baseUrl = withoutCredentials(target.baseUrl);
  const failed = report.checks.find((c) => c.status === 'failed' || c.status === 'skipped');
  return { source_type: type, target, status: report.status, failed_check: failed?.name ?? null, message: report.message, duration_ms: report.durationMs };
}

/** A URL without its user:password part, which must not reach the audit log. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '[unparsable URL]';
  }
}

async function audit(scope: RequestScope, event: AuditEvent): Promise<void> {
  await scope.tenant.transaction(({ platform }) => recordAudit(platform, auditSource(scope), event));
}

/** pickConnection for a `connectionConfig` argument (not under `input`). */
function pickConnectionArgument(connectionConfig: DataSourceInput['connectionConfig']) {
  try {
    return pickConnection(connectionConfig);
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(error.message, ['connectionConfig']);
    throw error;
  }
}

/** Tests a saved data source's stored settings, step by step. */
export async function testDataSourceConnection(scope: RequestScope, id: string): Promise<ConnectionTestReport> {
  requireRole(scope.actor, 'editor', 'test data source connections');
  const row = await dao.findDataSourceById(scope.tenant.db, id);
  if (!row) throw new NotFoundError('DataSource', id);
  takeAttempt(scope);
  const config = settingsOf(scope.services.keyring, scope.tenant.organizationId, row);
  const report = await runTest(scope, row.source_type, config);
  await audit(scope, { action: 'dataSource.testConnection', entityType: 'DataSource', entityId: id, after: testAudit(row.source_type, config, report) });
  return report;
}

/**
 * Tests settings that are not saved yet (a create or edit form). With
 * `dataSourceId`, a secret left out or sent as "********" is the stored one —
 * the same rule as updateDataSource — and the type must be the source's.
 */
export async function testDataSourceConnectionConfig(
  scope: RequestScope,
  workspaceId: string,
  connectionConfig: DataSourceInput['connectionConfig'],
  dataSourceId?: string | null,
): Promise<ConnectionTestReport> {
  requireRole(scope.actor, 'editor', 'test data source connections');
  const { type, config } = pickConnectionArgument(connectionConfig);
  if (!(await findWorkspaceById(scope.tenant.db, workspaceId))) throw new NotFoundError('Workspace', workspaceId);
  let stored: DataSourceRow | undefined;
  if (dataSourceId) {
    stored = await dao.findDataSourceById(scope.tenant.db, dataSourceId);
    if (!stored || stored.workspace_id !== workspaceId) throw new NotFoundError('DataSource', dataSourceId);
    if (stored.source_type !== type) throw new ValidationError(`This data source is of type ${stored.source_type}; test it with ${stored.source_type} settings`, ['connectionConfig']);
  }
  const parsed = parseInput<Record<string, unknown>>(CONNECTION_SCHEMAS[type], config, ['connectionConfig', type]);
  const kept = stored ? settingsOf(scope.services.keyring, scope.tenant.organizationId, stored) : {};
  for (const key of SECRET_FIELDS[type]) {
    const given = parsed[key];
    if (given == null || given === MASKED_SECRET) parsed[key] = kept[key] ?? null;
  }
  takeAttempt(scope);
  const report = await runTest(scope, type, parsed);
  await audit(scope, {
    action: 'dataSource.testConnectionConfig',
    entityType: dataSourceId ? 'DataSource' : 'Workspace',
    entityId: dataSourceId ?? workspaceId,
    after: testAudit(type, parsed, report),
  });
  return report;
}

export interface SchemaRefresh {
  dataSource: DataSourceRow;
  diff: SchemaDiff;
}

/**
 * Discovers the source's schema and stores it (schema_cache and
 * last_schema_refresh in one transaction, with the audit entry), returning the
 * source and the diff from the schema stored before. The connection and
 * discovery happen before the transaction: no lock is held while waiting on
 * the source. Errors: NotFoundError, ForbiddenError, RateLimitError,
 * UnsupportedSourceError (not postgresql), SourceConnectionError (the step that failed).
 */
export async function refreshDataSourceSchema(scope: RequestScope, id: string): Promise<SchemaRefresh> {
  requireRole(scope.actor, 'editor', 'refresh data source schemas');
  const row = await dao.findDataSourceById(scope.tenant.db, id);
  if (!row) throw new NotFoundError('DataSource', id);
  const failed = async (error: unknown) => {
    if (error instanceof DomainError) {
      await audit(scope, { action: 'dataSource.refreshSchema', entityType: 'DataSource', entityId: id, after: { status: 'failed', error: error.code, message: error.message } });
    }
    return error;
  };
  if (row.source_type !== 'postgresql') throw await failed(new UnsupportedSourceError(row.source_type, 'Schema discovery'));
  takeAttempt(scope);
  const { policy, connectTimeoutMs, statementTimeoutMs } = scope.services.connectors;
  let discovered;
  try {
    const client = await connectPostgres(postgresSettingsOf(scope.services.keyring, scope.tenant.organizationId, row), {
      policy,
      connectTimeoutMs,
      statementTimeoutMs,
      applicationName: 'datalinx-discovery',
    });
    try {
      discovered = await introspectPostgres(client);
    } finally {
      await closeQuietly(client);
    }
  } catch (error) {
    throw await failed(error);
  }
  const schemaCache = fromDiscovered(discovered);
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const before = await dao.findDataSourceForUpdate(tenant, id);
    if (!before) throw new NotFoundError('DataSource', id);
    const reads = await Promise.all((await findMappingReadsByWorkspace(tenant, before.workspace_id)).map(columnsReadBy));
    const diff = diffSchemas(toSourceSchema(before.schema_cache), toSourceSchema(schemaCache)!, reads);
    const after = (await dao.updateDataSource(tenant, id, { schema_cache: schemaCache, last_schema_refresh: new Date() }))!;
    await recordAudit(platform, auditSource(scope), {
      action: 'dataSource.refreshSchema',
      entityType: 'DataSource',
      entityId: id,
      before: { last_schema_refresh: before.last_schema_refresh?.toISOString() ?? null },
      after: {
        status: 'succeeded',
        last_schema_refresh: after.last_schema_refresh?.toISOString() ?? null,
        tables: schemaCache.tables.length,
        classification: diff.classification,
        changed_tables: diff.tableChanges.map((t) => `${t.table} ${t.change}`),
      },
    });
    return { dataSource: after, diff };
  });
}
