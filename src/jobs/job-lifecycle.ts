import type { Transaction } from 'kysely';
import type { PlatformDatabase, TenantDb } from '../db/database.js';
import type { JobStatus, PipelineJobRow, PipelineJobUpdate } from '../db/tables/pipeline-jobs.table.js';
import { transitionPipelineJob } from './pipeline-job.dao.js';

/**
 * The one place a job's status changes: pending → running → completed | failed
 * | cancelled. A running job whose attempt failed with a retryable error, was
 * lost or was handed back at shutdown returns to pending until its next
 * attempt. Finished jobs never change again.
 */
export const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  pending: ['running', 'cancelled', 'failed'],
  running: ['pending', 'completed', 'failed', 'cancelled'],
  completed: [],
  failed: [],
  cancelled: [],
};

export const isFinished = (status: JobStatus) => TRANSITIONS[status].length === 0;

export function canMove(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses a job may be in to move to `to`. */
export function predecessorsOf(to: JobStatus): JobStatus[] {
  return (Object.keys(TRANSITIONS) as JobStatus[]).filter((from) => canMove(from, to));
}

export interface JobTx {
  platform: Transaction<PlatformDatabase>;
  tenant: TenantDb;
}

/**
 * How a job moves to `to`: from the statuses that may move there, stamped
 * completed_at when `to` is final, announced for its organization. What moveJob
 * runs, and what the attempt steps that move a job in one statement with more
 * take (pipeline-run.dao.ts).
 */
export function moveTo(organizationId: string, to: JobStatus, patch: Omit<PipelineJobUpdate, 'status'> = {}) {
  const finished = isFinished(to) ? { completed_at: new Date() } : {};
  return { from: predecessorsOf(to), patch: { ...finished, ...patch, status: to }, announceFor: organizationId };
}

/**
 * Moves a job to `to` when its current status allows it, in the caller's
 * transaction, and announces the change. Returns undefined (and changes
 * nothing) when the job is not in a status that may move there.
 */
export async function moveJob(
  tx: JobTx,
  organizationId: string,
  jobId: string,
  to: JobStatus,
  patch: Omit<PipelineJobUpdate, 'status'> = {},
): Promise<PipelineJobRow | undefined> {
  const move = moveTo(organizationId, to, patch);
  // The job event rides on the update itself (one statement, announced only when the row moved).
  return transitionPipelineJob(tx.tenant, jobId, move.from, move.patch, move.announceFor);
}

/** Changes a running job without moving it (progress, metadata) and announces it; undefined when it is no longer running. */
export async function updateRunningJob(
  tx: JobTx,
  organizationId: string,
  jobId: string,
  patch: Omit<PipelineJobUpdate, 'status'>,
): Promise<PipelineJobRow | undefined> {
  return transitionPipelineJob(tx.tenant, jobId, ['running'], { ...patch, status: 'running' }, organizationId);
}
