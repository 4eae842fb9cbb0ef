import type { MappingRow } from '../db/tables/mappings.table.js';
import { JobFailure } from '../jobs/job-failure.js';
import { compileMapping, definitionOfRow } from '../mappings/sql/index.js';

export interface MappingQuery {
  /** The SELECT over the source. */
  sql: string;
  /** The target columns the result must have. */
  columns: string[];
  /** Warehouse statements to run after the rows are loaded, in order (identity resolution), naming the table loaded into. */
  statements: string[];
}

/**
 * The SELECT a mapping runs against its PostgreSQL source: its PostgreSQL
 * compilation (src/mappings/sql), and the target columns the result must
 * have. A mapping that does not compile fails the run as a MAPPING
 * CONFIG_ERROR naming its problems. The worker only ever runs it in a
 * read-only transaction. `loadedInto` names the warehouse table the rows are
 * loaded into (a staging table) when it is not the target table itself: the
 * warehouse statements then work on it.
 */
export async function mappingSelect(mapping: MappingRow, loadedInto: string = mapping.target_table): Promise<MappingQuery> {
  const compiled = await compileMapping({ ...definitionOfRow(mapping), targetTable: loadedInto }, 'postgresql');
  if (!compiled.sql) {
    const problems = compiled.problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ');
    throw new JobFailure('mapping', 'config_error', `mapping ${mapping.target_table} does not compile: ${problems}`);
  }
  return { sql: compiled.sql, columns: Object.keys(mapping.field_mappings), statements: compiled.statements };
}
