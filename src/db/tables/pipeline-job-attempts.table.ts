import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { StoredFailure } from './pipeline-jobs.table.js';

/** One execution of a pipeline job by a worker. */
export interface PipelineJobAttemptsTable {
  id: Generated<string>;
  job_id: string;
  number: number;
  worker: string;
  started_at: ColumnType<Date, Date | undefined, Date>;
  ended_at: Date | null;
  failure: ColumnType<StoredFailure | null, string | null | undefined, string | null>;
}

export type PipelineJobAttemptRow = Selectable<PipelineJobAttemptsTable>;
export type NewPipelineJobAttemptRow = Insertable<PipelineJobAttemptsTable>;
