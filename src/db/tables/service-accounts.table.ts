import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { CreatedAt } from './organizations.table.js';
import type { UserRole } from './users.table.js';

export interface ServiceAccountsTable {
  id: Generated<string>;
  organization_id: string;
  name: string;
  role: ColumnType<UserRole, UserRole | undefined, UserRole>;
  created_by: string | null;
  created_at: CreatedAt;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface ServiceAccountKeysTable {
  id: Generated<string>;
  service_account_id: string;
  key_prefix: string;
  key_hash: string;
  created_at: CreatedAt;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export type ServiceAccountRow = Selectable<ServiceAccountsTable>;
export type NewServiceAccountRow = Insertable<ServiceAccountsTable>;
export type ServiceAccountKeyRow = Selectable<ServiceAccountKeysTable>;
