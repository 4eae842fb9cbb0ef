import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { CreatedAt } from './organizations.table.js';

export const USER_ROLES = ['viewer', 'editor', 'admin', 'owner'] as const;
export type UserRole = (typeof USER_ROLES)[number];

export interface UsersTable {
  id: Generated<string>;
  organization_id: string | null;
  email: string;
  password_hash: string | null;
  display_name: string | null;
  role: ColumnType<UserRole, UserRole | undefined, UserRole>;
  created_at: CreatedAt;
  last_login_at: Date | null;
  mfa_enabled: Generated<boolean>;
  mfa_secret_encrypted: string | null;
  // bigint, read as a JS number (src/db/connection.ts parses int8)
  mfa_last_used_step: ColumnType<number | null, number | null, number | null>;
  mfa_pending_secret_encrypted: string | null;
  failed_login_count: Generated<number>;
  locked_until: Date | null;
  lockout_count: Generated<number>;
}

export interface MfaRecoveryCodesTable {
  id: Generated<string>;
  user_id: string;
  code_hash: string;
  used_at: Date | null;
  created_at: CreatedAt;
}

export type UserRow = Selectable<UsersTable>;
export type NewUserRow = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
