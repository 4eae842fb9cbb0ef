import { schemaHasTable, toSourceSchema } from '../connectors/source-schema.js';
import type { DataSourceRow } from '../db/tables/data-sources.table.js';

type Source = Pick<DataSourceRow, 'id' | 'schema_cache'>;

/**
 * The data source a mapping reads, by the rule its validation uses
 * (src/mappings/mapping-sql.manager.ts): among the workspace's active
 * PostgreSQL sources, oldest first, the first whose cached schema has the
 * mapping's source table; the oldest when no cached schema has it (its query
 * then fails on the source, as a SOURCE error naming the table). Undefined
 * when the workspace has no such source.
 */
export function sourceOfMapping<S extends Source>(sources: readonly S[], sourceTable: string): S | undefined {
  return sources.find((s) => {
    const schema = toSourceSchema(s.schema_cache);
    return schema != null && schemaHasTable(schema, sourceTable);
  }) ?? sources[0];
}
