import type { MappingRow } from '../db/tables/mappings.table.js';
import { JobFailure } from '../jobs/job-failure.js';
import { compileMapping, definitionOfRow } from '../mappings/sql/index.js';

/**
 * The SELECT a mapping runs against its PostgreSQL source: its PostgreSQL
 * compilation (src/mappings/sql), and the target columns the result must
 * have. A mapping that does not compile fails the run as a MAPPING
 * CONFIG_ERROR naming its problems. The worker only ever runs it in a
 * read-only transaction.
 */
export async function mappingSelect(mapping: MappingRow): Promise<{ sql: string; columns: string[] }> {
  const compiled = await compileMapping(definitionOfRow(mapping), 'postgresql');
  if (!compiled.sql) {
    const problems = compiled.problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ');
    throw new JobFailure('mapping', 'config_error', `mapping ${mapping.target_table} does not compile: ${problems}`);
  }
  return { sql: compiled.sql, columns: Object.keys(mapping.field_mappings) };
}
