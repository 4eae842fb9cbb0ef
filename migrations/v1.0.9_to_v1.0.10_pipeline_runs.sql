-- Pipeline runs: jobs are executed by queue-backed workers. Each execution of
-- a job is an attempt (who ran it, when, how it ended); a job keeps its log
-- lines, its progress, its typed failure, the mappings it runs and the failed
-- job it retries. The queue itself (pg-boss) lives in its own schema, which
-- its installer creates at start; these tables stay the record users see.
--
-- Nothing here references datalinx_platform: retry_of points to a job of the
-- same schema, mapping_ids holds ids of this schema's mappings.

-- target: tenant
ALTER TABLE pipeline_jobs ADD COLUMN progress integer NOT NULL DEFAULT 0;
ALTER TABLE pipeline_jobs ADD COLUMN failure jsonb;
ALTER TABLE pipeline_jobs ADD COLUMN mapping_ids uuid[] NOT NULL DEFAULT '{}';
ALTER TABLE pipeline_jobs ADD COLUMN retry_of uuid;
ALTER TABLE pipeline_jobs ADD CONSTRAINT pipeline_jobs_retry_of_fkey FOREIGN KEY (retry_of) REFERENCES pipeline_jobs(id) ON DELETE SET NULL;
ALTER TABLE pipeline_jobs ADD CONSTRAINT pipeline_jobs_progress_check CHECK (progress BETWEEN 0 AND 100);
CREATE INDEX pipeline_jobs_active_mappings_idx ON pipeline_jobs USING gin (mapping_ids) WHERE ((status)::text = ANY ((ARRAY['pending'::character varying, 'running'::character varying])::text[]));

CREATE TABLE pipeline_job_attempts (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  job_id uuid NOT NULL,
  number integer NOT NULL,
  worker character varying(255) NOT NULL,
  started_at timestamp with time zone NOT NULL DEFAULT clock_timestamp(),
  ended_at timestamp with time zone,
  failure jsonb,
  CONSTRAINT pipeline_job_attempts_pkey PRIMARY KEY (id),
  CONSTRAINT pipeline_job_attempts_job_id_number_key UNIQUE (job_id, number),
  CONSTRAINT pipeline_job_attempts_job_id_fkey FOREIGN KEY (job_id) REFERENCES pipeline_jobs(id) ON DELETE CASCADE
);

CREATE TABLE pipeline_job_logs (
  id uuid NOT NULL DEFAULT gen_random_uuid(),
  job_id uuid NOT NULL,
  level text NOT NULL,
  message text NOT NULL,
  mapping_id uuid,
  created_at timestamp with time zone NOT NULL DEFAULT clock_timestamp(),
  CONSTRAINT pipeline_job_logs_pkey PRIMARY KEY (id),
  CONSTRAINT pipeline_job_logs_job_id_fkey FOREIGN KEY (job_id) REFERENCES pipeline_jobs(id) ON DELETE CASCADE,
  CONSTRAINT pipeline_job_logs_level_check CHECK (level IN ('debug', 'info', 'warn', 'error'))
);
CREATE INDEX pipeline_job_logs_job_created_idx ON pipeline_job_logs USING btree (job_id, created_at DESC, id DESC);
