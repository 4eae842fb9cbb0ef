import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { Json } from './organizations.table.js';
import type { MappingStatus, StoredCteDefinition, StoredDecorator, StoredFieldMappings } from './mappings.table.js';

/**
 * One state of a mapping: version 1 (its creation) and every state after,
 * the current one included. Rows are only ever inserted.
 */
export interface MappingVersionsTable {
  id: Generated<string>;
  mapping_id: string;
  version: number;
  target_table: string;
  source_table: string;
  field_mappings: Json<StoredFieldMappings>;
  decorators: Json<StoredDecorator[]>;
  cte_definitions: Json<StoredCteDefinition[]>;
  status: MappingStatus;
  /** The user who made this state, kept without a constraint; null for a service account, the system or a backfilled state. */
  changed_by: string | null;
  changed_at: ColumnType<Date, Date | undefined, never>;
}

export type MappingVersionRow = Selectable<MappingVersionsTable>;
export type NewMappingVersionRow = Insertable<MappingVersionsTable>;
