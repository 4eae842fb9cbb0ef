import os from 'node:os';
import type { AppServices, JobMessage, ScheduleMessage } from '../auth/scope.js';
import type { Config } from '../config.js';
import type { OrganizationRow } from '../db/tables/organizations.table.js';
import { classifyFailure, JobFailure } from '../jobs/job-failure.js';
import type { JobResult } from 'pg-boss';
import { JOB_QUEUE, JobQueue, LOST_QUEUE, SCHEDULE_QUEUE, type QueuedJob } from '../jobs/job-queue.js';
import { JobRun } from '../jobs/job-run.manager.js';
import type { Logger } from '../logger.js';
import { runScheduleTick } from '../schedules/schedule.manager.js';
import { EXECUTORS } from './executors.js';
import { SourcePool } from './source-pool.js';

/**
 * How long a worker trusts an organization row it read for a job (its schema
 * name): jobs of the same organization within this time skip the lookup.
 */
const ORGANIZATION_CACHE_MS = 30_000;

/**
 * Jobs a slot fetches at once: the largest divisor of `concurrency` up to
 * `wanted` (WORKER_BATCH_SIZE), so the slots (concurrency / batch) run at most
 * `concurrency` jobs together. Fetching and settling a batch costs a statement
 * each, as one job does; the slot waits for the batch's slowest job before it
 * fetches again, so long jobs of mixed lengths are better fetched one at a time.
 */
export function batchSizeFor(concurrency: number, wanted: number): number {
  for (let b = Math.min(wanted, concurrency); b > 1; b--) if (concurrency % b === 0) return b;
  return 1;
}

/** Why a running job's signal was aborted. */
class Stop extends JobFailure {
  constructor(readonly why: 'cancelled' | 'handback') {
    super('platform', 'cancelled', why === 'cancelled' ? 'cancelled by a user' : 'handed back at shutdown');
  }
}

/**
 * A worker: claims pipeline jobs from the queue (pg-boss; at most
 * WORKER_CONCURRENCY at once here, WORKER_ORG_CONCURRENCY per organization
 * across all workers), runs them, and records each attempt. pg-boss's
 * heartbeat lets another worker's supervisor fail a job whose worker died;
 * the next delivery (or the lost-jobs queue, when no retry is left) records it
 * as WORKER_LOST.
 */
export class Worker {
  readonly name = `${os.hostname()}:${process.pid}`;
  readonly queue: JobQueue;
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  /** Organizations of recent jobs: a job of the same organization needs no lookup (ORGANIZATION_CACHE_MS). */
  private readonly organizations = new Map<string, { org: OrganizationRow; at: number }>();
  /** Source connections kept between jobs (src/worker/source-pool.ts). */
  private readonly sources = new SourcePool();

  constructor(
    private readonly services: AppServices,
    private readonly config: Config['jobs'],
    databaseUrl: string,
    private readonly logger: Logger,
  ) {
    this.queue = new JobQueue(config, databaseUrl, logger, { supervise: true, schedule: true, max: config.concurrency + 4 });
  }

  async start(): Promise<void> {
    await this.queue.start();
    const boss = this.queue.boss;
    const batchSize = batchSizeFor(this.config.concurrency, this.config.batchSize);
    await boss.work<JobMessage>(
      JOB_QUEUE,
      {
        includeMetadata: true,
        // `batchSize` jobs per fetch, run at once, in concurrency / batchSize slots: at most
        // WORKER_CONCURRENCY jobs at once as before. A slot fetches again once all of its batch ended.
        batchSize,
        localConcurrency: this.config.concurrency / batchSize,
        groupConcurrency: this.config.organizationConcurrency,
        pollingIntervalSeconds: this.config.pollSeconds,
        // After a job, fetch the next one at once while the queue has more ready (pg-boss's cached
        // stats; a fetch that finds none ends it): otherwise each slot waits out the poll interval
        // between jobs, whatever the backlog (bench/README.md, "worker").
        burstWhenReadyExceeds: 1,
        // Each job of a batch settles on its own (completed, or failed and retried by the queue), the
        // batch's completions in one statement and its failures in another.
        perJobResults: true,
      },
      async (jobs) => {
        try {
          return await Promise.all(
            jobs.map((job) =>
              this.track(job as QueuedJob).then(
                (): JobResult => ({ id: job.id, status: 'completed' }),
                (err: unknown): JobResult => ({ id: job.id, status: 'failed', output: err instanceof Error ? err : new Error(String(err)) }),
              ),
            ),
          );
        } finally {
          this.wakeOne();
        }
      },
    );
    await boss.work<JobMessage>(LOST_QUEUE, { pollingIntervalSeconds: this.config.pollSeconds }, async ([job]) => {
      if (!job) return;
      const run = await JobRun.of(this.services.system.db, job.data);
      if (run && (await run.failLost(this.config.timeoutSeconds))) this.logger.warn({ jobId: run.jobId }, 'job lost with no retry left: failed');
    });
    // Schedules' ticks: pg-boss's scheduler sends one message per tick, whichever worker's check claims it.
    await boss.work<ScheduleMessage>(SCHEDULE_QUEUE, { pollingIntervalSeconds: this.config.pollSeconds }, async ([tick]) => {
      if (tick) await runScheduleTick(this.services, tick.data, this.logger);
    });
    this.logger.info({ worker: this.name, concurrency: this.config.concurrency, batchSize }, 'worker started');
  }

  /**
   * A slot of pg-boss's that just ran a job waits out the poll interval before
   * it fetches again, whatever the backlog (burst mode needs the queue's cached
   * stats, up to JOB_SUPERVISE_SECONDS old). So when a job ends, one idle slot
   * is woken to fetch now: with a backlog it takes the next job at once; with
   * none its fetch finds nothing and it sleeps again (at most one empty fetch
   * per job). bench/README.md, "worker".
   */
  private wakeOne(): void {
    const boss = this.queue.boss;
    const idle = boss.getWipData().find((w) => w.name === JOB_QUEUE && w.state === 'active' && w.count === 0);
    if (idle) boss.notifyWorker(idle.id);
  }

  private track(job: QueuedJob): Promise<void> {
    const abort = new AbortController();
    const done = this.execute(job, abort).finally(() => this.running.delete(job.id));
    this.running.set(job.id, { abort, done });
    return done;
  }

  /** The run of a message: its organization as read by a job of the last ORGANIZATION_CACHE_MS, or read now (null when gone). */
  private async runOf(message: JobMessage): Promise<JobRun | null> {
    const db = this.services.system.db;
    const known = this.organizations.get(message.organizationId);
    if (known && Date.now() - known.at < ORGANIZATION_CACHE_MS) return JobRun.forOrganization(db, known.org, message);
    const run = await JobRun.of(db, message);
    if (run) this.organizations.set(message.organizationId, { org: run.tenant.organization, at: Date.now() });
    else this.organizations.delete(message.organizationId);
    return run;
  }

  private async execute(job: QueuedJob, abort: AbortController): Promise<void> {
    const run = await this.runOf(job.data);
    if (!run) return;
    const attempt = job.retryCount + 1;
    const row = await run.start(attempt, this.name).catch((err: unknown) => {
      // A schema gone with its organization fails here: read the organization again next time.
      this.organizations.delete(job.data.organizationId);
      throw err;
    });
    if (!row) return; // cancelled while pending, or finished already (a second delivery)
    const log = this.logger.child({ jobId: row.id, attempt });
    const secrets: string[] = [];
    const watch = setInterval(() => {
      void run.isCancelled().then((c) => c && abort.abort(new Stop('cancelled')), () => undefined);
    }, this.config.cancelCheckMs);
    try {
      const metadata = await EXECUTORS[row.job_type]({ run, job: row, services: this.services, config: this.config, signal: abort.signal, secrets, sourcePool: this.sources });
      if (abort.signal.aborted) throw abort.signal.reason;
      await run.complete(metadata);
      log.info('job completed');
    } catch (err) {
      const reason: unknown = abort.signal.aborted ? abort.signal.reason : err;
      if (reason instanceof Stop && reason.why === 'cancelled') {
        await run.acknowledgeCancel();
        log.info('job cancelled while running');
        return;
      }
      if (reason instanceof Stop) {
        // Settles this delivery and queues the job anew in one transaction: a shutdown spends no retry.
        await run.handBack(this.name, (trx) => this.queue.requeue(trx, job.data, job.id));
        log.info('job handed back');
        return;
      }
      const failure = classifyFailure(err, 'source', secrets);
      if (failure.type === 'system_error') log.error({ err }, 'job failed with an unexpected error');
      const metadata = (err as { metadata?: Record<string, unknown> }).metadata;
      if (failure.retryable && job.retryCount < job.retryLimit) {
        await run.retryLater(failure, `retry ${job.retryCount + 1} of ${job.retryLimit} after a backoff`);
        throw new Error(failure.message); // pg-boss retries with backoff
      }
      await run.fail(failure, [], metadata);
      log.info({ failure: failure.type }, 'job failed');
    } finally {
      clearInterval(watch);
    }
  }

  /**
   * SIGTERM: claim nothing more, let running jobs finish within `graceMs`, then
   * hand the rest back (their statements cancelled, the job pending again for
   * another worker) and close the queue.
   */
  async stop(graceMs = this.config.shutdownGraceMs): Promise<void> {
    const boss = this.queue.boss;
    await boss.offWork(JOB_QUEUE, { wait: false }).catch(() => undefined);
    await boss.offWork(LOST_QUEUE, { wait: false }).catch(() => undefined);
    await boss.offWork(SCHEDULE_QUEUE, { wait: false }).catch(() => undefined);
    const all = () => Promise.allSettled([...this.running.values()].map((r) => r.done));
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
    const outcome = await Promise.race([all().then(() => 'drained' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.logger.warn({ jobs: this.running.size }, 'grace period over: handing back the jobs still running');
      for (const r of this.running.values()) r.abort.abort(new Stop('handback'));
      await all();
    }
    await this.sources.close();
    await this.queue.close();
    this.logger.info({ worker: this.name, drained: outcome === 'drained' }, 'worker stopped');
  }
}
