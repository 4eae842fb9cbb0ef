import type { Kysely, Transaction } from 'kysely';
import type { JobMessage } from '../auth/scope.js';
import type { PlatformDatabase, TenantDb } from '../db/database.js';
import type { OrganizationRow } from '../db/tables/organizations.table.js';
import type { PipelineJobRow, StoredFailure } from '../db/tables/pipeline-jobs.table.js';
import { findOrganizationById } from '../organizations/organization.dao.js';
import { Tenant } from '../tenancy/tenant.js';
import { moveJob, moveTo, updateRunningJob } from './job-lifecycle.js';
import { findPipelineJobById } from './pipeline-job.dao.js';
import * as runs from './pipeline-run.dao.js';

/**
 * What workers do to a job's record: each step atomic — one statement in the
 * usual case (an attempt's start and end), a transaction otherwise — moves the
 * job through the lifecycle, ends or opens an attempt, writes its log lines and
 * announces the change. Workers reach the organization from the queue message,
 * never by polling tenant schemas.
 */
export class JobRun {
  /** Log lines (and the progress) not written yet: see `log`. */
  private buffered: runs.NewLogLine[] = [];
  private bufferedProgress: number | undefined;
  private lastWrite = Date.now();
  private flushTimer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    readonly tenant: Tenant,
    readonly message: JobMessage,
  ) {}

  /** The run of a queued message, or null when its organization is gone. */
  static async of(db: Kysely<PlatformDatabase>, message: JobMessage): Promise<JobRun | null> {
    const org = await findOrganizationById(db, message.organizationId);
    return org ? new JobRun(new Tenant(db, org), message) : null;
  }

  /** The run of a queued message of an organization the caller has just read (a worker remembers them for a while). */
  static forOrganization(db: Kysely<PlatformDatabase>, org: OrganizationRow, message: JobMessage): JobRun {
    return new JobRun(new Tenant(db, org), message);
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
  async start(number: number, worker: string): Promise<PipelineJobRow | null> {
    // The usual case, a pending job with no attempt open, in one statement.
    const move = moveTo(this.tenant.organizationId, 'running', { started_at: new Date(), failure: null, error_message: null });
    const started = await runs.startAttemptAtOnce(this.tenant.db, this.jobId, move, number, worker);
    this.lastWrite = Date.now();
    if (started) return started;
    // An attempt still open (its worker was lost): ended as WORKER_LOST, then this one starts as above.
    return this.tenant.transaction(async ({ platform, tenant }) => {
      const found = await runs.jobForStart(tenant, this.jobId);
      if (!found?.open) return null;
      const { job: current, open } = found;
      await runs.endOpenAttempts(tenant, this.jobId, lostFailure(open.worker));
      await runs.insertLogs(tenant, this.jobId, [{ level: 'warn', message: `attempt ${open.number} was lost: worker ${open.worker} stopped answering` }]);
      if (current.status === 'running') await moveJob({ platform, tenant }, this.tenant.organizationId, this.jobId, 'pending');
      const restarted = await runs.startAttemptAtOnce(tenant, this.jobId, move, number, worker);
      if (restarted) this.lastWrite = Date.now();
      return restarted ?? null;
    });
  }

  /**
   * Appends log lines and, when given, the progress (0–100). Written at most
   * every LOG_WRITE_MS (a timer writes what waits), and whatever still waits
   * goes into the transaction that ends the attempt: a job shorter than that
   * writes its lines with its end, not in transactions of their own. A line's
   * time is when it was written, so up to LOG_WRITE_MS after the event.
   */
  log(lines: readonly runs.NewLogLine[], progress?: number): Promise<void> {
    this.buffered.push(...lines);
    if (progress !== undefined) this.bufferedProgress = progress;
    const due = this.lastWrite + LOG_WRITE_MS - Date.now();
    if (due <= 0) return this.flush();
    this.flushTimer ??= setTimeout(() => void this.flush().catch(() => undefined), due);
    return Promise.resolve();
  }

  /** Writes the waiting lines and progress now, after any write in flight; on failure they wait for the next write. */
  private flush(): Promise<void> {
    this.clearTimer();
    this.lastWrite = Date.now();
    const { lines, progress } = this.takeWaiting();
    if (lines.length === 0 && progress === undefined) return this.writing;
    const write = this.writing.then(() =>
      this.tenant.transaction(async ({ platform, tenant }) => {
        await runs.insertLogs(tenant, this.jobId, lines);
        const patch = progress === undefined ? {} : { progress: clampProgress(progress) };
        await updateRunningJob({ platform, tenant }, this.tenant.organizationId, this.jobId, patch);
      }),
    );
    this.writing = write.catch(() => {
      this.buffered.unshift(...lines);
      this.bufferedProgress ??= progress;
    });
    return write;
  }

  private clearTimer(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
  }

  /** The lines and progress still waiting, taken for the caller's transaction (after any write in flight). */
  private async takeBuffered(): Promise<{ lines: runs.NewLogLine[]; progress: number | undefined }> {
    this.clearTimer();
    await this.writing;
    return this.takeWaiting();
  }

  private takeWaiting(): { lines: runs.NewLogLine[]; progress: number | undefined } {
    const lines = this.buffered.splice(0);
    const progress = this.bufferedProgress;
    this.bufferedProgress = undefined;
    return { lines, progress };
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
  async acknowledgeCancel(): Promise<void> {
    const waiting = await this.takeBuffered();
    return this.tenant.transaction(async ({ tenant }) => {
      await runs.insertLogs(tenant, this.jobId, waiting.lines);
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

  private async end(
    to: 'completed' | 'failed' | 'pending',
    failure: StoredFailure | null,
    lines: readonly runs.NewLogLine[],
    patch: Record<string, unknown>,
    then?: (trx: Transaction<PlatformDatabase>) => Promise<void>,
  ): Promise<boolean> {
    const waiting = await this.takeBuffered();
    const progress = waiting.progress === undefined || 'progress' in patch ? {} : { progress: clampProgress(waiting.progress) };
    const move = moveTo(this.tenant.organizationId, to, {
      ...progress,
      ...patch,
      ...(to === 'pending' ? {} : { failure: failure ? JSON.stringify(failure) : null }),
    });
    // Lines logged while it ran are kept even when the job did not move, as they were when each was written at once.
    const ends = (db: TenantDb) => runs.endAttemptAtOnce(db, this.jobId, move, failure, { kept: waiting.lines, ifMoved: lines });
    const moved = then
      ? await this.tenant.transaction(async ({ platform, tenant }) => {
          const done = Boolean(await ends(tenant));
          if (done) await then(platform);
          return done;
        })
      : Boolean(await ends(this.tenant.db));
    // Cancelled after the worker last looked: the job did not move; its attempt ends as a cancel's does.
    if (!moved && (await this.isCancelled())) await this.acknowledgeCancel();
    return moved;
  }
}

/** Log lines and progress of a running job wait at most this long before they are written (JobRun.log). */
export const LOG_WRITE_MS = 1_000;

const clampProgress = (p: number) => Math.max(0, Math.min(100, Math.round(p)));

const lostFailure = (worker: string): StoredFailure => ({
  origin: 'platform',
  type: 'worker_lost',
  retryable: true,
  message: `worker ${worker} stopped answering (no heartbeat)`,
});
