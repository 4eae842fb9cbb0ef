import { requireRole } from '../auth/actor.js';
import type { RequestScope } from '../auth/scope.js';
import { auditSource, recordAudit } from '../audit/audit.js';
import { CheckList } from '../connectors/connection-test.js';
import { takeConnectionAttempt, testPostgresConnection, testSnowflakeReachability, type ConnectionTestReport, type PostgresSettings } from '../connectors/index.js';
import type { Keyring } from '../crypto/keyring.js';
import { postgresSettingsFrom } from '../data-sources/source-settings.js';
import type { TenantDb } from '../db/database.js';
import type { WorkspaceRow } from '../db/tables/workspaces.table.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { WarehouseDialect } from '../workspaces/warehouse-dialects.js';
import { findWorkspaceById } from '../workspaces/workspace.dao.js';
import * as workspaces from '../workspaces/workspace.manager.js';
import { openWarehouseSettings, sealWarehouse, warehouseView, type WarehouseInput, type WarehouseView } from './warehouse-config.js';

/**
 * A workspace's target warehouse: set or removed with updateWorkspace (in its
 * transaction and audit entry), read masked, tested step by step, and handed
 * to the worker with its secret in clear.
 */

export type UpdateWorkspaceInput = workspaces.WorkspaceInput & { warehouse?: WarehouseInput | null };

/** updateWorkspace with the warehouse: left out keeps it, null removes it, a value replaces it (masked secrets kept). */
export function updateWorkspace(scope: RequestScope, id: string, input: UpdateWorkspaceInput): Promise<WorkspaceRow> {
  const { warehouse, ...rest } = input;
  if (warehouse === undefined) return workspaces.updateWorkspace(scope, id, rest);
  const { keyring } = scope.services;
  const organizationId = scope.tenant.organizationId;
  return workspaces.updateWorkspace(scope, id, rest, {
    columns: (before) => ({ warehouse: warehouse === null ? null : sealWarehouse(keyring, organizationId, id, warehouse, before.warehouse) }),
    audited: (w) => ({ warehouse: w.warehouse ? warehouseView(w.warehouse) : null }),
  });
}

/** The masked view of a workspace's warehouse; null when it has none. */
export const workspaceWarehouseView = (row: WorkspaceRow): WarehouseView | null => (row.warehouse ? warehouseView(row.warehouse) : null);

/** What a job or test into a warehouse of another dialect than PostgreSQL says. */
export const notSupported = (dialect: WarehouseDialect) => `${dialect} warehouses are not supported by this deployment yet`;

const takeAttempt = (scope: RequestScope) => takeConnectionAttempt(scope.services.connectors.limiter, scope.tenant.organizationId);

/**
 * Tests the workspace's stored warehouse settings step by step, as data
 * sources are tested: PostgreSQL for real; Snowflake up to its address; other
 * dialects report the connector step as skipped. Editors and above; counts
 * against the organization's connection rate limit; one audit entry.
 */
export async function testWarehouseConnection(scope: RequestScope, workspaceId: string): Promise<ConnectionTestReport> {
  requireRole(scope.actor, 'editor', 'test warehouse connections');
  const row = await findWorkspaceById(scope.tenant.db, workspaceId);
  if (!row) throw new NotFoundError('Workspace', workspaceId);
  if (!row.warehouse) throw new ValidationError('This workspace has no warehouse: set one with updateWorkspace first', ['workspaceId']);
  takeAttempt(scope);
  const { dialect } = warehouseView(row.warehouse);
  const settings = openWarehouseSettings(scope.services.keyring, scope.tenant.organizationId, workspaceId, row.warehouse);
  const { policy, connectTimeoutMs, testTimeoutMs, statementTimeoutMs } = scope.services.connectors;
  let report: ConnectionTestReport;
  if (dialect === 'postgresql') {
    const pg = postgresSettingsFrom(settings, ['warehouse', 'connectionConfig', 'postgresql']);
    report = await testPostgresConnection(pg, { policy, connectTimeoutMs, testTimeoutMs, statementTimeoutMs, applicationName: 'datalinx-warehouse-test' });
  } else if (dialect === 'snowflake') {
    report = await testSnowflakeReachability({ account: String(settings.account) }, { policy, connectTimeoutMs, testTimeoutMs });
  } else {
    const list = new CheckList(['configuration', 'connector']);
    list.set('configuration', 'passed', 'the settings are complete');
    list.set('connector', 'skipped', notSupported(dialect));
    report = list.report('');
  }
  const target = Object.fromEntries(['host', 'port', 'database', 'user', 'sslMode', 'account', 'projectId'].filter((k) => settings[k] != null).map((k) => [k, settings[k]]));
  const failed = report.checks.find((c) => c.status === 'failed' || c.status === 'skipped');
  await scope.tenant.transaction(({ platform }) =>
    recordAudit(platform, auditSource(scope), {
      action: 'workspace.testWarehouseConnection',
      entityType: 'Workspace',
      entityId: workspaceId,
      after: { dialect, target, status: report.status, failed_check: failed?.name ?? null, message: report.message, duration_ms: report.durationMs },
    }),
  );
  return report;
}

/** A workspace's warehouse for the worker: settings with secrets in clear. */
export interface WorkspaceWarehouse {
  dialect: WarehouseDialect;
  /** The schema loads go into (created by the executor when missing). */
  targetSchema: string;
  /** The connection settings as their input shape (camelCase), secrets in clear. */
  settings: Record<string, unknown>;
  /** Typed PostgreSQL settings (password in clear) for a postgresql warehouse; null for other dialects. */
  postgres: PostgresSettings | null;
}

/**
 * The warehouse of a workspace, for the worker (src/jobs) that loads into it:
 * dialect, target schema and settings with the secret IN CLEAR. No actor
 * check: call it only from code that already runs a job of this organization,
 * and never pass its result to a response, log line, audit entry or error.
 * Null when the workspace has no warehouse; NotFoundError when the workspace
 * does not exist. A PostgreSQL warehouse whose stored settings do not parse
 * throws ValidationError (the job's CONFIG_ERROR).
 */
export async function findWorkspaceWarehouse(
  services: { keyring: Keyring },
  tenant: TenantDb,
  organizationId: string,
  workspaceId: string,
): Promise<WorkspaceWarehouse | null> {
  const row = await findWorkspaceById(tenant, workspaceId);
  if (!row) throw new NotFoundError('Workspace', workspaceId);
  if (!row.warehouse) return null;
  const { dialect, targetSchema } = warehouseView(row.warehouse);
  const settings = openWarehouseSettings(services.keyring, organizationId, workspaceId, row.warehouse);
  const postgres = dialect === 'postgresql' ? postgresSettingsFrom(settings, ['warehouse', 'connectionConfig', 'postgresql']) : null;
  return { dialect, targetSchema, settings, postgres };
}
