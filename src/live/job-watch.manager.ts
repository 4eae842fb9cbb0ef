import { requireRole } from '../auth/actor.js';
import type { RequestScope } from '../auth/scope.js';
import type { PipelineJobRow } from '../db/tables/pipeline-jobs.table.js';
import { NotFoundError } from '../errors.js';
import { findPipelineJobById, findPipelineJobsByIds } from '../jobs/pipeline-job.dao.js';
import { findWorkspaceById } from '../workspaces/workspace.dao.js';
import type { JobEventHub, JobSignal, JobSignalQueue } from './job-event-hub.js';
import { activeJobsOfWorkspace, jobsChangedSince } from './job-watch.dao.js';

/** How long a new subscriber waits for the listener before reading (a later resync covers the rest). */
const READY_WAIT_MS = 5_000;

type Step = (signals: JobSignal[] | 'start') => Promise<PipelineJobRow[]>;

/**
 * A live feed of job rows. Each batch of signals is answered with one re-read
 * through the subscriber's own tenant handle, so a subscriber only ever sees
 * its organization's jobs and always the latest state (changes that come
 * faster than they are read may be folded into one). Hand-rolled rather than
 * an async generator so that `return()` ends it at once even while it waits.
 */
class JobFeed implements AsyncIterableIterator<PipelineJobRow> {
  private buffer: PipelineJobRow[] = [];
  private started = false;
  private done = false;

  constructor(
    private readonly hub: JobEventHub,
    private readonly queue: JobSignalQueue,
    private readonly step: Step,
  ) {}

  async next(): Promise<IteratorResult<PipelineJobRow>> {
    for (;;) {
      if (this.done) return { value: undefined, done: true };
      const row = this.buffer.shift();
      if (row) return { value: row, done: false };
      if (!this.started) {
        this.started = true;
        await this.hub.ready(READY_WAIT_MS);
        // Whatever was signalled so far is covered by the read that starts now.
        this.queue.drain();
        this.buffer.push(...(await this.step('start')));
        continue;
      }
      const signals = await this.queue.take();
      if (!signals) return this.finish();
      this.buffer.push(...(await this.step(signals)));
    }
  }

  async return(): Promise<IteratorResult<PipelineJobRow>> {
    return this.finish();
  }

  async throw(err: unknown): Promise<IteratorResult<PipelineJobRow>> {
    this.finish();
    throw err;
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  private finish(): IteratorResult<PipelineJobRow> {
    this.done = true;
    this.buffer = [];
    this.queue.close();
    return { value: undefined, done: true };
  }
}

/**
 * One job, live: its current state first, then again after every change
 * (status, progress, logs) and after the listener reconnects. Any role may
 * watch. NotFoundError for a job that does not exist or is another
 * organization's. Ends when the job disappears (its workspace was deleted).
 */
export async function watchPipelineJob(scope: RequestScope, hub: JobEventHub, id: string): Promise<AsyncIterableIterator<PipelineJobRow>> {
  requireRole(scope.actor, 'viewer', 'watch jobs');
  const db = scope.tenant.db;
  if (!(await findPipelineJobById(db, id))) throw new NotFoundError('PipelineJob', id);
  const queue = hub.subscribe(scope.tenant.organizationId);
  return new JobFeed(hub, queue, async (signals) => {
    if (signals !== 'start' && !signals.some((s) => s.kind === 'resync' || s.event.jobId === id)) return [];
    const row = await findPipelineJobById(db, id);
    // Gone (its workspace was deleted): the feed ends at its next wait.
    if (!row) queue.close();
    return row ? [row] : [];
  });
}

/**
 * The jobs of one workspace, live: its pending and running jobs first, then
 * each job of the workspace whenever it is queued or changes; after a
 * listener reconnect, every job that may have changed meanwhile. Any role.
 * NotFoundError for a workspace that does not exist or is another
 * organization's.
 */
export async function watchWorkspaceJobs(scope: RequestScope, hub: JobEventHub, workspaceId: string): Promise<AsyncIterableIterator<PipelineJobRow>> {
  requireRole(scope.actor, 'viewer', 'watch jobs');
  const db = scope.tenant.db;
  if (!(await findWorkspaceById(db, workspaceId))) throw new NotFoundError('Workspace', workspaceId);
  const queue = hub.subscribe(scope.tenant.organizationId);
  return new JobFeed(hub, queue, async (signals) => {
    if (signals === 'start') return (await activeJobsOfWorkspace(db, workspaceId)).reverse();
    const resync = signals.filter((s) => s.kind === 'resync').map((s) => s.since);
    if (resync.length > 0) {
      const since = new Date(Math.min(...resync.map((d) => d.getTime())));
      return (await jobsChangedSince(db, workspaceId, since)).reverse();
    }
    // In the order their changes were announced; the event's workspace is a hint, the row decides.
    const ids = [...new Set(signals.flatMap((s) => (s.kind === 'event' && s.event.workspaceId === workspaceId ? [s.event.jobId] : [])))];
    if (ids.length === 0) return [];
    const rows = new Map((await findPipelineJobsByIds(db, ids)).map((r) => [r.id, r]));
    return ids.flatMap((i) => {
      const row = rows.get(i);
      return row && row.workspace_id === workspaceId ? [row] : [];
    });
  });
}
