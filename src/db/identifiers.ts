/**
 * SQL identifiers that cannot be bound as parameters (schema names in DDL and
 * migrations). Tenant schema names are `org_` + a slug with `-` as `_`; only
 * names of that shape pass, so nothing else ever reaches SQL as an identifier.
 */
const SCHEMA_NAME_PATTERN = /^org_[a-z0-9]+(?:_[a-z0-9]+)*$/;
/** PostgreSQL silently cuts identifiers past 63 bytes, so `org_` + slug must fit in 63. */
export const MAX_SCHEMA_NAME_LENGTH = 63;
export const TENANT_SCHEMA_PREFIX = 'org_';

/** Refuses anything that is not a tenant schema name we generated. */
export function assertSchemaName(name: string): string {
  if (!SCHEMA_NAME_PATTERN.test(name) || name.length > MAX_SCHEMA_NAME_LENGTH) throw new Error('invalid tenant schema name');
  return name;
}

/** Quotes an identifier for the few statements that cannot take a parameter (DDL). */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
