import { randomUUID } from 'node:crypto';
import { requireRole } from '../auth/actor.js';
import { changedColumns, isUnchanged } from '../db/changes.js';
import type { RequestScope } from '../auth/scope.js';
import { auditSource, recordAudit } from '../audit/audit.js';
import type { Page, PageArgs } from '../db/pagination.js';
import type { DataSourceRow, DataSourceSummary, DataSourceType } from '../db/tables/data-sources.table.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { findWorkspaceById } from '../workspaces/workspace.dao.js';
import { sealConnectionConfig, type StoredConnectionConfig } from './connection-config.js';
import * as dao from './data-source.dao.js';
import { fromSourceSchema, type SourceSchemaInput } from '../connectors/source-schema.js';
import { checkName } from '../validation.js';

export interface DataSourceInput {
  name?: string | null;
  /** Exactly one branch, named after the source type. */
  connectionConfig?: Partial<Record<DataSourceType, Record<string, unknown> | null>> | null;
  schemaCache?: SourceSchemaInput | null;
}

/** What the audit log keeps of a data source: settings without the sealed secrets. */
const audited = (row: DataSourceRow | undefined) => {
  if (!row) return undefined;
  const { secrets: _sealed, ...config } = row.connection_config as StoredConnectionConfig;
  return { name: row.name, source_type: row.source_type, connection_config: config, is_active: row.is_active };
};

export function pickConnection(input: DataSourceInput['connectionConfig']): { type: DataSourceType; config: Record<string, unknown> } {
  const given = Object.entries(input ?? {}).filter(([, v]) => v != null) as [DataSourceType, Record<string, unknown>][];
  if (given.length !== 1) {
    throw new ValidationError('connectionConfig must set exactly one of postgresql, snowflake, api, file', ['input', 'connectionConfig']);
  }
  const [type, config] = given[0]!;
  return { type, config };
}

const checkSourceName = (name: string) => checkName(name, 'Data source name', ['input', 'name']);

export function findDataSourcesByIds(scope: RequestScope, ids: readonly string[]): Promise<DataSourceRow[]> {
  return dao.findDataSourcesByIds(scope.tenant.db, ids);
}

export function dataSourcePagesByWorkspace(
  scope: RequestScope,
  workspaceIds: readonly string[],
  filter: dao.DataSourceFilter,
  args: PageArgs,
): Promise<Map<string, Page<DataSourceSummary>>> {
  return dao.pagesByWorkspaceIds(scope.tenant.db, workspaceIds, filter, args);
}

/** The cached schemas of data sources read without them (lists), in the order of `ids`. */
export async function schemaCachesByIds(scope: RequestScope, ids: readonly string[]): Promise<unknown[]> {
  const rows = await dao.findSchemaCachesByIds(scope.tenant.db, ids);
  const byId = new Map(rows.map((r) => [r.id, r.schema_cache]));
  return ids.map((id) => byId.get(id) ?? null);
}

export function dataSourceCountsByWorkspace(scope: RequestScope, workspaceIds: readonly string[], filter: dao.DataSourceFilter) {
  return dao.countsByWorkspaceIds(scope.tenant.db, workspaceIds, filter);
}

export async function createDataSource(
  scope: RequestScope,
  input: DataSourceInput & { workspaceId: string; name: string },
): Promise<DataSourceRow> {
  requireRole(scope.actor, 'editor', 'create data sources');
  const { type, config } = pickConnection(input.connectionConfig);
  const id = randomUUID();
  const sealed = sealConnectionConfig(scope.services.keyring, { organizationId: scope.tenant.organizationId, dataSourceId: id }, type, config);
  const schemaCache = input.schemaCache ? fromSourceSchema(input.schemaCache) : null;
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    if (!(await findWorkspaceById(tenant, input.workspaceId))) throw new NotFoundError('Workspace', input.workspaceId);
    const row = await dao.insertDataSource(tenant, {
      id,
      workspace_id: input.workspaceId,
      name: checkSourceName(input.name),
      source_type: type,
      connection_config: sealed,
      schema_cache: schemaCache,
      last_schema_refresh: schemaCache ? new Date() : null,
    });
    await recordAudit(platform, auditSource(scope), { action: 'dataSource.create', entityType: 'DataSource', entityId: id, after: audited(row) });
    return row;
  });
}

/**
 * Updates name, settings or the cached schema. A secret left out (or sent
 * masked) keeps the stored one; the source type cannot change.
 */
export async function updateDataSource(scope: RequestScope, id: string, input: DataSourceInput): Promise<DataSourceRow> {
  requireRole(scope.actor, 'editor', 'change data sources');
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const before = await dao.findDataSourceById(tenant, id);
    if (!before) throw new NotFoundError('DataSource', id);
    let connectionConfig: StoredConnectionConfig | undefined;
    if (input.connectionConfig) {
      const { type, config } = pickConnection(input.connectionConfig);
      if (type !== before.source_type) {
        throw new ValidationError(`This data source is of type ${before.source_type}; its type cannot change`, ['input', 'connectionConfig']);
      }
      const owner = { organizationId: scope.tenant.organizationId, dataSourceId: id };
      connectionConfig = sealConnectionConfig(scope.services.keyring, owner, type, config, before.connection_config as StoredConnectionConfig);
    }
    const schemaCache = input.schemaCache ? fromSourceSchema(input.schemaCache) : undefined;
    const changes = changedColumns(before, { name: input.name == null ? undefined : checkSourceName(input.name), connection_config: connectionConfig, schema_cache: schemaCache });
    if (isUnchanged(changes)) return before;
    const after = await dao.updateDataSource(tenant, id, { ...changes, last_schema_refresh: changes.schema_cache ? new Date() : undefined });
    await recordAudit(platform, auditSource(scope), { action: 'dataSource.update', entityType: 'DataSource', entityId: id, before: audited(before), after: audited(after) });
    return after!;
  });
}

export async function deactivateDataSource(scope: RequestScope, id: string): Promise<DataSourceRow> {
  requireRole(scope.actor, 'editor', 'deactivate data sources');
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const before = await dao.findDataSourceById(tenant, id);
    if (!before) throw new NotFoundError('DataSource', id);
    const after = await dao.updateDataSource(tenant, id, { is_active: false });
    await recordAudit(platform, auditSource(scope), { action: 'dataSource.deactivate', entityType: 'DataSource', entityId: id, before: audited(before), after: audited(after) });
    return after!;
  });
}
