-- Schedules: a workspace may run a job type on a cron expression in a time
-- zone. This row is what users see and change; the queue's scheduler (pg-boss,
-- in its own schema) holds a copy, written by the same transaction, that it
-- fires once per tick across all workers (see README, "Schedules").
-- One schedule per workspace: the row's key is the workspace.

-- target: tenant
CREATE TABLE workspace_schedules (
  workspace_id uuid NOT NULL,
  cron text NOT NULL,
  time_zone text NOT NULL,
  job_type text NOT NULL,
  enabled boolean NOT NULL DEFAULT true,
  created_by uuid,
  -- The last tick: when it came, the job it queued, or why it queued none.
  last_tick_at timestamp with time zone,
  last_job_id uuid,
  last_problem text,
  created_at timestamp with time zone NOT NULL DEFAULT now(),
  updated_at timestamp with time zone NOT NULL DEFAULT now(),
  CONSTRAINT workspace_schedules_pkey PRIMARY KEY (workspace_id),
  CONSTRAINT workspace_schedules_workspace_id_fkey FOREIGN KEY (workspace_id) REFERENCES workspaces(id) ON DELETE CASCADE,
  CONSTRAINT workspace_schedules_job_type_check CHECK (job_type IN ('full_refresh', 'incremental', 'mapping_test'))
);
