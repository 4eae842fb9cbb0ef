-- Tenant tables stop referencing shared tables. Every tenant foreign key into
-- datalinx_platform added two RI triggers to the shared table: with thousands
-- of organizations each sign-up took a SHARE ROW EXCLUSIVE lock on users and
-- the lookup tables (blocking logins), every users UPDATE fired thousands of
-- triggers, and deleting a user ran ON DELETE SET NULL in every organization.
--
-- Closed value sets used by tenant tables become enum types in
-- datalinx_platform. A tenant column stays varchar and is checked against the
-- type's values, so extending a set is ONE statement for every tenant at once:
--   ALTER TYPE datalinx_platform.job_status ADD VALUE 'paused';
-- (a value added in a file can be used from the next file on).
-- pipeline_jobs.created_by keeps the user's id without a constraint; removeUser
-- clears it in the user's own organization.
--
-- verify-allow: drop cross-schema foreign keys (reviewed: issue 15, dropping a foreign key only relaxes what older code relied on)

-- target: platform
CREATE TYPE datalinx_platform.data_source_type AS ENUM ('postgresql', 'snowflake', 'api', 'file');
CREATE TYPE datalinx_platform.mapping_status AS ENUM ('draft', 'active', 'archived');
CREATE TYPE datalinx_platform.job_type AS ENUM ('full_refresh', 'incremental', 'mapping_test');
CREATE TYPE datalinx_platform.job_status AS ENUM ('pending', 'running', 'completed', 'failed', 'cancelled');

-- target: tenant
ALTER TABLE data_sources ADD CONSTRAINT data_sources_source_type_check
  CHECK (source_type::text = ANY (enum_range(NULL::datalinx_platform.data_source_type)::text[]));
ALTER TABLE data_sources DROP CONSTRAINT data_sources_source_type_fkey;

ALTER TABLE mappings ADD CONSTRAINT mappings_status_check
  CHECK (status::text = ANY (enum_range(NULL::datalinx_platform.mapping_status)::text[]));
ALTER TABLE mappings DROP CONSTRAINT mappings_status_fkey;

ALTER TABLE pipeline_jobs ADD CONSTRAINT pipeline_jobs_job_type_check
  CHECK (job_type::text = ANY (enum_range(NULL::datalinx_platform.job_type)::text[]));
ALTER TABLE pipeline_jobs DROP CONSTRAINT pipeline_jobs_job_type_fkey;

ALTER TABLE pipeline_jobs ADD CONSTRAINT pipeline_jobs_status_check
  CHECK (status::text = ANY (enum_range(NULL::datalinx_platform.job_status)::text[]));
ALTER TABLE pipeline_jobs DROP CONSTRAINT pipeline_jobs_status_fkey;

ALTER TABLE pipeline_jobs DROP CONSTRAINT pipeline_jobs_created_by_fkey;
