-- Accounts: rotating refresh tokens (stored hashed, grouped in families so a
-- reused token revokes its family), login lockout counters, MFA enrolment and
-- login challenges.

-- target: platform
ALTER TABLE datalinx_platform.users
  ADD COLUMN failed_login_count integer NOT NULL DEFAULT 0,
  ADD COLUMN locked_until timestamptz,
  ADD COLUMN lockout_count integer NOT NULL DEFAULT 0,
  ADD COLUMN mfa_pending_secret_encrypted text;

CREATE TABLE datalinx_platform.refresh_tokens (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES datalinx_platform.users(id) ON DELETE CASCADE,
  family_id uuid NOT NULL,
  token_hash char(64) NOT NULL CONSTRAINT refresh_tokens_token_hash_key UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON datalinx_platform.refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON datalinx_platform.refresh_tokens (user_id);

CREATE TABLE datalinx_platform.mfa_challenges (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES datalinx_platform.users(id) ON DELETE CASCADE,
  token_hash char(64) NOT NULL CONSTRAINT mfa_challenges_token_hash_key UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  failed_attempts integer NOT NULL DEFAULT 0,
  used_at timestamptz
);
CREATE INDEX mfa_challenges_user_idx ON datalinx_platform.mfa_challenges (user_id);
