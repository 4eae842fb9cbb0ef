import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { addFieldSourcesOf } from '../../src/mappings/mapping-field-source.dao.js';
import { tenantDb } from '../../src/tenancy/tenancy.js';
import type { Harness } from '../lib/harness.js';
import type { ProbeStats } from '../lib/processes.js';
import { target, type Row, type Scenario } from './scenario.js';

/**
 * Issue 10's worker target: N queued mapping_test jobs (one trivial active
 * mapping each, over a real source table of 3 rows), run by 4 real worker
 * processes (`src/worker/worker.cli.ts`, the bench probe preloaded). Jobs per
 * second from the first job's start to the last one's completion (the
 * pipeline_jobs timestamps); every job must have completed with exactly one
 * attempt and one "started" log line.
 *
 * `npm run bench -- worker [--jobs 2000] [--workers 4] [--concurrency 8] [--batch 4]`;
 * BENCH_WORKER_NODE_ARGS="--cpu-prof --cpu-prof-dir=bench/profiles" profiles
 * the workers (written when they exit), BENCH_TALLY=1 adds each statement's
 * count per job to the notes.
 */

const arg = (args: string[], name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : fallback;
};

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');

const CREATE_DATA_SOURCE = `mutation($input: CreateDataSourceInput!) {
  createDataSource(input: $input) { __typename ... on CreateDataSourcePayload { dataSource { id } } ... on Error { message code } }
}`;
const CREATE_JOB = `mutation($input: CreatePipelineJobInput!) {
  createPipelineJob(input: $input) { __typename ... on CreatePipelineJobPayload { pipelineJob { id } } ... on Error { message code } }
}`;

/** A worker process with the probe preloaded, answering stats over IPC. */
class WorkerChild {
  readonly exited: Promise<unknown>;
  constructor(readonly child: ChildProcess) {
    this.exited = once(child, 'exit');
  }

  static start(env: Record<string, string>, nodeArgs: string[]): WorkerChild {
    const child = fork('src/worker/worker.cli.ts', [], {
      execArgv: ['--import', 'tsx', '--import', path.resolve('bench/probe.ts'), ...nodeArgs],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new WorkerChild(child);
  }

  private ask<T>(type: string): Promise<T> {
    return new Promise((resolve) => {
      const onMessage = (m: { type: string }) => {
        if (m.type !== type) return;
        this.child.off('message', onMessage);
        resolve(m as unknown as T);
      };
      this.child.on('message', onMessage);
      this.child.send({ type });
    });
  }

  stats(): Promise<ProbeStats> {
    return this.ask<ProbeStats>('stats');
  }

  /** Zeroes the probe's counters (statements, CPU, event-loop delay). */
  reset(): Promise<unknown> {
    return this.ask('reset');
  }

  /** SIGTERM (the worker drains; --cpu-prof files are written at exit), SIGKILL after 30 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/** A source database on the run's server: its own role and database, a table of 3 rows. */
async function createSource(h: Harness) {
  const suffix = randomBytes(4).toString('hex');
  const user = `bench_src_${suffix}`;
  const database = `bench_src_${suffix}`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  await h.pool.query(`create role ${user} login password '${password}'`);
  await h.pool.query(`create database ${database} owner ${user}`);
  const url = new URL(h.url);
  const settings = { host: url.hostname === 'localhost' ? '127.0.0.1' : url.hostname, port: Number(url.port || 5432), database, user, password };
  const client = new pg.Client(settings);
  await client.connect();
  await client.query('create table customers (cust_id int primary key); insert into customers select generate_series(1, 3)');
  await client.end();
  return {
    settings,
    drop: async () => {
      await h.pool.query(`drop database if exists ${database} with (force)`);
      await h.pool.query(`drop role if exists ${user}`);
    },
  };
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0);

export const worker: Scenario = {
  name: 'worker',
  description: 'Jobs per second with 4 worker processes on trivial mapping_test jobs, none run twice.',
  async run(h: Harness, args: string[]) {
    const JOBS = arg(args, 'jobs', Number(process.env.BENCH_WORKER_JOBS ?? 2000));
    const WORKERS = arg(args, 'workers', 4);
    const CONCURRENCY = arg(args, 'concurrency', 8);
    // Trivial jobs of equal length: the case WORKER_BATCH_SIZE is for (README, "Workers").
    const BATCH = arg(args, 'batch', 4);
    const seeded = await h.organization({ slug: 'bench-worker', workspaces: 1, dataSourcesPerWorkspace: 0, mappingsPerWorkspace: 0, jobsPerWorkspace: 0, users: 3 });
    const s = `"${seeded.org.schema_name}"`;
    const workspaceId = seeded.workspaceIds[0]!;
    const sourceEnv = { SOURCE_ADDRESS_POLICY: 'allow-loopback' };
    // The API queues the jobs; no worker runs inside it.
    await h.startServers({}, { apiEnv: { WORKER_IN_PROCESS: 'false', ...sourceEnv } });
    const token = await h.token(seeded, 1);
    const source = await createSource(h);
    try {
      const ds = await h.graphql<{ createDataSource: { __typename: string; dataSource?: { id: string } } }>(token, {
        query: CREATE_DATA_SOURCE,
        variables: { input: { workspaceId: globalId('Workspace', workspaceId), name: 'bench source', connectionConfig: { postgresql: { ...source.settings, sslMode: 'disable' } } } },
      });
      if (!ds.data.createDataSource.dataSource) throw new Error(`createDataSource: ${JSON.stringify(ds.data)}`);

      // One active mapping per job (a mapping runs in one pending or running job at a time), in one statement.
      const mappings = await h.pool.query<{ id: string }>(
        `insert into ${s}.mappings (workspace_id, target_table, source_table, field_mappings, status)
         select $1::uuid, 'bench_' || g, 'customers', '{"id": {"source": "cust_id", "transform": null}}'::jsonb, 'active' from generate_series(1, $2::int) g returning id`,
        [workspaceId, JOBS],
      );
      await addFieldSourcesOf(tenantDb(h.db, seeded.org.schema_name), mappings.rows.map((m) => m.id));
      // Every job queued through the API (createPipelineJob), 20 at a time, before any worker runs.
      const t0 = Date.now();
      for (let i = 0; i < mappings.rows.length; i += 20) {
        await Promise.all(
          mappings.rows.slice(i, i + 20).map(async (m) => {
            const r = await h.graphql<{ createPipelineJob: { __typename: string } }>(token, {
              query: CREATE_JOB,
              variables: { input: { workspaceId: globalId('Workspace', workspaceId), jobType: 'MAPPING_TEST', mappingIds: [globalId('Mapping', m.id)] } },
            });
            if (r.data.createPipelineJob.__typename !== 'CreatePipelineJobPayload') throw new Error(`createPipelineJob: ${JSON.stringify(r.data)}`);
          }),
        );
      }
      const queueSeconds = (Date.now() - t0) / 1000;
      console.log(`  queued ${JOBS} jobs through createPipelineJob in ${queueSeconds.toFixed(1)} s`);
      await h.stopServers();
      await h.pool.query(`analyze ${s}.pipeline_jobs, ${s}.mappings`);

      // The workers: same database and keyring as the API, production settings, quiet logs.
      const env = {
        ...h.apiEnv,
        ...sourceEnv,
        LOG_LEVEL: 'warn',
        WORKER_CONCURRENCY: String(CONCURRENCY),
        WORKER_ORG_CONCURRENCY: String(WORKERS * CONCURRENCY),
        WORKER_BATCH_SIZE: String(BATCH),
      };
      const nodeArgs = process.env.BENCH_WORKER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
      const startedAt = Date.now();
      const children = Array.from({ length: WORKERS }, () => WorkerChild.start(env, nodeArgs));
      const stats: ProbeStats[] = [];
      let open = JOBS;
      try {
        const deadline = Date.now() + Number(process.env.BENCH_WORKER_TIMEOUT_SECONDS ?? 300) * 1000;
        // CPU and statements are counted from the first job's start: the workers' start-up (module
        // loading, pg-boss's own start) is not the jobs' cost.
        while (Date.now() < deadline && Number((await h.pool.query(`select count(*) from ${s}.pipeline_jobs where status <> 'pending'`)).rows[0].count) === 0) {
          await new Promise((r) => setTimeout(r, 50));
        }
        await Promise.all(children.map((c) => c.reset()));
        const pgCpuStart = await h.postgresCpuMs();
        while (open > 0 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 250));
          open = Number((await h.pool.query(`select count(*) from ${s}.pipeline_jobs where status in ('pending', 'running')`)).rows[0].count);
          if (children.some((c) => c.child.exitCode !== null)) throw new Error('a worker process exited during the run');
        }
        const wallSeconds = (Date.now() - startedAt) / 1000;
        for (const c of children) stats.push(await c.stats());
        const pgCpuEnd = await h.postgresCpuMs();
        await Promise.all(children.map((c) => c.stop()));

        const q = async <T extends pg.QueryResultRow>(text: string) => (await h.pool.query<T>(text)).rows;
        const [span] = await q<{ first: Date; last: Date; completed: string }>(
          `select min(started_at) as first, max(completed_at) as last, count(*) filter (where status = 'completed') as completed from ${s}.pipeline_jobs`,
        );
        const statuses = await q<{ status: string; n: string }>(`select status, count(*) as n from ${s}.pipeline_jobs group by status order by status`);
        const attempts = await q<{ n: string; jobs: string }>(
          `select n, count(*) as jobs from (select j.id, count(a.id) as n from ${s}.pipeline_jobs j left join ${s}.pipeline_job_attempts a on a.job_id = j.id group by j.id) x group by n order by n`,
        );
        const unfinished = await q<{ status: string; failure: unknown; error_message: string | null }>(
          `select status, failure, error_message from ${s}.pipeline_jobs where status <> 'completed' order by id limit 5`,
        );
        for (const u of unfinished) console.log(`  not completed: ${u.status} ${JSON.stringify(u.failure)}`);
        const attemptFailures = await q<{ failure: unknown; n: string }>(
          `select failure, count(*) as n from ${s}.pipeline_job_attempts where failure is not null group by failure order by 2 desc limit 5`,
        );
        for (const f of attemptFailures) console.log(`  failed attempts: ${f.n} × ${JSON.stringify(f.failure)}`);
        const byWorker = await q<{ worker: string; n: string }>(`select worker, count(*) as n from ${s}.pipeline_job_attempts group by worker order by worker`);
        const [started] = await q<{ n: string }>(`select count(*) as n from ${s}.pipeline_job_logs where message like 'attempt % started on %'`);
        const durations = (await q<{ ms: number }>(`select extract(epoch from completed_at - started_at) * 1000 as ms from ${s}.pipeline_jobs where completed_at is not null order by 1`)).map((r) => Number(r.ms));

        const completed = Number(span?.completed ?? 0);
        const seconds = span?.first && span?.last ? (span.last.getTime() - span.first.getTime()) / 1000 : NaN;
        const jobsPerSecond = Math.round((completed / seconds) * 10) / 10;
        // Σ(job durations) / span: how many of the WORKERS × CONCURRENCY slots were busy on average (the rest waited to poll).
        const meanRunning = Math.round((durations.reduce((a, b) => a + b, 0) / 1000 / seconds) * 10) / 10;
        const once1 = attempts.every((a) => Number(a.n) === 1) && Number(started?.n) === JOBS;
        const notOnce = attempts.filter((a) => Number(a.n) !== 1).reduce((n, a) => n + Number(a.jobs), 0);
        const statements = stats.reduce((n, st) => n + st.statements, 0);
        const workerCpu = stats.reduce((n, st) => n + st.cpuMs, 0);
        const pgCpu = pgCpuStart !== null && pgCpuEnd !== null ? pgCpuEnd - pgCpuStart : null;
        const perJob = (v: number | null) => (v === null || !completed ? null : Math.round((v / completed) * 10) / 10);

        const row: Row = {
          case: `${JOBS} mapping_test jobs, ${WORKERS} workers × concurrency ${CONCURRENCY}, batches of ${BATCH} (req/s = jobs/s; p50/p99 = job start → completion)`,
          connections: WORKERS * CONCURRENCY,
          apiRequestsPerSecond: jobsPerSecond,
          floorRequestsPerSecond: null,
          ratioToFloor: null,
          apiP50Ms: Math.round(percentile(durations, 50)),
          apiP99Ms: Math.round(percentile(durations, 99)),
          floorP99Ms: null,
          sqlPerRequest: perJob(statements),
          eventLoopDelayMaxMs: Math.max(...stats.map((st) => st.eventLoopDelayMs.max)),
          apiRssMb: Math.max(...stats.map((st) => st.maxRssMb)),
          apiCpuMsPerRequest: { node: perJob(workerCpu), postgres: perJob(pgCpu) },
          floorCpuMsPerRequest: null,
          errors: JOBS - completed + notOnce,
        };
        console.log(
          `  ${completed}/${JOBS} completed in ${seconds.toFixed(2)} s (first start → last completion): ${jobsPerSecond} jobs/s; wall ${wallSeconds.toFixed(1)} s from spawning the workers; ` +
            `${row.sqlPerRequest} statements/job; ${meanRunning} jobs running on average; CPU/job ${row.apiCpuMsPerRequest?.node} ms workers + ${row.apiCpuMsPerRequest?.postgres} ms PostgreSQL; load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
        );
        // EXPLAIN ANALYZE of the job-record statements the workers sent (their first ones, with their values),
        // each in a transaction rolled back: which plan PostgreSQL uses and what one costs on the final data.
        const plans: string[] = [];
        const seen = new Set<string>();
        const explainer = await h.pool.connect();
        try {
          for (const st of stats.flatMap((x) => x.recent)) {
            const shape = st.text.replace(/\s+/g, ' ').slice(0, 90);
            if (!st.text.includes(seeded.org.schema_name) || seen.has(shape) || plans.length >= 10) continue;
            seen.add(shape);
            await explainer.query('begin');
            try {
              const plan = (await explainer.query(`explain (analyze, format json) ${st.text}`, st.values)).rows[0]['QUERY PLAN'][0];
              const nodes: string[] = [];
              const walk = (n: { 'Node Type': string; 'Index Name'?: string; 'Relation Name'?: string; Plans?: unknown[] }) => {
                nodes.push(`${n['Node Type']}${n['Index Name'] ? ` using ${n['Index Name']}` : n['Relation Name'] ? ` on ${n['Relation Name']}` : ''}`);
                for (const c of (n.Plans ?? []) as (typeof n)[]) walk(c);
              };
              walk(plan.Plan);
              plans.push(`EXPLAIN \`${shape.replaceAll('|', '\\|')}…\`: ${nodes.join(' → ')}; planning ${plan['Planning Time']} ms, execution ${plan['Execution Time']} ms`);
            } catch (err) {
              plans.push(`EXPLAIN \`${shape}…\`: ${(err as Error).message}`);
            } finally {
              await explainer.query('rollback');
            }
          }
        } finally {
          explainer.release();
        }
        const tally = new Map<string, number>();
        for (const st of stats) for (const [text, n] of st.tally ?? []) tally.set(text, (tally.get(text) ?? 0) + n);
        const tallyNotes = [...tally]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 25)
          .map(([text, n]) => `${(n / completed).toFixed(2)}/job: \`${text.replaceAll('`', "'").replaceAll('|', '\\|')}\``);
        return {
          rows: [row],
          targets: [
            target(`worker throughput (${WORKERS} workers)`, '≥ 200 jobs/s', `${jobsPerSecond} jobs/s (${completed} jobs in ${seconds.toFixed(2)} s)`, jobsPerSecond >= 200),
            target('every job completed, exactly one attempt (none run twice)', `${JOBS} completed, 1 attempt each`, `${completed} completed; attempts per job ${attempts.map((a) => `${a.n}: ${a.jobs}`).join(', ')}; ${started?.n} "started" lines`, completed === JOBS && once1),
          ],
          notes: [
            `${JOBS} jobs, one mapping each (\`customers.cust_id → id\`, a source table of 3 rows on the same PostgreSQL), queued through createPipelineJob (${queueSeconds.toFixed(1)} s) before ${WORKERS} worker processes (WORKER_CONCURRENCY=${CONCURRENCY}, WORKER_ORG_CONCURRENCY=${WORKERS * CONCURRENCY}, WORKER_BATCH_SIZE=${BATCH}, defaults otherwise: WORKER_POLL_SECONDS 2, JOB_CANCEL_CHECK_MS 1000) started.`,
            `Throughput is completed jobs / (last completed_at − first started_at); worker start-up is outside it. Jobs running at once, on average (Σ durations / span): ${meanRunning} of ${WORKERS * CONCURRENCY} slots. Wall time from spawning the workers to the last job seen ended: ${wallSeconds.toFixed(1)} s.`,
            `Statuses: ${statuses.map((r) => `${r.status} ${r.n}`).join(', ')}${attemptFailures.length ? `; failed attempts: ${attemptFailures.map((f) => `${f.n} × ${JSON.stringify(f.failure)}`).join('; ')}` : ''}${unfinished.length ? ` (not completed, up to 5: ${unfinished.map((u) => `${u.status} ${JSON.stringify(u.failure)}`).join('; ')})` : ''}. Attempts by worker: ${byWorker.map((r) => r.n).join(' / ')}.`,
            `Statements per job counts every query (round trip) the worker processes sent from the first job's start to the end (job records, pg-boss fetch/complete/heartbeat/supervision, the source's own; a message of several statements, such as a source read's begin, SELECT and rollback, counts once), over completed jobs. CPU per job (same window): the workers' own (process.cpuUsage) and all PostgreSQL processes' (/proc), both load-independent, unlike jobs/s on a shared machine.`,
            ...plans,
            ...tallyNotes,
          ],
          details: { meanRunning, jobs: JOBS, workers: WORKERS, concurrency: CONCURRENCY, seconds, wallSeconds, queueSeconds, statuses, attempts, byWorker, tally: [...tally].sort((a, b) => b[1] - a[1]).slice(0, 60) },
        };
      } finally {
        await Promise.all(children.map((c) => c.stop().catch(() => undefined)));
      }
    } finally {
      await source.drop().catch(() => undefined);
    }
  },
};
