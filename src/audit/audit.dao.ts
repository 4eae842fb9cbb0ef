import type { PlatformDb } from '../db/database.js';
import { platform } from '../db/database.js';
import { countRows, fetchPage, type Page, type PageArgs } from '../db/pagination.js';
import type { AuditLogRow, NewAuditLogRow } from '../db/tables/audit-log.table.js';

export function insertAuditEntry(db: PlatformDb, row: NewAuditLogRow): Promise<AuditLogRow> {
  return platform(db)
    .insertInto('audit_log')
    .values({ ...row, changes: JSON.stringify(row.changes ?? {}) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface AuditFilter {
  action?: string | null;
  entityType?: string | null;
  entityId?: string | null;
  actorId?: string | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
}

/** An organization's entries, filtered (audit_log_organization_created_idx). */
function auditEntriesQuery(db: PlatformDb, organizationId: string, f: AuditFilter) {
  let q = platform(db).selectFrom('audit_log').where('organization_id', '=', organizationId);
  if (f.action != null) q = q.where('action', '=', f.action);
  if (f.entityType != null) q = q.where('entity_type', '=', f.entityType);
  if (f.entityId != null) q = q.where('entity_id', '=', f.entityId);
  if (f.actorId != null) q = q.where('actor_id', '=', f.actorId);
  if (f.createdAfter != null) q = q.where('created_at', '>', f.createdAfter);
  if (f.createdBefore != null) q = q.where('created_at', '<', f.createdBefore);
  return q;
}

/** One page of an organization's entries, newest first. */
export function listAuditEntries(db: PlatformDb, organizationId: string, filter: AuditFilter, args: PageArgs): Promise<Page<AuditLogRow>> {
  return fetchPage(auditEntriesQuery(db, organizationId, filter).selectAll(), 'audit_log', args);
}

export function countAuditEntries(db: PlatformDb, organizationId: string, filter: AuditFilter): Promise<number> {
  return countRows(auditEntriesQuery(db, organizationId, filter));
}
