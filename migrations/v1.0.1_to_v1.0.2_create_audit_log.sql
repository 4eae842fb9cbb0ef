-- One row per data-changing mutation, written in the mutation's transaction.

-- target: platform
CREATE TABLE datalinx_platform.audit_log (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid REFERENCES datalinx_platform.organizations(id) ON DELETE CASCADE,
  actor_type varchar(32) NOT NULL,
  actor_id uuid,
  action varchar(100) NOT NULL,
  entity_type varchar(100) NOT NULL,
  entity_id uuid,
  changes jsonb NOT NULL DEFAULT '{}',
  request_id varchar(100),
  client_address varchar(100),
  created_at timestamptz NOT NULL DEFAULT now()
);
-- audit log connection: an organization's entries newest first
CREATE INDEX audit_log_organization_created_idx
  ON datalinx_platform.audit_log (organization_id, created_at DESC, id DESC);
