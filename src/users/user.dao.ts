import type { PlatformDb } from '../db/database.js';
import { platform } from '../db/database.js';
import { mapDbErrors } from '../db/pg-errors.js';
import type { NewUserRow, UserRow, UserUpdate } from '../db/tables/users.table.js';

export function insertUser(db: PlatformDb, row: NewUserRow): Promise<UserRow> {
  return mapDbErrors(() =>
    platform(db)
      .insertInto('users')
      .values({ ...row, email: row.email.toLowerCase() })
      .returningAll()
      .executeTakeFirstOrThrow(),
  );
}

export function findUserById(db: PlatformDb, id: string): Promise<UserRow | undefined> {
  return platform(db).selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export function findUserByEmail(db: PlatformDb, email: string): Promise<UserRow | undefined> {
  return platform(db).selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
}

/** Users of one organization by id: rows of other organizations are never returned. */
export function findUsersByIds(db: PlatformDb, organizationId: string, ids: readonly string[]): Promise<UserRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return platform(db)
    .selectFrom('users')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('id', 'in', ids)
    .execute();
}

export function usersOfOrganizationQuery(db: PlatformDb, organizationId: string) {
  return platform(db).selectFrom('users').selectAll().where('organization_id', '=', organizationId);
}

export function countUsersOfOrganization(db: PlatformDb, organizationId: string): Promise<number> {
  return platform(db)
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow()
    .then((r) => Number(r.count));
}

export function updateUser(db: PlatformDb, id: string, patch: UserUpdate): Promise<UserRow | undefined> {
  return mapDbErrors(() => platform(db).updateTable('users').set(patch).where('id', '=', id).returningAll().executeTakeFirst());
}

export async function deleteUser(db: PlatformDb, id: string): Promise<boolean> {
  const res = await platform(db).deleteFrom('users').where('id', '=', id).executeTakeFirst();
  return res.numDeletedRows > 0n;
}
