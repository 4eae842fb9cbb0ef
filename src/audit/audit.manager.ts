import { requireRole } from '../auth/actor.js';
import type { RequestScope } from '../auth/scope.js';
import type { Page, PageArgs } from '../db/pagination.js';
import type { AuditLogRow } from '../db/tables/audit-log.table.js';
import * as dao from './audit.dao.js';

/** The caller's organization's audit log, newest first; admins only. */
export function listAuditEntries(scope: RequestScope, filter: dao.AuditFilter, args: PageArgs): Promise<Page<AuditLogRow>> {
  requireRole(scope.actor, 'admin', 'read the audit log');
  return dao.listAuditEntries(scope.services.system.db, scope.tenant.organizationId, filter, args);
}

export function countAuditEntries(scope: RequestScope, filter: dao.AuditFilter): Promise<number> {
  requireRole(scope.actor, 'admin', 'read the audit log');
  return dao.countAuditEntries(scope.services.system.db, scope.tenant.organizationId, filter);
}
