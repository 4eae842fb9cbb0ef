import type { PlatformDb } from '../db/database.js';
import { platform } from '../db/database.js';
import type { AuditLogRow, NewAuditLogRow } from '../db/tables/audit-log.table.js';

export function insertAuditEntry(db: PlatformDb, row: NewAuditLogRow): Promise<AuditLogRow> {
  return platform(db)
    .insertInto('audit_log')
    .values({ ...row, changes: JSON.stringify(row.changes ?? {}) })
    .returningAll()
    .executeTakeFirstOrThrow();
}
