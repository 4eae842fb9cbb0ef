import pg from 'pg';
import type { OrganizationRow } from '../../src/db/tables/organizations.table.js';
import { JOB_EVENTS_CHANNEL } from '../../src/jobs/job-events.dao.js';
import { JobRun } from '../../src/jobs/job-run.manager.js';
import { insertPipelineJob, transitionPipelineJob } from '../../src/jobs/pipeline-job.dao.js';
import { insertWorkspace } from '../../src/workspaces/workspace.dao.js';
import { createTestDb, provisionOrganization, tenantOf, type TestDb } from '../support/index.js';

// What a worker writes to a job's record, step by step, and in how many statements (src/jobs/job-run.manager.ts).
let t: TestDb;
let org: OrganizationRow;
let workspaceId: string;
let listener: pg.Client;
const events: string[] = [];

beforeAll(async () => {
  t = await createTestDb();
  org = await provisionOrganization(t, 'job-run');
  workspaceId = (await insertWorkspace(tenantOf(t.db, org).db, { name: 'Runs' })).id;
  listener = new pg.Client({ connectionString: t.url });
  await listener.connect();
  listener.on('notification', (n) => events.push(JSON.parse(n.payload ?? '{}').j as string));
  await listener.query(`LISTEN ${JOB_EVENTS_CHANNEL}`);
});
afterAll(async () => {
  await listener?.end();
  await t?.close();
});

const db = () => tenantOf(t.db, org).db;

async function newRun(): Promise<JobRun> {
  const job = await insertPipelineJob(db(), { workspace_id: workspaceId, job_type: 'mapping_test' });
  return JobRun.forOrganization(t.db, org, { organizationId: org.id, jobId: job.id });
}

/** The job's status, its attempts and its log lines, in order. */
async function record(jobId: string) {
  const job = await db().selectFrom('pipeline_jobs').select(['status', 'progress', 'failure', 'error_message']).where('id', '=', jobId).executeTakeFirstOrThrow();
  const attempts = await db().selectFrom('pipeline_job_attempts').select(['number', 'worker', 'ended_at', 'failure']).where('job_id', '=', jobId).orderBy('number').execute();
  const logs = await db().selectFrom('pipeline_job_logs').select(['level', 'message']).where('job_id', '=', jobId).orderBy('created_at').orderBy('id').execute();
  return { ...job, attempts: attempts.map((a) => [a.number, a.worker, a.ended_at !== null, a.failure?.type ?? null]), logs: logs.map((l) => `${l.level}: ${l.message}`) };
}

/** The statements `step` sent, and what it returned. */
async function counted<T>(step: () => Promise<T>): Promise<{ result: T; statements: number }> {
  t.counter.reset();
  const result = await step();
  return { result, statements: t.counter.count };
}

const announced = async (jobId: string, times: number) => {
  for (let i = 0; i < 50 && events.filter((e) => e === jobId).length < times; i++) await new Promise((r) => setTimeout(r, 20));
  return events.filter((e) => e === jobId).length;
};

describe('a job run', () => {
  it('starts and completes in one statement each: attempt, lines in order, progress 100, one event per change', async () => {
    const run = await newRun();
    const start = await counted(() => run.start(1, 'w1'));
    expect({ status: start.result?.status, statements: start.statements }).toEqual({ status: 'running', statements: 1 });
    await run.log([{ level: 'info', message: 'first' }], 50);
    await run.log([{ level: 'warn', message: 'second' }]);
    const done = await counted(() => run.complete({ rows_processed: 3 }));
    expect(done).toEqual({ result: true, statements: 1 });
    expect(await record(run.jobId)).toEqual({
      status: 'completed',
      progress: 100,
      failure: null,
      error_message: null,
      attempts: [[1, 'w1', true, null]],
      logs: ['info: attempt 1 started on w1', 'info: first', 'warn: second'],
    });
    expect(await announced(run.jobId, 2)).toBe(2);
  });

  it('fails with the lines logged while it ran, then the failure line; the attempt and the job carry the failure', async () => {
    const run = await newRun();
    await run.start(1, 'w1');
    await run.log([{ level: 'info', message: 'read 3 rows' }], 40);
    expect(await run.fail({ origin: 'mapping', type: 'config_error', retryable: false, message: 'bad column' })).toBe(true);
    expect(await record(run.jobId)).toEqual({
      status: 'failed',
      progress: 40,
      failure: { origin: 'mapping', type: 'config_error', retryable: false, message: 'bad column' },
      error_message: 'bad column',
      attempts: [[1, 'w1', true, 'config_error']],
      logs: ['info: attempt 1 started on w1', 'info: read 3 rows', 'error: failed (mapping config_error): bad column'],
    });
  });

  it('a retry is the next attempt, started in one statement, whatever number the queue gives it', async () => {
    const run = await newRun();
    await run.start(1, 'w1');
    expect(await run.retryLater({ origin: 'source', type: 'transient_error', retryable: true, message: 'busy' }, 'retry 1 of 3')).toBe(true);
    // A handed-back job is queued anew, so the queue may count from 1 again: the attempt still gets the next number.
    const again = await counted(() => run.start(1, 'w2'));
    expect(again.statements).toBe(1);
    await run.complete({});
    expect(await record(run.jobId)).toMatchObject({
      status: 'completed',
      attempts: [[1, 'w1', true, 'transient_error'], [2, 'w2', true, null]],
      logs: ['info: attempt 1 started on w1', 'warn: attempt failed (transient_error): busy; retry 1 of 3', 'info: attempt 2 started on w2'],
    });
  });

  it.each(['complete', 'fail', 'retryLater'] as const)(
    'cancelled after the worker last looked, then %s: the job stays cancelled, the lines logged meanwhile are kept, the attempt ends as cancelled',
    async (end) => {
      const run = await newRun();
      await run.start(1, 'w1');
      await run.log([{ level: 'info', message: 'before the cancel' }]);
      await transitionPipelineJob(db(), run.jobId, ['running'], { status: 'cancelled' });
      const failure = { origin: 'source', type: 'transient_error', retryable: true, message: 'busy' } as const;
      const moved = end === 'complete' ? await run.complete({ rows_processed: 3 }) : end === 'fail' ? await run.fail(failure) : await run.retryLater(failure, 'retry 1 of 3');
      expect(moved).toBe(false);
      expect(await record(run.jobId)).toMatchObject({
        status: 'cancelled',
        attempts: [[1, 'w1', true, 'cancelled']],
        logs: ['info: attempt 1 started on w1', 'info: before the cancel', 'warn: stopped: the job was cancelled'],
      });
    },
  );

  it('a delivery of a job whose attempt is still open (its worker was lost) ends that attempt as WORKER_LOST and starts the next', async () => {
    const run = await newRun();
    await run.start(1, 'w1');
    const next = await counted(() => JobRun.forOrganization(t.db, org, run.message).start(2, 'w2'));
    expect(next.result?.status).toBe('running');
    expect(next.statements).toBeGreaterThan(1);
    expect(await record(run.jobId)).toMatchObject({
      status: 'running',
      attempts: [[1, 'w1', true, 'worker_lost'], [2, 'w2', false, null]],
      logs: ['info: attempt 1 started on w1', 'warn: attempt 1 was lost: worker w1 stopped answering', 'info: attempt 2 started on w2'],
    });
  });

  it('a second delivery of a finished or cancelled job starts nothing', async () => {
    const run = await newRun();
    await run.start(1, 'w1');
    await run.complete({});
    expect(await run.start(2, 'w2')).toBeNull();
    const cancelled = await newRun();
    await transitionPipelineJob(db(), cancelled.jobId, ['pending'], { status: 'cancelled' });
    expect(await cancelled.start(1, 'w1')).toBeNull();
    expect((await record(run.jobId)).attempts).toEqual([[1, 'w1', true, null]]);
    expect(await record(cancelled.jobId)).toMatchObject({ status: 'cancelled', attempts: [], logs: [] });
  });

  it('a hand-back ends the attempt and runs the requeue in the same transaction; a failing requeue undoes both', async () => {
    const run = await newRun();
    await run.start(1, 'w1');
    await expect(run.handBack('w1', () => Promise.reject(new Error('queue down')))).rejects.toThrow('queue down');
    expect(await record(run.jobId)).toMatchObject({ status: 'running', attempts: [[1, 'w1', false, null]] });
    let requeued = false;
    expect(await run.handBack('w1', async () => void (requeued = true))).toBe(true);
    expect({ requeued, ...(await record(run.jobId)) }).toMatchObject({
      requeued: true,
      status: 'pending',
      attempts: [[1, 'w1', true, null]],
      logs: ['info: attempt 1 started on w1', 'warn: handed back by w1 at shutdown; another worker will run it'],
    });
  });
});
