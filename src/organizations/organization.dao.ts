import type { PlatformDb } from '../db/database.js';
import { platform } from '../db/database.js';
import { mapDbErrors } from '../db/pg-errors.js';
import { countRows } from '../db/pagination.js';
import type { NewOrganizationRow, OrganizationRow, OrganizationUpdate } from '../db/tables/organizations.table.js';
import { anyOf, compiledOnce } from '../db/compiled-once.js';

export function insertOrganization(db: PlatformDb, row: NewOrganizationRow): Promise<OrganizationRow> {
  return mapDbErrors(() => platform(db).insertInto('organizations').values(row).returningAll().executeTakeFirstOrThrow());
}

export function findOrganizationById(db: PlatformDb, id: string): Promise<OrganizationRow | undefined> {
  return platform(db).selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findOrganizationBySlug(db: PlatformDb, slug: string): Promise<OrganizationRow | undefined> {
  return platform(db).selectFrom('organizations').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export function findOrganizationsByIds(db: PlatformDb, ids: readonly string[]): Promise<OrganizationRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  const organizations = platform(db);
  return compiledOnce(organizations, 'organizations by ids', () => organizations.selectFrom('organizations').selectAll().where('id', '=', anyOf(ids)), [ids]);
}

export function listOrganizations(db: PlatformDb): Promise<OrganizationRow[]> {
  return platform(db).selectFrom('organizations').selectAll().orderBy('created_at').orderBy('id').execute();
}

export function updateOrganization(db: PlatformDb, id: string, patch: OrganizationUpdate): Promise<OrganizationRow | undefined> {
  return mapDbErrors(() =>
    platform(db).updateTable('organizations').set(patch).where('id', '=', id).returningAll().executeTakeFirst(),
  );
}

export async function deleteOrganization(db: PlatformDb, id: string): Promise<boolean> {
  const res = await platform(db).deleteFrom('organizations').where('id', '=', id).executeTakeFirst();
  return res.numDeletedRows > 0n;
}

export function countOrganizations(db: PlatformDb): Promise<number> {
  return countRows(platform(db).selectFrom('organizations'));
}
