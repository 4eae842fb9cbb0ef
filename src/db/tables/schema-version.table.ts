import type { ColumnType, Generated, Selectable } from 'kysely';

export interface SchemaVersionTable {
  id: Generated<string>;
  version: string;
  file_name: string;
  checksum: string;
  applied_at: ColumnType<Date, never, never>;
  duration_ms: number;
}

export interface TenantSchemaVersionTable {
  organization_id: string;
  version: string;
  checksum: string;
  applied_at: ColumnType<Date, never, never>;
  duration_ms: number;
}

export type SchemaVersionRow = Selectable<SchemaVersionTable>;
