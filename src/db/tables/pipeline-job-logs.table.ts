import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One log line of a pipeline job. */
export interface PipelineJobLogsTable {
  id: Generated<string>;
  job_id: string;
  level: LogLevel;
  message: string;
  mapping_id: string | null;
  created_at: ColumnType<Date, Date | undefined, never>;
}

export type PipelineJobLogRow = Selectable<PipelineJobLogsTable>;
export type NewPipelineJobLogRow = Insertable<PipelineJobLogsTable>;
