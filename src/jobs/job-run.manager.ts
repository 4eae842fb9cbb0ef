import type { Kysely, Transaction } from 'kysely';
import type { JobMessage } from '../auth/scope.js';
import type { PlatformDatabase } from '../db/database.js';
import type { PipelineJobRow, StoredFailure } from '../db/tables/pipeline-jobs.table.js';
import { findOrganizationById } from '../organizations/organization.dao.js';
import { Tenant } from '../tenancy/tenant.js';
import { moveJob, updateRunningJob } from './job-lifecycle.js';
import { findPipelineJobById } from './pipeline-job.dao.js';
import * as runs from './pipeline-run.dao.js';

/**
 * What workers do to a job's record: each step one transaction that moves the
 * job through the lifecycle, ends or opens an attempt, writes its log lines and
 * announces the change. Workers reach the organization from the queue message,
 * never by polling tenant schemas.
 */
export class JobRun {
  private constructor(
    readonly tenant: Tenant,
    readonly message: JobMessage,
  ) {}

  /** The run of a queued message, or null when its organization is gone. */
  static async of(db: Kysely<PlatformDatabase>, message: JobMessage): Promise<JobRun | null> {
    const org = await findOrganizationById(db, message.organizationId);
    return org ? new JobRun(new Tenant(db, org), message) : null;
  }

  get jobId() {
    return this.message.jobId;
  }

  job(): Promise<PipelineJobRow | undefined> {
    return findPipelineJobById(this.tenant.db, this.jobId);
  }

  /**
   * Starts attempt `number` by `worker`: ends a previous attempt still open
   * (its worker was lost) and moves the job to running. Null when the job is no
   * longer pending (cancelled meanwhile, or already finished: a redelivery).
   */
  start(number: number, worker: string): Promise<PipelineJobRow | null> {
    return this.tenant.transaction(async ({ platform, tenant }) => {
      const current = await findPipelineJobById(tenant, this.jobId);
      if (!current) return null;
      const open = await runs.findOpenAttempt(tenant, this.jobId);
      if (open) {
        await runs.endOpenAttempts(tenant, this.jobId, lostFailure(open.worker));
        await runs.insertLogs(tenant, this.jobId, [{ level: 'warn', message: `attempt ${open.number} was lost: worker ${open.worker} stopped answering` }]);
        if (current.status === 'running') await moveJob({ platform, tenant }, this.tenant.organizationId, this.jobId, 'pending');
      }
      const moved = await moveJob({ platform, tenant }, this.tenant.organizationId, this.jobId, 'running', { started_at: new Date(), failure: null, error_message: null });
      if (!moved) return null;
      const n = Math.max(number, (await runs.lastAttemptNumber(tenant, this.jobId)) + 1);
      await runs.insertAttempt(tenant, this.jobId, n, worker);
      await runs.insertLogs(tenant, this.jobId, [{ level: 'info', message: `attempt ${n} started on ${worker}` }]);
      return moved;
    });
  }

  /** Appends log lines and, when given, the progress (0–100). */
  log(lines: readonly runs.NewLogLine[], progress?: number): Promise<void> {
    return this.tenant.transaction(async ({ platform, tenant }) => {
      await runs.insertLogs(tenant, this.jobId, lines);
      const patch = progress === undefined ? {} : { progress: Math.max(0, Math.min(100, Math.round(progress))) };
      await updateRunningJob({ platform, tenant }, this.tenant.organizationId, this.jobId, patch);
    });
  }

  async isCancelled(): Promise<boolean> {
    return (await this.job())?.status === 'cancelled';
  }

  complete(runMetadata: Record<string, unknown>, lines: readonly runs.NewLogLine[] = []): Promise<boolean> {
    return this.end('completed', null, lines, { progress: 100, run_metadata: runMetadata });
  }

  fail(failure: StoredFailure, lines: readonly runs.NewLogLine[] = [], runMetadata?: Record<string, unknown>): Promise<boolean> {
    return this.end('failed', failure, [...lines, { level: 'error', message: `failed (${failure.origin} ${failure.type}): ${failure.message}` }], {
      error_message: failure.message,
      ...(runMetadata ? { run_metadata: runMetadata } : {}),
    });
  }

  /** Ends the attempt with a retryable failure; the job waits (pending) for the queue's next delivery. */
  retryLater(failure: StoredFailure, delayNote: string): Promise<boolean> {
    return this.end('pending', failure, [{ level: 'warn', message: `attempt failed (${failure.type}): ${failure.message}; ${delayNote}` }], {});
  }

  /**
   * Ends the attempt without a failure and puts the job back to pending (a
   * worker shutting down); `requeue` queues it again in the same transaction.
   */
  handBack(worker: string, requeue: (trx: Transaction<PlatformDatabase>) => Promise<void>): Promise<boolean> {
    return this.end('pending', null, [{ level: 'warn', message: `handed back by ${worker} at shutdown; another worker will run it` }], {}, requeue);
  }

  /** Ends the attempt of a job cancelled while it ran. */
  acknowledgeCancel(): Promise<void> {
    return this.tenant.transaction(async ({ tenant }) => {
      const ended = await runs.endOpenAttempts(tenant, this.jobId, { origin: 'platform', type: 'cancelled', retryable: false, message: 'cancelled by a user' });
      if (ended.length > 0) await runs.insertLogs(tenant, this.jobId, [{ level: 'warn', message: 'stopped: the job was cancelled' }]);
    });
  }

  /** A job whose last attempt was lost (or timed out) with no retry left: failed as WORKER_LOST or TIMEOUT. */
  failLost(timeoutSeconds: number): Promise<boolean> {
    return this.tenant.transaction(async ({ platform, tenant }) => {
      const open = await runs.findOpenAttempt(tenant, this.jobId);
      const timedOut = open ? Date.now() - open.started_at.getTime() >= timeoutSeconds * 1000 : false;
      const failure: StoredFailure = timedOut
        ? { origin: 'platform', type: 'timeout', retryable: false, message: `the attempt ran past its ${timeoutSeconds} s limit` }
        : lostFailure(open?.worker ?? 'unknown');
      await runs.endOpenAttempts(tenant, this.jobId, failure);
      const moved = await moveJob({ platform, tenant }, this.tenant.organizationId, this.jobId, 'failed', { failure: JSON.stringify(failure), error_message: failure.message });
      if (moved) await runs.insertLogs(tenant, this.jobId, [{ level: 'error', message: `failed (${failure.type}): ${failure.message}; no retry left` }]);
      return Boolean(moved);
    });
  }

  private end(
    to: 'completed' | 'failed' | 'pending',
    failure: StoredFailure | null,
    lines: readonly runs.NewLogLine[],
    patch: Record<string, unknown>,
    then?: (trx: Transaction<PlatformDatabase>) => Promise<void>,
  ): Promise<boolean> {
    return this.tenant.transaction(async ({ platform, tenant }) => {
      const moved = await moveJob({ platform, tenant }, this.tenant.organizationId, this.jobId, to, {
        ...patch,
        ...(to === 'pending' ? {} : { failure: failure ? JSON.stringify(failure) : null }),
      });
      if (!moved) return false; // cancelled meanwhile: acknowledgeCancel ends the attempt
      await runs.endOpenAttempts(tenant, this.jobId, failure);
      await runs.insertLogs(tenant, this.jobId, lines);
      await then?.(platform);
      return true;
    });
  }
}

const lostFailure = (worker: string): StoredFailure => ({
  origin: 'platform',
  type: 'worker_lost',
  retryable: true,
  message: `worker ${worker} stopped answering (no heartbeat)`,
});
