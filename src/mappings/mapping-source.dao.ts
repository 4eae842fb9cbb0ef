import type { TenantDb } from '../db/database.js';
import type { DataSourceRow } from '../db/tables/data-sources.table.js';

/** The active data sources of a workspace with their cached schemas, oldest first (which one a mapping reads is decided by the manager). */
export function activeSourcesOfWorkspace(db: TenantDb, workspaceId: string): Promise<Pick<DataSourceRow, 'id' | 'source_type' | 'schema_cache'>[]> {
  return db
    .selectFrom('data_sources')
    .select(['id', 'source_type', 'schema_cache'])
    .where('workspace_id', '=', workspaceId)
    .where('is_active', '=', true)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}
