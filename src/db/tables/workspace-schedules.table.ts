import type { Insertable, Selectable, Updateable } from 'kysely';
import type { CreatedAt, UpdatedAt } from './organizations.table.js';
import type { JobType } from './pipeline-jobs.table.js';

/** A workspace's schedule: which job type runs, on which cron expression, in which time zone. */
export interface WorkspaceSchedulesTable {
  workspace_id: string;
  cron: string;
  time_zone: string;
  job_type: JobType;
  enabled: boolean;
  /** The user who last set it; null when a service account or the system did. */
  created_by: string | null;
  /** The last tick: when it came, the job it queued, or why it queued none. */
  last_tick_at: Date | null;
  last_job_id: string | null;
  last_problem: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export type WorkspaceScheduleRow = Selectable<WorkspaceSchedulesTable>;
export type NewWorkspaceScheduleRow = Insertable<WorkspaceSchedulesTable>;
export type WorkspaceScheduleUpdate = Updateable<WorkspaceSchedulesTable>;
