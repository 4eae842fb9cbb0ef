-- MFA (TOTP, RFC 6238): the switch, the encrypted secret, the last accepted
-- time step (a code is accepted once) and hashed single-use recovery codes.

-- target: platform
ALTER TABLE datalinx_platform.users
  ADD COLUMN mfa_enabled boolean NOT NULL DEFAULT false,
  ADD COLUMN mfa_secret_encrypted text,
  ADD COLUMN mfa_last_used_step bigint;

CREATE TABLE datalinx_platform.mfa_recovery_codes (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES datalinx_platform.users(id) ON DELETE CASCADE,
  code_hash varchar(255) NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mfa_recovery_codes_user_id_idx ON datalinx_platform.mfa_recovery_codes (user_id);
