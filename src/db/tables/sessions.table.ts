import type { Generated, Selectable } from 'kysely';
import type { CreatedAt } from './organizations.table.js';

export interface RefreshTokensTable {
  id: Generated<string>;
  user_id: string;
  family_id: string;
  token_hash: string;
  created_at: CreatedAt;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

export interface MfaChallengesTable {
  id: Generated<string>;
  user_id: string;
  token_hash: string;
  created_at: CreatedAt;
  expires_at: Date;
  failed_attempts: Generated<number>;
  used_at: Date | null;
}

export type RefreshTokenRow = Selectable<RefreshTokensTable>;
export type MfaChallengeRow = Selectable<MfaChallengesTable>;
