import type { Generated, Insertable, Selectable } from 'kysely';
import type { CreatedAt, Json } from './organizations.table.js';

export interface AuditLogTable {
  id: Generated<string>;
  organization_id: string | null;
  actor_type: string;
  actor_id: string | null;
  action: string;
  entity_type: string;
  entity_id: string | null;
  changes: Json<Record<string, unknown>>;
  request_id: string | null;
  client_address: string | null;
  created_at: CreatedAt;
}

export type AuditLogRow = Selectable<AuditLogTable>;
export type NewAuditLogRow = Insertable<AuditLogTable>;
