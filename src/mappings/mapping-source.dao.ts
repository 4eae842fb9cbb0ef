import type { TenantDb } from '../db/database.js';
import type { DataSourceRow } from '../db/tables/data-sources.table.js';

export type MappingSourceRow = Pick<DataSourceRow, 'id' | 'name' | 'source_type' | 'schema_cache' | 'connection_config'>;

/** The active data sources of a workspace with their cached schemas, oldest first (which one a mapping reads is decided by the manager). */
export function activeSourcesOfWorkspace(db: TenantDb, workspaceId: string): Promise<MappingSourceRow[]> {
  return db
    .selectFrom('data_sources')
    .select(['id', 'name', 'source_type', 'schema_cache', 'connection_config'])
    .where('workspace_id', '=', workspaceId)
    .where('is_active', '=', true)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}
