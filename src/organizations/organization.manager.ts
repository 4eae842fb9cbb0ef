import type { Kysely, Transaction } from 'kysely';
import type { Actor } from '../auth/actor.js';
import { requireRole } from '../auth/actor.js';
import { changedColumns, isUnchanged } from '../db/changes.js';
import { auditSource, recordAudit } from '../audit/audit.js';
import type { RequestScope } from '../auth/scope.js';
import { mergeOrganizationSettings, toOrganizationSettings, type OrganizationSettingsInput } from './organization-settings.js';
import type { PlatformDatabase } from '../db/database.js';
import type { MigrationFile } from '../db/migration-files.js';
import type { OrganizationRow } from '../db/tables/organizations.table.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { createTenantSchema, dropTenantSchema } from '../tenancy/provision.js';
import { schemaNameForSlug, validateSlug } from '../tenancy/tenancy.js';
import * as dao from './organization.dao.js';

export interface OrganizationDeps {
  db: Kysely<PlatformDatabase>;
  migrations: readonly MigrationFile[];
}

export function validateOrganizationName(name: string, path: (string | number)[] = ['name']): string {
  const trimmed = (name ?? '').trim();
  if (!trimmed) throw new ValidationError('Organization name is required', path);
  if (trimmed.length > 255) throw new ValidationError('Organization name must be at most 255 characters', path);
  return trimmed;
}

/**
 * Creates the organization's row and its schema with every tenant table in
 * one transaction: a failure leaves neither behind. `inTransaction` lets a
 * caller (sign-up) add its own rows, such as the owner, to the same transaction.
 */
export async function createOrganization(
  deps: OrganizationDeps,
  input: { name: string; slug: string },
  source: { actor: Actor; requestId?: string | null; clientAddress?: string | null },
  inTransaction?: (trx: Transaction<PlatformDatabase>, org: OrganizationRow) => Promise<void>,
): Promise<OrganizationRow> {
  const name = validateOrganizationName(input.name);
  const slug = validateSlug(input.slug);
  const schemaName = schemaNameForSlug(slug);
  return deps.db.transaction().execute(async (trx) => {
    const org = await dao.insertOrganization(trx, { name, slug, schema_name: schemaName });
    await createTenantSchema(trx, org, deps.migrations);
    await inTransaction?.(trx, org);
    await recordAudit(trx, { ...source, organizationId: org.id }, {
      action: 'organization.create',
      entityType: 'Organization',
      entityId: org.id,
      after: { name, slug },
    });
    return org;
  });
}

export function listOrganizations(deps: OrganizationDeps): Promise<OrganizationRow[]> {
  return dao.listOrganizations(deps.db);
}

export async function getOrganization(deps: OrganizationDeps, id: string): Promise<OrganizationRow> {
  const org = await dao.findOrganizationById(deps.db, id);
  if (!org) throw new NotFoundError('Organization', id);
  return org;
}

export async function findOrganizationBySlug(deps: OrganizationDeps, slug: string): Promise<OrganizationRow> {
  const org = await dao.findOrganizationBySlug(deps.db, slug);
  if (!org) throw new NotFoundError('Organization', slug);
  return org;
}

/** Drops the organization's schema and its row (users, audit entries cascade) in one transaction. */
export async function deleteOrganization(
  deps: OrganizationDeps,
  id: string,
  actor: Actor,
  request: { requestId?: string | null; clientAddress?: string | null } = {},
): Promise<OrganizationRow> {
  if (actor.kind !== 'system' && actor.organizationId !== id) throw new NotFoundError('Organization', id);
  requireRole(actor, 'owner', 'delete the organization');
  return deps.db.transaction().execute(async (trx) => {
    const org = await dao.findOrganizationById(trx, id);
    if (!org) throw new NotFoundError('Organization', id);
    await dropTenantSchema(trx, org.schema_name);
    await dao.deleteOrganization(trx, id);
    // Kept outside the organization (its own entries go with it).
    await recordAudit(trx, { actor, organizationId: null, ...request }, {
      action: 'organization.delete',
      entityType: 'Organization',
      entityId: id,
      before: { name: org.name, slug: org.slug },
    });
    return org;
  });
}

/** Name and settings of the caller's organization; admins only. */
export async function updateOrganization(
  scope: RequestScope,
  input: { name?: string | null; settings?: OrganizationSettingsInput | null },
): Promise<OrganizationRow> {
  requireRole(scope.actor, 'admin', 'change organization settings');
  const name = input.name == null ? undefined : validateOrganizationName(input.name, ['input', 'name']);
  return scope.tenant.transaction(async ({ platform }) => {
    const before = await dao.findOrganizationById(platform, scope.tenant.organizationId);
    if (!before) throw new NotFoundError('Organization', scope.tenant.organizationId);
    const settings = input.settings ? mergeOrganizationSettings(toOrganizationSettings(before.settings), input.settings) : undefined;
    const changes = changedColumns(before, { name, settings });
    if (isUnchanged(changes)) return before;
    const after = await dao.updateOrganization(platform, before.id, changes);
    await recordAudit(platform, auditSource(scope), {
      action: 'organization.update',
      entityType: 'Organization',
      entityId: before.id,
      before: { name: before.name, settings: before.settings },
      after: { name: after!.name, settings: after!.settings },
    });
    return after!;
  });
}

/** The owner deletes their own organization, naming its slug to confirm. */
export async function deleteOwnOrganization(deps: OrganizationDeps, scope: RequestScope, confirmSlug: string): Promise<OrganizationRow> {
  requireRole(scope.actor, 'owner', 'delete the organization');
  if (confirmSlug !== scope.tenant.organization.slug) {
    throw new ValidationError('confirmSlug must be the organization\'s slug', ['confirmSlug']);
  }
  return deleteOrganization(deps, scope.tenant.organizationId, scope.actor, scope);
}
