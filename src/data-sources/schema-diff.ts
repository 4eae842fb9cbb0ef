import { parseTableName, type MappingReads } from '../mappings/mapping-reads.js';
import { qualifiedName, type SourceSchema, type SourceTable } from '../connectors/source-schema.js';

/*
 * What changed between two discoveries of a source's schema, and what it
 * breaks. A removed table or column, or a changed type, is breaking where an
 * existing mapping of the workspace reads it; additions and nullability
 * changes are not.
 */

export type DiffClassification = 'no_change' | 'non_breaking' | 'breaking';
export type TableChangeKind = 'added' | 'removed' | 'changed';
export type ColumnChangeKind = 'added' | 'removed' | 'type_changed' | 'nullability_changed';

export interface ColumnChange {
  column: string;
  change: ColumnChangeKind;
  oldType: string | null;
  newType: string | null;
  breaking: boolean;
  /** Ids of the mappings that read this column, in id order. */
  affectedMappingIds: string[];
}

export interface TableChange {
  /** Schema-qualified: crm.customers. */
  table: string;
  change: TableChangeKind;
  columnChanges: ColumnChange[];
}

export interface SchemaDiff {
  classification: DiffClassification;
  tableChanges: TableChange[];
}

/** Which mappings read which columns of which table: qualified table name → column → mapping ids. */
type ReadIndex = Map<string, Map<string, string[]>>;

/** Files each mapping's reads under the table it names; an unqualified name means the table in `public`, or the only one so named. */
function indexReads(reads: readonly MappingReads[], tables: readonly SourceTable[]): ReadIndex {
  const byName = new Map<string, SourceTable[]>();
  for (const t of tables) byName.set(t.name, [...(byName.get(t.name) ?? []), t]);
  const index: ReadIndex = new Map();
  for (const r of reads) {
    const parsed = parseTableName(r.sourceTable);
    if (!parsed) continue;
    const [schema, name] = parsed;
    const candidates = byName.get(name) ?? [];
    const table = schema !== null ? candidates.find((t) => t.schema === schema) : (candidates.find((t) => t.schema === 'public' || t.schema === null) ?? (candidates.length === 1 ? candidates[0] : undefined));
    if (!table) continue;
    const key = qualifiedName(table);
    const columns = index.get(key) ?? new Map<string, string[]>();
    for (const c of r.columns) columns.set(c, [...(columns.get(c) ?? []), r.mappingId]);
    index.set(key, columns);
  }
  return index;
}

const sorted = (ids: readonly string[] | undefined) => [...new Set(ids ?? [])].sort();

/** The diff from `before` (null: never discovered) to `after`, tables by qualified name, columns by position. */
export function diffSchemas(before: SourceSchema | null, after: SourceSchema, reads: readonly MappingReads[]): SchemaDiff {
  const old = new Map((before?.tables ?? []).map((t) => [qualifiedName(t), t]));
  const now = new Map(after.tables.map((t) => [qualifiedName(t), t]));
  // Reads are resolved against the old schema: what a mapping read before the change is what can break.
  const index = indexReads(reads, [...(before?.tables ?? []), ...after.tables.filter((t) => !old.has(qualifiedName(t)))]);
  const readers = (table: string, column: string) => sorted(index.get(table)?.get(column));
  const tableChanges: TableChange[] = [];

  for (const key of [...new Set([...old.keys(), ...now.keys()])].sort()) {
    const a = old.get(key);
    const b = now.get(key);
    const columnChanges: ColumnChange[] = [];
    const removed = (column: string, type: string): ColumnChange => {
      const ids = readers(key, column);
      return { column, change: 'removed', oldType: type, newType: null, breaking: ids.length > 0, affectedMappingIds: ids };
    };
    const added = (column: string, type: string): ColumnChange => ({ column, change: 'added', oldType: null, newType: type, breaking: false, affectedMappingIds: readers(key, column) });
    if (a && !b) {
      columnChanges.push(...a.columns.map((c) => removed(c.name, c.dataType)));
      tableChanges.push({ table: key, change: 'removed', columnChanges });
      continue;
    }
    if (!a && b) {
      columnChanges.push(...b.columns.map((c) => added(c.name, c.dataType)));
      tableChanges.push({ table: key, change: 'added', columnChanges });
      continue;
    }
    const oldCols = new Map(a!.columns.map((c) => [c.name, c]));
    const newCols = new Map(b!.columns.map((c) => [c.name, c]));
    for (const c of a!.columns) {
      const n = newCols.get(c.name);
      if (!n) {
        columnChanges.push(removed(c.name, c.dataType));
      } else if (n.dataType !== c.dataType) {
        const ids = readers(key, c.name);
        columnChanges.push({ column: c.name, change: 'type_changed', oldType: c.dataType, newType: n.dataType, breaking: ids.length > 0, affectedMappingIds: ids });
      } else if (n.nullable !== c.nullable) {
        columnChanges.push({ column: c.name, change: 'nullability_changed', oldType: c.dataType, newType: n.dataType, breaking: false, affectedMappingIds: readers(key, c.name) });
      }
    }
    for (const n of b!.columns) if (!oldCols.has(n.name)) columnChanges.push(added(n.name, n.dataType));
    if (columnChanges.length > 0) tableChanges.push({ table: key, change: 'changed', columnChanges });
  }

  const columns = tableChanges.flatMap((t) => t.columnChanges);
  const classification: DiffClassification = columns.some((c) => c.breaking) ? 'breaking' : tableChanges.length > 0 ? 'non_breaking' : 'no_change';
  return { classification, tableChanges };
}

/** Every mapping id a diff names, for loading them in one batch. */
export const mappingIdsOf = (diff: SchemaDiff): string[] => sorted(diff.tableChanges.flatMap((t) => t.columnChanges.flatMap((c) => c.affectedMappingIds)));
