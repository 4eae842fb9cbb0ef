-- Baseline of the Datalinx system database.
-- A file has one or two sections. `-- target: platform` runs once against the
-- datalinx_platform schema; `-- target: tenant` runs in every organization's
-- schema (unqualified names resolve to that schema).

-- target: platform
CREATE SCHEMA IF NOT EXISTS datalinx_platform;

-- Keeps updated_at honest on every UPDATE, for platform and tenant tables alike.
CREATE FUNCTION datalinx_platform.set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

-- Closed value sets are rows of lookup tables, so a later migration extends
-- them with an INSERT instead of rewriting a CHECK constraint.
CREATE TABLE datalinx_platform.user_roles (value varchar(50) PRIMARY KEY);
INSERT INTO datalinx_platform.user_roles VALUES ('viewer'), ('editor'), ('admin'), ('owner');

CREATE TABLE datalinx_platform.data_source_types (value varchar(50) PRIMARY KEY);
INSERT INTO datalinx_platform.data_source_types VALUES ('postgresql'), ('snowflake'), ('api'), ('file');

CREATE TABLE datalinx_platform.mapping_statuses (value varchar(50) PRIMARY KEY);
INSERT INTO datalinx_platform.mapping_statuses VALUES ('draft'), ('active'), ('archived');

CREATE TABLE datalinx_platform.job_types (value varchar(50) PRIMARY KEY);
INSERT INTO datalinx_platform.job_types VALUES ('full_refresh'), ('incremental'), ('mapping_test');

CREATE TABLE datalinx_platform.job_statuses (value varchar(50) PRIMARY KEY);
INSERT INTO datalinx_platform.job_statuses VALUES ('pending'), ('running'), ('completed'), ('failed');

CREATE TABLE datalinx_platform.organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar(255) NOT NULL,
  slug varchar(100) NOT NULL CONSTRAINT organizations_slug_key UNIQUE,
  schema_name varchar(100) NOT NULL CONSTRAINT organizations_schema_name_key UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  settings jsonb NOT NULL DEFAULT '{}'
);
CREATE TRIGGER organizations_set_updated_at BEFORE UPDATE ON datalinx_platform.organizations
  FOR EACH ROW EXECUTE FUNCTION datalinx_platform.set_updated_at();

CREATE TABLE datalinx_platform.users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid REFERENCES datalinx_platform.organizations(id) ON DELETE CASCADE,
  email varchar(255) NOT NULL CONSTRAINT users_email_key UNIQUE,
  password_hash varchar(255),
  display_name varchar(255),
  role varchar(50) NOT NULL DEFAULT 'viewer' REFERENCES datalinx_platform.user_roles(value),
  created_at timestamptz NOT NULL DEFAULT now(),
  last_login_at timestamptz
);
CREATE INDEX users_organization_id_idx ON datalinx_platform.users (organization_id);

-- History of applied files; the newest row is the current platform version.
CREATE TABLE datalinx_platform.schema_version (
  id bigserial PRIMARY KEY,
  version varchar(32) NOT NULL CONSTRAINT schema_version_version_key UNIQUE,
  file_name varchar(255) NOT NULL,
  checksum char(64) NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  duration_ms integer NOT NULL
);

-- Per-organization progress of tenant sections, so an interrupted run resumes.
CREATE TABLE datalinx_platform.tenant_schema_version (
  organization_id uuid NOT NULL REFERENCES datalinx_platform.organizations(id) ON DELETE CASCADE,
  version varchar(32) NOT NULL,
  checksum char(64) NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now(),
  duration_ms integer NOT NULL,
  PRIMARY KEY (organization_id, version)
);

-- target: tenant
CREATE TABLE workspaces (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name varchar(255) NOT NULL,
  description text,
  target_schema_id uuid,
  github_repo_url varchar(500),
  repo_subdirectory varchar(255),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER workspaces_set_updated_at BEFORE UPDATE ON workspaces
  FOR EACH ROW EXECUTE FUNCTION datalinx_platform.set_updated_at();
-- workspaces connection: newest first, keyset on (created_at, id)
CREATE INDEX workspaces_created_at_id_idx ON workspaces (created_at DESC, id DESC);

CREATE TABLE data_sources (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id),
  name varchar(255) NOT NULL,
  source_type varchar(50) NOT NULL REFERENCES datalinx_platform.data_source_types(value),
  connection_config jsonb NOT NULL,
  schema_cache jsonb,
  last_schema_refresh timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  is_active boolean NOT NULL DEFAULT true
);
CREATE INDEX data_sources_workspace_id_idx ON data_sources (workspace_id);

CREATE TABLE mappings (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id),
  target_table varchar(255) NOT NULL,
  source_table varchar(255) NOT NULL,
  field_mappings jsonb NOT NULL,
  decorators jsonb NOT NULL DEFAULT '[]',
  cte_definitions jsonb NOT NULL DEFAULT '[]',
  status varchar(50) NOT NULL DEFAULT 'draft' REFERENCES datalinx_platform.mapping_statuses(value),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER mappings_set_updated_at BEFORE UPDATE ON mappings
  FOR EACH ROW EXECUTE FUNCTION datalinx_platform.set_updated_at();
CREATE INDEX mappings_workspace_id_idx ON mappings (workspace_id);
CREATE INDEX mappings_field_mappings_idx ON mappings USING gin (field_mappings);

CREATE TABLE pipeline_jobs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  workspace_id uuid NOT NULL REFERENCES workspaces(id),
  job_type varchar(50) NOT NULL REFERENCES datalinx_platform.job_types(value),
  status varchar(50) NOT NULL DEFAULT 'pending' REFERENCES datalinx_platform.job_statuses(value),
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  completed_at timestamptz,
  error_message text,
  run_metadata jsonb NOT NULL DEFAULT '{}',
  created_by uuid REFERENCES datalinx_platform.users(id) ON DELETE SET NULL
);
CREATE INDEX pipeline_jobs_active_status_idx ON pipeline_jobs (status)
  WHERE status IN ('pending', 'running');
-- jobs of a workspace, newest first, keyset on (created_at, id)
CREATE INDEX pipeline_jobs_workspace_created_idx ON pipeline_jobs (workspace_id, created_at DESC, id DESC);
CREATE INDEX pipeline_jobs_created_by_idx ON pipeline_jobs (created_by);
