import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** A jsonb column: any JSON in, the parsed value out. */
export type Json<T = unknown> = ColumnType<T, T | string, T | string>;
export type CreatedAt = ColumnType<Date, never, never>;
export type UpdatedAt = ColumnType<Date, never, Date | undefined>;

export interface OrganizationsTable {
  id: Generated<string>;
  name: string;
  slug: string;
  schema_name: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  settings: ColumnType<Record<string, unknown>, Record<string, unknown> | undefined, Record<string, unknown>>;
}

export type OrganizationRow = Selectable<OrganizationsTable>;
export type NewOrganizationRow = Insertable<OrganizationsTable>;
export type OrganizationUpdate = Updateable<OrganizationsTable>;
