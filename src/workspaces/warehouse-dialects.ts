/**
 * The warehouses a workspace can load into, and the SQL dialects mappings are
 * compiled to (src/mappings/sql). One list serves both: a workspace's target
 * warehouse is compiled for in its own dialect.
 */
export const WAREHOUSE_DIALECTS = ['postgresql', 'snowflake', 'bigquery', 'databricks'] as const;
export type WarehouseDialect = (typeof WAREHOUSE_DIALECTS)[number];
