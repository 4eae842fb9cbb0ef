-- Service accounts act for an organization with a role; their API keys are
-- shown once, stored hashed, and found by their visible prefix.

-- target: platform
CREATE TABLE datalinx_platform.service_accounts (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES datalinx_platform.organizations(id) ON DELETE CASCADE,
  name varchar(255) NOT NULL,
  role varchar(50) NOT NULL DEFAULT 'viewer' REFERENCES datalinx_platform.user_roles(value),
  created_by uuid REFERENCES datalinx_platform.users(id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz,
  CONSTRAINT service_accounts_org_name_key UNIQUE (organization_id, name)
);

CREATE TABLE datalinx_platform.service_account_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  service_account_id uuid NOT NULL REFERENCES datalinx_platform.service_accounts(id) ON DELETE CASCADE,
  key_prefix varchar(32) NOT NULL CONSTRAINT service_account_keys_prefix_key UNIQUE,
  key_hash char(64) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX service_account_keys_account_idx ON datalinx_platform.service_account_keys (service_account_id);
