import type { Selectable } from 'kysely';

/**
 * One field mapping of a mapping, derived from mappings.field_mappings by
 * `datalinx_platform.field_mapping_entries()` and written by the statement
 * that writes the mapping (src/mappings/mapping-field-source.dao.ts); deleted
 * with it. It exists so `fieldMappingsContain` is an index read in list order.
 */
export interface MappingFieldSourcesTable {
  mapping_id: string;
  target_field: string;
  /** The field's source when it is a JSON string; null otherwise. */
  source: string | null;
  /** The field's transform when it is a JSON string; null otherwise. */
  transform: string | null;
  /** The mapping's created_at (which never changes): lists page on (mapping_created_at, mapping_id). */
  mapping_created_at: Date;
}

export type MappingFieldSourceRow = Selectable<MappingFieldSourcesTable>;
