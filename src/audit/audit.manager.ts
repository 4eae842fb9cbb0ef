import { requireRole } from '../auth/actor.js';
import type { RequestScope } from '../auth/scope.js';
import { fetchPage, type Page, type PageArgs } from '../db/pagination.js';
import type { AuditLogRow } from '../db/tables/audit-log.table.js';
import { auditEntriesQuery, type AuditFilter } from './audit.dao.js';

/** The caller's organization's audit log, newest first; admins only. */
export function listAuditEntries(scope: RequestScope, filter: AuditFilter, args: PageArgs): Promise<Page<AuditLogRow>> {
  requireRole(scope.actor, 'admin', 'read the audit log');
  return fetchPage(auditEntriesQuery(scope.tenant.root, scope.tenant.organizationId, filter).selectAll(), 'audit_log', args);
}

export async function countAuditEntries(scope: RequestScope, filter: AuditFilter): Promise<number> {
  requireRole(scope.actor, 'admin', 'read the audit log');
  const r = await auditEntriesQuery(scope.tenant.root, scope.tenant.organizationId, filter)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(r.count);
}
