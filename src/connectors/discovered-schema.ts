/** What kind of relation a discovered table is. */
export const SOURCE_TABLE_KINDS = ['table', 'view', 'materialized_view', 'foreign_table'] as const;
export type SourceTableKind = (typeof SOURCE_TABLE_KINDS)[number];

export interface DiscoveredColumn {
  name: string;
  /** The source's declared type, e.g. character varying(255), numeric(12,2), integer[]. */
  dataType: string;
  nullable: boolean;
  isPrimaryKey: boolean;
  /** 1-based position among the table's columns. */
  ordinalPosition: number;
}

export interface DiscoveredTable {
  /** Schema (namespace) holding it, e.g. crm for crm.customers. */
  schema: string;
  name: string;
  kind: SourceTableKind;
  columns: DiscoveredColumn[];
}

/** A source's schema as discovery reads it; tables ordered by schema and name, columns by position. */
export interface DiscoveredSchema {
  tables: DiscoveredTable[];
}
