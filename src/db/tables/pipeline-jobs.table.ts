import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { CreatedAt } from './organizations.table.js';

export const JOB_TYPES = ['full_refresh', 'incremental', 'mapping_test'] as const;
export type JobType = (typeof JOB_TYPES)[number];
export const JOB_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export interface PipelineJobsTable {
  id: Generated<string>;
  workspace_id: string;
  job_type: JobType;
  status: ColumnType<JobStatus, JobStatus | undefined, JobStatus>;
  created_at: CreatedAt;
  started_at: Date | null;
  completed_at: Date | null;
  error_message: string | null;
  run_metadata: ColumnType<Record<string, unknown>, Record<string, unknown> | string | undefined, Record<string, unknown> | string>;
  created_by: string | null;
  progress: ColumnType<number, number | undefined, number>;
  failure: ColumnType<StoredFailure | null, string | null | undefined, string | null>;
  mapping_ids: ColumnType<string[], string[] | undefined, string[]>;
  retry_of: string | null;
}

/** A typed failure as stored in pipeline_jobs.failure and pipeline_job_attempts.failure. */
export interface StoredFailure {
  origin: 'source' | 'warehouse' | 'mapping' | 'platform';
  type: 'config_error' | 'system_error' | 'transient_error' | 'cancelled' | 'worker_lost' | 'timeout';
  retryable: boolean;
  message: string;
}

export type PipelineJobRow = Selectable<PipelineJobsTable>;
export type NewPipelineJobRow = Insertable<PipelineJobsTable>;
export type PipelineJobUpdate = Updateable<PipelineJobsTable>;
