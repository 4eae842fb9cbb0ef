import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { CreatedAt, Json, UpdatedAt } from './organizations.table.js';

export const MAPPING_STATUSES = ['draft', 'active', 'archived'] as const;
export type MappingStatus = (typeof MAPPING_STATUSES)[number];

/** The stored shape of field_mappings: `{"customer_id": {"source": "cust_id", "transform": null}}`; `source` is null when a transform computes the field. */
export type StoredFieldMappings = Record<string, { source: string | null; transform: string | null }>;
export interface StoredDecorator {
  type: string;
  [key: string]: unknown;
}
export interface StoredCteDefinition {
  name: string;
  sql: string;
}

/** The stored shape of mappings.incremental: the cursor column and the target key, both target fields. */
export interface StoredIncremental {
  cursor_column: string;
  key_columns: string[];
}

export interface MappingsTable {
  id: Generated<string>;
  workspace_id: string;
  target_table: string;
  source_table: string;
  field_mappings: Json<StoredFieldMappings>;
  decorators: ColumnType<StoredDecorator[], StoredDecorator[] | string | undefined, StoredDecorator[] | string>;
  cte_definitions: ColumnType<StoredCteDefinition[], StoredCteDefinition[] | string | undefined, StoredCteDefinition[] | string>;
  /** Incremental-load settings; null when the mapping is loaded by full refresh only. */
  incremental: ColumnType<StoredIncremental | null, StoredIncremental | string | null | undefined, StoredIncremental | string | null>;
  status: ColumnType<MappingStatus, MappingStatus | undefined, MappingStatus>;
  version: ColumnType<number, number | undefined, number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type MappingRow = Selectable<MappingsTable>;
export type NewMappingRow = Insertable<MappingsTable>;
export type MappingUpdate = Updateable<MappingsTable>;
