import type { MappingRow } from '../db/tables/mappings.table.js';
import { definitionOfRow, mappingColumns } from './sql/index.js';

/** The source columns one mapping reads, for deciding whether a source schema change breaks it. */
export interface MappingReads {
  mappingId: string;
  /** The mapping's sourceTable as written: `crm.customers`, `customers`, `"Crm"."Customers"`. */
  sourceTable: string;
  /** Column names read from the source table (unquoted). */
  columns: ReadonlySet<string>;
}

const IDENTIFIER = /^(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*))$/;
const unquote = (part: string): string | null => {
  const m = IDENTIFIER.exec(part.trim());
  if (!m) return null;
  return m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]!.toLowerCase();
};

/** `col`, `t.col`, `"Col"`: the column a plain field source names; null for an expression. */
function plainColumn(source: string): string | null {
  const parts = source.split('.');
  if (parts.length > 2) return null;
  return unquote(parts[parts.length - 1]!);
}

/** What a schema diff reads of a mapping row. */
export type MappingReadRow = Pick<MappingRow, 'id' | 'source_table' | 'target_table' | 'field_mappings' | 'decorators' | 'cte_definitions'>;

/**
 * Which columns a mapping reads: its field sources and the column references
 * of its transforms (and CTEs), as the SQL parser finds them (mappingColumns).
 * A field source written qualified or quoted (`c.email`, `"Email"`) is reduced
 * to the column it names.
 */
export async function columnsReadBy(mapping: MappingReadRow): Promise<MappingReads> {
  const { columns } = await mappingColumns(definitionOfRow(mapping));
  const names = columns.map((c) => (c.includes('.') || c.includes('"') ? (plainColumn(c) ?? c) : c));
  return { mappingId: mapping.id, sourceTable: mapping.source_table, columns: new Set(names) };
}

/** A mapping's sourceTable as [schema or null, table], unquoted; null when it is not a table name. */
export function parseTableName(sourceTable: string): [string | null, string] | null {
  const parts = sourceTable.split('.');
  if (parts.length === 1) {
    const name = unquote(parts[0]!);
    return name ? [null, name] : null;
  }
  if (parts.length === 2) {
    const schema = unquote(parts[0]!);
    const name = unquote(parts[1]!);
    return schema && name ? [schema, name] : null;
  }
  return null;
}
