import type { Kysely, Transaction } from 'kysely';
import { withSchemaOf } from '../db/compiled-once.js';
import { ValidationError } from '../errors.js';
import type { PlatformDatabase, TenantDatabase, TenantDb } from '../db/database.js';
import { assertSchemaName, MAX_SCHEMA_NAME_LENGTH, quoteIdent, TENANT_SCHEMA_PREFIX } from '../db/identifiers.js';

/**
 * The one module that names tenant schemas. An organization's schema is
 * `org_` + its slug with `-` as `_`; everything that reaches tenant tables gets
 * a handle from `tenantDb`, which qualifies every table with that schema
 * (Kysely `withSchema`), so no connection's search_path is ever changed.
 */

export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
export const MAX_SLUG_LENGTH = MAX_SCHEMA_NAME_LENGTH - TENANT_SCHEMA_PREFIX.length;

/** Slugs that would be confusing or dangerous as a name (schemas, routes, roles). */
export const RESERVED_SLUGS: ReadonlySet<string> = new Set([
  'admin', 'administrator', 'api', 'app', 'auth', 'datalinx', 'datalinx-platform', 'default', 'graphql',
  'graphiql', 'healthz', 'information-schema', 'internal', 'login', 'logout', 'me', 'migration-check', 'new', 'null', 'platform',
  'pg-catalog', 'pg-toast', 'postgres', 'public', 'readyz', 'root', 'select', 'signup', 'static', 'support',
  'system', 'template0', 'template1', 'tenant', 'test', 'user', 'users', 'www',
]);

/** Checks a slug against the rules; the error says which rule it broke. */
export function validateSlug(slug: string, path: (string | number)[] = ['slug']): string {
  if (typeof slug !== 'string' || slug.length === 0) throw new ValidationError('Slug is required', path);
  if (slug.length < 3) throw new ValidationError('Slug must be at least 3 characters', path);
  if (slug.length > MAX_SLUG_LENGTH) throw new ValidationError(`Slug must be at most ${MAX_SLUG_LENGTH} characters`, path);
  if (!SLUG_PATTERN.test(slug)) {
    throw new ValidationError(
      'Slug may contain only lowercase letters, digits and single hyphens, and must start and end with a letter or digit',
      path,
    );
  }
  if (RESERVED_SLUGS.has(slug)) throw new ValidationError(`Slug "${slug}" is reserved`, path);
  return slug;
}

export function schemaNameForSlug(slug: string): string {
  return assertSchemaName(`${TENANT_SCHEMA_PREFIX}${validateSlug(slug).replaceAll('-', '_')}`);
}

export { assertSchemaName, quoteIdent };

type RootDb = Kysely<PlatformDatabase> | Transaction<PlatformDatabase>;

/** A handle whose queries run in the organization's schema; works inside a transaction too. */
export function tenantDb(db: RootDb, schemaName: string): TenantDb {
  return withSchemaOf(db as unknown as TenantDb, assertSchemaName(schemaName));
}

export type { TenantDatabase };
