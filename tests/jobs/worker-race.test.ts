import { sql } from 'kysely';
import { Keyring } from '../../src/crypto/keyring.js';
import { addFieldSourcesOf } from '../../src/mappings/mapping-field-source.dao.js';
import { createDataSource, createJob, createSourceDb, createWorkspace, globalId, sourceConfigOf, tenantDbOf, useTestApi, useWorkers, waitFor, type SourceDb } from '../support/index.js';

// Four real worker processes race over 1,000 queued jobs: each job runs exactly once, fetched alone or in batches.
const JOBS = 1_000;
const WORKERS = 4;
const KEYRING = Keyring.generate('worker-race').json;
const { server, org } = useTestApi({ env: { KEYRING, WORKER_IN_PROCESS: 'false' } });
const workers = useWorkers(server, KEYRING);
let source: SourceDb;

afterAll(() => source?.drop());

it(`${WORKERS} workers over ${JOBS} jobs: every job completes with exactly one attempt, and the work is shared`, async () => {
  source = await createSourceDb('CREATE TABLE customers (cust_id int PRIMARY KEY); INSERT INTO customers SELECT generate_series(1, 3);');
  const workspaceId = await createWorkspace(server, org.users.editor.token, 'Race');
  await createDataSource(server, org.users.editor.token, workspaceId, sourceConfigOf(source));
  const db = tenantDbOf(server, org);
  // One active mapping per job (a mapping runs in one pending or running job at a time), seeded in one statement…
  const workspace = Buffer.from(workspaceId, 'base64url').toString().split(':')[1]!;
  const mappings = await db
    .insertInto('mappings')
    .columns(['workspace_id', 'target_table', 'source_table', 'field_mappings', 'status'] as never)
    // test seed: active mappings
    .expression(sql`select ${workspace}::uuid, 'race_' || g, 'customers', '{"id": {"source": "cust_id", "transform": null}}'::jsonb, 'active' from generate_series(1, ${JOBS}) g`)
    .returning('id')
    .execute();
  await addFieldSourcesOf(db, mappings.map((m) => m.id));
  // …and each job queued through the API, as the single-page app does, before any worker runs.
  for (let i = 0; i < mappings.length; i += 20) {
    await Promise.all(mappings.slice(i, i + 20).map((m) => createJob(server, org.users.editor.token, workspaceId, 'MAPPING_TEST', [globalId('Mapping', m.id)])));
  }
  // This test is about deliveries, not about a loaded machine: a connection that takes over the default 5 s
  // to open (CI runs other suites meanwhile) would end an attempt with a TRANSIENT_ERROR, rightly retried.
  // Such retries are tested in worker-retry.test.ts; here they would hide what is checked.
  const patient = { SOURCE_CONNECT_TIMEOUT_MS: '60000', DB_CONNECT_TIMEOUT_MS: '60000', JOB_HEARTBEAT_SECONDS: '30' };
  // Half of them fetch 4 jobs at a time (WORKER_BATCH_SIZE), half one at a time: neither may run a job twice.
  for (let i = 0; i < WORKERS; i++) workers.start({ WORKER_CONCURRENCY: '4', WORKER_ORG_CONCURRENCY: '16', WORKER_BATCH_SIZE: i % 2 === 0 ? '4' : '1', LOG_LEVEL: 'warn', ...patient });

  await waitFor(
    'every job to end',
    async () => {
      const open = await db.selectFrom('pipeline_jobs').select((e) => e.fn.countAll<string>().as('n')).where('status', 'in', ['pending', 'running']).executeTakeFirstOrThrow();
      return Number(open.n) === 0;
    },
    240_000,
  );
  const statuses = await db.selectFrom('pipeline_jobs').select(['status', (e) => e.fn.countAll<string>().as('n')]).groupBy('status').execute();
  expect(statuses.map((s) => [s.status, Number(s.n)])).toEqual([['completed', JOBS]]);
  const attempts = await db
    .selectFrom('pipeline_job_attempts')
    .select(['job_id', (e) => e.fn.countAll<string>().as('n'), (e) => e.fn.max('worker').as('worker')])
    .groupBy('job_id')
    .execute();
  expect(attempts).toHaveLength(JOBS);
  // A job run more than once shows its attempts and log lines, so a failure says why it ran again.
  const again = attempts.filter((a) => Number(a.n) !== 1).map((a) => a.job_id);
  const why = again.length === 0 ? [] : await db.selectFrom('pipeline_job_attempts').select(['job_id', 'number', 'worker', 'failure']).where('job_id', 'in', again).orderBy('job_id').orderBy('number').execute();
  const lines = again.length === 0 ? [] : await db.selectFrom('pipeline_job_logs').select(['job_id', 'level', 'message']).where('job_id', 'in', again).orderBy('id').execute();
  expect({ why, lines }).toEqual({ why: [], lines: [] });
  const byWorker = new Map<string, number>();
  for (const a of attempts) byWorker.set(String(a.worker), (byWorker.get(String(a.worker)) ?? 0) + 1);
  expect(byWorker.size).toBe(WORKERS);
  // one "started" log line per job: no second delivery ran it again
  const started = await db.selectFrom('pipeline_job_logs').select((e) => e.fn.countAll<string>().as('n')).where('message', 'like', 'attempt % started on %').executeTakeFirstOrThrow();
  expect(Number(started.n)).toBe(JOBS);
  // The batched workers did fetch batches: jobs one statement handed out share its now().
  const batches = await sql<{ n: number }>`select count(*)::int as n from (select started_on from datalinx_queue.job where name = 'pipeline-jobs' group by started_on having count(*) > 1) b`.execute(server.db.db);
  expect(batches.rows[0]!.n).toBeGreaterThan(0);
}, 360_000);
