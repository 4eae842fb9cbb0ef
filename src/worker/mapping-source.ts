import { sourceWithTable } from '../mappings/mapping-sql.manager.js';
import type { DataSourceRow } from '../db/tables/data-sources.table.js';

/**
 * The data source a mapping reads, by the rule its validation and preview use
 * (src/mappings/mapping-sql.manager.ts): among the workspace's active
 * PostgreSQL sources, oldest first, the first whose cached schema has the
 * mapping's source table; the oldest when no cached schema has it (its query
 * then fails on the source, as a SOURCE error naming the table). Undefined
 * when the workspace has no such source.
 */
export function sourceOfMapping<S extends Pick<DataSourceRow, 'id' | 'schema_cache'>>(sources: readonly S[], sourceTable: string): S | undefined {
  return sourceWithTable(sources, sourceTable) ?? sources[0];
}
