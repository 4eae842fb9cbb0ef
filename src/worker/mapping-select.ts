import type { MappingRow } from '../db/tables/mappings.table.js';
import { quoteIdent } from '../db/identifiers.js';
import { JobFailure } from '../jobs/job-failure.js';

/**
 * The SELECT a mapping runs against its source: each target field from its
 * source expression, over the source table (schema.table), with the mapping's
 * CTEs. A stand-in for the mapping compiler (src/mappings/sql/, compileMapping)
 * until it lands; the worker only ever runs it in a read-only transaction.
 */
export function mappingSelect(mapping: MappingRow): { sql: string; columns: string[] } {
  const fields = Object.entries(mapping.field_mappings);
  if (fields.length === 0) throw new JobFailure('mapping', 'config_error', `mapping ${mapping.target_table} has no fields`);
  const parts = mapping.source_table.split('.');
  if (parts.length > 2 || parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_$]*$/.test(p))) {
    throw new JobFailure('mapping', 'config_error', `source table "${mapping.source_table}" is not a table name (schema.table)`);
  }
  const from = parts.map((p) => quoteIdent(p)).join('.');
  const select = fields.map(([target, f]) => `${f.transform ? f.transform.replaceAll('{source}', f.source) : f.source} AS ${quoteIdent(target)}`);
  const ctes = mapping.cte_definitions.length > 0 ? `WITH ${mapping.cte_definitions.map((c) => `${quoteIdent(c.name)} AS (${c.sql})`).join(', ')} ` : '';
  return { sql: `${ctes}SELECT ${select.join(', ')} FROM ${from}`, columns: fields.map(([target]) => target) };
}
