import type { Transaction } from 'kysely';
import { requireRole } from '../auth/actor.js';
import { changedColumns, isUnchanged } from '../db/changes.js';
import { auditSource, recordAudit } from '../audit/audit.js';
import type { Actor } from '../auth/actor.js';
import type { PlatformScope, RequestScope } from '../auth/scope.js';
import { mergeOrganizationSettings, toOrganizationSettings, type OrganizationSettingsInput } from './organization-settings.js';
import type { PlatformDatabase } from '../db/database.js';
import type { OrganizationRow } from '../db/tables/organizations.table.js';
import type { UserRow } from '../db/tables/users.table.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { createTenantSchema, dropTenantSchema } from '../tenancy/provision.js';
import { schemaNameForSlug, validateSlug } from '../tenancy/tenancy.js';
import { insertUser } from '../users/user.dao.js';
import { checkEmail, checkName } from '../validation.js';
import * as dao from './organization.dao.js';

/** Platform work: the actor must be known (the operator's CLI, or a sign-up acting as the system). */
function platformSource(scope: PlatformScope) {
  return { actor: scope.actor ?? { kind: 'system' as const }, requestId: scope.requestId, clientAddress: scope.clientAddress };
}

/**
 * Creates the organization's row and its schema with every tenant table
 * inside the caller's transaction, so a caller (sign-up) can add its own rows,
 * such as the owner, and a failure leaves none of them behind.
 */
export async function createOrganizationIn(
  trx: Transaction<PlatformDatabase>,
  scope: PlatformScope,
  input: { name: string; slug: string },
): Promise<OrganizationRow> {
  const name = checkName(input.name, 'Organization name', ['name']);
  const slug = validateSlug(input.slug);
  const org = await dao.insertOrganization(trx, { name, slug, schema_name: schemaNameForSlug(slug) });
  await createTenantSchema(trx, org, scope.services.system.migrations, scope.services.system.tenantSnapshot);
  await recordAudit(trx, { ...platformSource(scope), organizationId: org.id }, {
    action: 'organization.create',
    entityType: 'Organization',
    entityId: org.id,
    after: { name, slug },
  });
  return org;
}

/** An organization with its schema, in one transaction. */
export function createOrganization(scope: PlatformScope, input: { name: string; slug: string }): Promise<OrganizationRow> {
  return scope.services.system.db.transaction().execute((trx) => createOrganizationIn(trx, scope, input));
}

/**
 * An organization and its owner, who has no password yet (they set one
 * through an invitation), in one transaction.
 */
export async function createOrganizationWithOwner(
  scope: PlatformScope,
  input: { name: string; slug: string; owner: { email: string; displayName?: string | null } },
): Promise<{ organization: OrganizationRow; owner: UserRow }> {
  const email = checkEmail(input.owner.email, ['owner', 'email']);
  return scope.services.system.db.transaction().execute(async (trx) => {
    const organization = await createOrganizationIn(trx, scope, input);
    const owner = await insertUser(trx, { organization_id: organization.id, email, display_name: input.owner.displayName ?? null, role: 'owner' });
    return { organization, owner };
  });
}

export function listOrganizations(scope: PlatformScope): Promise<OrganizationRow[]> {
  return dao.listOrganizations(scope.services.system.db);
}

export async function findOrganizationBySlug(scope: PlatformScope, slug: string): Promise<OrganizationRow> {
  const org = await dao.findOrganizationBySlug(scope.services.system.db, slug);
  if (!org) throw new NotFoundError('Organization', slug);
  return org;
}

/** Drops the organization's schema and its row (users, audit entries cascade) in one transaction. */
export async function deleteOrganization(scope: PlatformScope & { actor: Actor }, id: string): Promise<OrganizationRow> {
  const { actor } = scope;
  if (actor.kind !== 'system' && actor.organizationId !== id) throw new NotFoundError('Organization', id);
  requireRole(actor, 'owner', 'delete the organization');
  return scope.services.system.db.transaction().execute(async (trx) => {
    const org = await dao.findOrganizationById(trx, id);
    if (!org) throw new NotFoundError('Organization', id);
    await dropTenantSchema(trx, org.schema_name);
    await dao.deleteOrganization(trx, id);
    // Kept outside the organization (its own entries go with it).
    await recordAudit(trx, { ...platformSource(scope), organizationId: null }, {
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
  const name = input.name == null ? undefined : checkName(input.name, 'Organization name', ['input', 'name']);
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
export async function deleteOwnOrganization(scope: RequestScope, confirmSlug: string): Promise<OrganizationRow> {
  requireRole(scope.actor, 'owner', 'delete the organization');
  if (confirmSlug !== scope.tenant.organization.slug) {
    throw new ValidationError('confirmSlug must be the organization\'s slug', ['confirmSlug']);
  }
  return deleteOrganization(scope, scope.tenant.organizationId);
}
