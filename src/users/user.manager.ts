import type { RequestScope } from '../auth/scope.js';
import type { UserRow } from '../db/tables/users.table.js';
import { NotFoundError } from '../errors.js';
import { fetchPage, type Page, type PageArgs } from '../db/pagination.js';
import * as dao from './user.dao.js';

/** Users of the caller's organization only. */
export function findUsersByIds(scope: RequestScope, ids: readonly string[]): Promise<UserRow[]> {
  return dao.findUsersByIds(scope.tenant.root, scope.tenant.organizationId, ids);
}

export async function getMe(scope: RequestScope): Promise<UserRow> {
  if (scope.actor.kind !== 'user') throw new NotFoundError('User');
  const [me] = await findUsersByIds(scope, [scope.actor.id]);
  if (!me) throw new NotFoundError('User', scope.actor.id);
  return me;
}

export function listUsers(scope: RequestScope, args: PageArgs): Promise<Page<UserRow>> {
  return fetchPage(dao.usersOfOrganizationQuery(scope.tenant.root, scope.tenant.organizationId), 'users', args);
}

export function countUsers(scope: RequestScope): Promise<number> {
  return dao.countUsersOfOrganization(scope.tenant.root, scope.tenant.organizationId);
}
