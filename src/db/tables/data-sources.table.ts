import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { CreatedAt, Json } from './organizations.table.js';

export const DATA_SOURCE_TYPES = ['postgresql', 'snowflake', 'api', 'file'] as const;
export type DataSourceType = (typeof DATA_SOURCE_TYPES)[number];

export interface DataSourcesTable {
  id: Generated<string>;
  workspace_id: string;
  name: string;
  source_type: DataSourceType;
  connection_config: Json<Record<string, unknown>>;
  schema_cache: ColumnType<unknown, unknown, unknown>;
  last_schema_refresh: Date | null;
  created_at: CreatedAt;
  is_active: Generated<boolean>;
}

export type DataSourceRow = Selectable<DataSourcesTable>;
/** A data source as lists read it: without its cached schema, which can be large (loaded per id when asked for). */
export type DataSourceSummary = Omit<DataSourceRow, 'schema_cache'> & Partial<Pick<DataSourceRow, 'schema_cache'>>;
export type NewDataSourceRow = Insertable<DataSourcesTable>;
export type DataSourceUpdate = Updateable<DataSourcesTable>;
