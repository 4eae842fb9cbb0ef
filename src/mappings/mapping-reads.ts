import type { MappingRow, StoredFieldMappings } from '../db/tables/mappings.table.js';

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

/**
 * Which columns a mapping reads. Today: the field sources that name a column
 * (`cust_id`, `c.cust_id`). The column references inside transforms and CTEs
 * need a SQL parser; when one lands (src/mappings/sql/), this is the one
 * function to switch over to it.
 */
export function columnsReadBy(mapping: Pick<MappingRow, 'id' | 'source_table' | 'field_mappings'>): MappingReads {
  const columns = new Set<string>();
  for (const { source } of Object.values((mapping.field_mappings ?? {}) as StoredFieldMappings)) {
    const column = typeof source === 'string' ? plainColumn(source) : null;
    if (column) columns.add(column);
  }
  return { mappingId: mapping.id, sourceTable: mapping.source_table, columns };
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
