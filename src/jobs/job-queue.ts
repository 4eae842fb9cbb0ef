import type { Transaction } from 'kysely';
import { fromKysely, PgBoss, type JobWithMetadata } from 'pg-boss';
import type { JobDispatch, JobMessage, ScheduleMessage } from '../auth/scope.js';
import type { Config } from '../config.js';
import type { PlatformDatabase } from '../db/database.js';
import type { Logger } from '../logger.js';

/** The queue of pipeline jobs, and where jobs whose last attempt was lost (no heartbeat) or timed out go. */
export const JOB_QUEUE = 'pipeline-jobs';
export const LOST_QUEUE = 'pipeline-jobs-lost';
/** The queue workspace schedules' ticks are sent to, one message per tick (the scheduler's singleton). */
export const SCHEDULE_QUEUE = 'pipeline-schedules';

/** A schedule's key in the scheduler: one per workspace, unique across organizations. */
export const scheduleKey = (m: ScheduleMessage) => `${m.organizationId}/${m.workspaceId}`;

export type QueuedJob = JobWithMetadata<JobMessage>;

/**
 * pg-boss, in its own schema of the system database (its installer creates and
 * migrates the schema at the first start). The queue job's id is the pipeline
 * job's id, so a message is sent and withdrawn by the transaction that creates
 * or cancels the pipeline_jobs row. Started on first use: processes that never
 * queue a job (the admin CLI, most tests) never connect it.
 */
export class JobQueue implements JobDispatch {
  readonly boss: PgBoss;
  #started: Promise<void> | null = null;

  constructor(
    readonly config: Config['jobs'],
    databaseUrl: string,
    private readonly logger: Logger,
    opts: { supervise?: boolean; max?: number; schedule?: boolean } = {},
  ) {
    this.boss = new PgBoss({
      connectionString: databaseUrl,
      schema: config.queueSchema,
      application_name: 'datalinx-queue',
      max: opts.max ?? 4,
      supervise: opts.supervise ?? false,
      // Workers fire schedules (one of them per check, pg-boss's claim); the API only writes them.
      schedule: opts.schedule ?? false,
      cronMonitorIntervalSeconds: config.scheduleCheckSeconds,
      cronWorkerIntervalSeconds: Math.min(config.scheduleCheckSeconds, 5),
      superviseIntervalSeconds: config.superviseSeconds,
      monitorIntervalSeconds: config.superviseSeconds,
      // The queue stats workers' burst mode reads (src/worker/worker.ts): refreshed as often as the monitor counts them.
      queueCacheIntervalSeconds: config.superviseSeconds,
    });
    this.boss.on('error', (err: unknown) => this.logger.error({ err }, 'job queue error'));
  }

  start(): Promise<void> {
    this.#started ??= (async () => {
      await this.boss.start({ attempts: 3 });
      await this.ensureQueue(LOST_QUEUE, {});
      // A tick that fails is not sent again: the next tick is the retry, and a tick run twice would queue two jobs.
      await this.ensureQueue(SCHEDULE_QUEUE, { retryLimit: 0, expireInSeconds: 300 });
      await this.ensureQueue(JOB_QUEUE, {
        retryLimit: this.config.retryLimit,
        retryDelay: this.config.retryDelaySeconds,
        retryBackoff: true,
        heartbeatSeconds: this.config.heartbeatSeconds,
        expireInSeconds: this.config.timeoutSeconds,
        deadLetter: LOST_QUEUE,
      });
    })().catch((err: unknown) => {
      this.#started = null;
      throw err;
    });
    return this.#started;
  }

  private async ensureQueue(name: string, options: Parameters<PgBoss['createQueue']>[1]): Promise<void> {
    if (await this.boss.getQueue(name)) return;
    try {
      await this.boss.createQueue(name, options);
    } catch (err) {
      // Another process created it meanwhile.
      if (!(await this.boss.getQueue(name))) throw err;
    }
  }

  async enqueue(trx: Transaction<PlatformDatabase>, message: JobMessage): Promise<void> {
    await this.start();
    await this.boss.send(JOB_QUEUE, { organizationId: message.organizationId, jobId: message.jobId }, {
      id: message.jobId,
      group: { id: message.organizationId },
      db: fromKysely(trx),
    });
  }

  async requeue(trx: Transaction<PlatformDatabase>, message: JobMessage, deliveryId: string): Promise<void> {
    await this.start();
    const db = fromKysely(trx);
    await this.boss.complete(JOB_QUEUE, deliveryId, null, { db });
    // A new id: the settled delivery keeps the job's id in the queue's history. A cancel that misses
    // this message is harmless, as the job is no longer pending when a worker claims it.
    await this.boss.send(JOB_QUEUE, { organizationId: message.organizationId, jobId: message.jobId }, { group: { id: message.organizationId }, db });
  }

  async withdraw(trx: Transaction<PlatformDatabase>, jobId: string): Promise<void> {
    await this.start();
    await this.boss.cancel(JOB_QUEUE, jobId, { db: fromKysely(trx) });
  }

  async schedule(trx: Transaction<PlatformDatabase>, message: ScheduleMessage, recurrence: { cron: string; timeZone: string }): Promise<void> {
    await this.start();
    await this.boss.schedule(SCHEDULE_QUEUE, recurrence.cron, { ...message }, { key: scheduleKey(message), tz: recurrence.timeZone, db: fromKysely(trx) });
  }

  async unschedule(trx: Transaction<PlatformDatabase>, message: ScheduleMessage): Promise<void> {
    await this.start();
    await this.boss.unschedule(SCHEDULE_QUEUE, scheduleKey(message), { db: fromKysely(trx) });
  }

  async close(): Promise<void> {
    if (!this.#started) return;
    await this.#started.catch(() => undefined);
    await this.boss.stop({ graceful: false, close: true });
    this.#started = null;
  }
}
