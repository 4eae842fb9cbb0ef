import type { Kysely, Transaction } from 'kysely';
import type { AuditLogTable } from './tables/audit-log.table.js';
import type { DataSourcesTable } from './tables/data-sources.table.js';
import type { MappingFieldSourcesTable } from './tables/mapping-field-sources.table.js';
import type { MappingVersionsTable } from './tables/mapping-versions.table.js';
import type { MappingsTable } from './tables/mappings.table.js';
import type { OrganizationsTable } from './tables/organizations.table.js';
import type { PipelineJobAttemptsTable } from './tables/pipeline-job-attempts.table.js';
import type { PipelineJobLogsTable } from './tables/pipeline-job-logs.table.js';
import type { PipelineJobsTable } from './tables/pipeline-jobs.table.js';
import type { SchemaVersionTable, TenantSchemaVersionTable } from './tables/schema-version.table.js';
import type { MfaChallengesTable, RefreshTokensTable } from './tables/sessions.table.js';
import type { ServiceAccountKeysTable, ServiceAccountsTable } from './tables/service-accounts.table.js';
import type { MfaRecoveryCodesTable, UsersTable } from './tables/users.table.js';
import type { WorkspaceSchedulesTable } from './tables/workspace-schedules.table.js';
import type { WorkspacesTable } from './tables/workspaces.table.js';
import { withSchemaOf } from './compiled-once.js';

export const PLATFORM_SCHEMA = 'datalinx_platform';

/** Tables of the shared `datalinx_platform` schema (queried with `withSchema(PLATFORM_SCHEMA)`). */
export interface PlatformDatabase {
  organizations: OrganizationsTable;
  users: UsersTable;
  mfa_recovery_codes: MfaRecoveryCodesTable;
  schema_version: SchemaVersionTable;
  tenant_schema_version: TenantSchemaVersionTable;
  audit_log: AuditLogTable;
  service_accounts: ServiceAccountsTable;
  service_account_keys: ServiceAccountKeysTable;
  refresh_tokens: RefreshTokensTable;
  mfa_challenges: MfaChallengesTable;
}

/** Tables every `org_<slug>` schema has; reached only through a tenant handle (src/tenancy). */
export interface TenantDatabase {
  workspaces: WorkspacesTable;
  data_sources: DataSourcesTable;
  mappings: MappingsTable;
  mapping_versions: MappingVersionsTable;
  mapping_field_sources: MappingFieldSourcesTable;
  pipeline_jobs: PipelineJobsTable;
  pipeline_job_attempts: PipelineJobAttemptsTable;
  pipeline_job_logs: PipelineJobLogsTable;
  workspace_schedules: WorkspaceSchedulesTable;
}

export type PlatformDb = Kysely<PlatformDatabase> | Transaction<PlatformDatabase>;
export type TenantDb = Kysely<TenantDatabase> | Transaction<TenantDatabase>;

/** The platform tables, schema-qualified; also usable on a transaction. */
export function platform<D extends PlatformDb>(db: D): D {
  return withSchemaOf(db, PLATFORM_SCHEMA);
}
