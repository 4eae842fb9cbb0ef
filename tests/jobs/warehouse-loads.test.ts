import pg from 'pg';
import { Keyring } from '../../src/crypto/keyring.js';
import {
  createActiveMapping,
  createDataSource,
  createJob,
  createSourceDb,
  createWorkspace,
  exited,
  gqlData,
  localId,
  mutate,
  setWarehouse,
  sourceConfigOf,
  type SourceDb,
  tenantDbOf,
  useTestApi,
  useWorkers,
  waitFor,
} from '../support/index.js';

// full_refresh and incremental jobs run by real worker processes, from a real source database into a real warehouse database.
const KEYRING = Keyring.generate('loads-test').json;
const { server, org } = useTestApi({ env: { KEYRING, WORKER_IN_PROCESS: 'false' } });
const workers = useWorkers(server, KEYRING);
const BATCH = 500;
const N = 1200;
let source: SourceDb;
let decoy: SourceDb;
let warehouse: SourceDb;
let workspaceId: string;
let realSource: string;
let reader: pg.Client;

const token = () => org.users.editor.token;
const jobRow = (id: string) => tenantDbOf(server, org).selectFrom('pipeline_jobs').selectAll().where('id', '=', localId(id)).executeTakeFirstOrThrow();
const JOB = `query($id: ID!) { pipelineJob(id: $id) { status failure { origin type message } attempts { number failure { type } } logs(first: 50) { edges { node { message } } } } }`;

async function finished(id: string) {
  await waitFor('the job to end', async () => ['completed', 'failed', 'cancelled'].includes((await jobRow(id)).status));
  return jobRow(id);
}

const connect = async (db: SourceDb) => {
  const c = new pg.Client({ host: db.host, port: db.port, database: db.database, user: db.user, password: db.password });
  await c.connect();
  return c;
};
const refreshSchema = (id: string) => mutate(server, 'mutation($id: ID!) { refreshDataSourceSchema(id: $id) { __typename } }', { id }, token());
const rows = async <T = Record<string, unknown>>(text: string, values: unknown[] = []) => (await reader.query(text, values)).rows as T[];

beforeAll(async () => {
  // An older source without the table: the mapping must read from the source whose cached schema has it.
  decoy = await createSourceDb('CREATE TABLE unrelated (id int)');
  source = await createSourceDb(`
    CREATE TYPE tier AS ENUM ('gold', 'silver');
    CREATE TABLE customers (cust_id int PRIMARY KEY, email text, name text, tier tier, amount numeric(10,2), tags text[], updated_at timestamptz NOT NULL);
    -- pairs of rows share an e-mail up to case and spaces: one entity each
    INSERT INTO customers SELECT g, CASE WHEN g % 2 = 0 THEN ' C' || (g - 1) || '@Example.test' ELSE 'c' || g || '@example.test' END,
      'name ' || g || E'\\t"tab"', CASE WHEN g % 3 = 0 THEN 'gold' ELSE 'silver' END::tier, g * 1.5, ARRAY['a', 'b,c'],
      timestamptz '2024-01-01 00:00:00+00' + g * interval '1 minute'
    FROM generate_series(1, ${N}) g;
  `);
  warehouse = await createSourceDb();
  workspaceId = await createWorkspace(server, token());
  const decoySource = await createDataSource(server, token(), workspaceId, sourceConfigOf(decoy));
  realSource = await createDataSource(server, token(), workspaceId, sourceConfigOf(source));
  for (const id of [decoySource, realSource]) await refreshSchema(id);
  await setWarehouse(server, token(), workspaceId, {
    dialect: 'POSTGRESQL',
    targetSchema: 'analytics',
    connectionConfig: { postgresql: { host: warehouse.host, port: warehouse.port, database: warehouse.database, user: warehouse.user, password: warehouse.password, sslMode: 'disable' } },
  });
  reader = await connect(warehouse);
  workers.start({ JOB_LOAD_BATCH_ROWS: String(BATCH) });
}, 90_000);

afterAll(async () => {
  await reader?.end();
  for (const db of [source, decoy, warehouse]) await db?.drop();
});

const FIELDS = [
  { targetField: 'customer_id', source: 'cust_id' },
  { targetField: 'email', transform: 'lower(trim(email))' },
  { targetField: 'name', source: 'name' },
  { targetField: 'tier', source: 'tier' },
  { targetField: 'amount', source: 'amount' },
  { targetField: 'tags', source: 'tags' },
  { targetField: 'updated_at', source: 'updated_at' },
];

describe('full_refresh', () => {
  let mapping: string;

  // Identity resolution's default record key is the first key of the stored field_mappings JSONB (name: jsonb orders keys
  // by length), so an entity's id is the smallest name of its records.
  it('loads every row, transformed and typed, with identity resolution, in batches; metadata per mapping and in total; nothing left behind', async () => {
    mapping = await createActiveMapping(server, token(), workspaceId, {
      targetTable: 'dim_customer',
      sourceTable: 'customers',
      fieldMappings: FIELDS,
      decorators: [{ identityResolution: { matchKeys: ['email'], targetIdField: 'entity_id' } }],
    });
    const id = await createJob(server, token(), workspaceId, 'FULL_REFRESH', [mapping]);
    const job = await finished(id);
    expect(job.status).toBe('completed');
    const meta = job.run_metadata as Record<string, unknown> & { mappings: Record<string, Record<string, unknown>> };
    expect({ ...meta, duration_ms: typeof meta.duration_ms, mappings: undefined }).toEqual({
      rows_processed: N,
      rows_failed: 0,
      rows_read: N,
      rows_written: N,
      duration_ms: 'number',
      mappings: undefined,
    });
    expect(meta.mappings[localId(mapping)]).toEqual({ target_table: 'dim_customer', rows_read: N, rows_written: N, duration_ms: expect.any(Number) });

    expect(await rows(`SELECT customer_id, email, name, tier, amount, tags, updated_at, entity_id FROM analytics.dim_customer WHERE customer_id IN (1, 2, 3) ORDER BY 1`)).toEqual([
      { customer_id: 1, email: 'c1@example.test', name: 'name 1\t"tab"', tier: 'silver', amount: '1.50', tags: ['a', 'b,c'], updated_at: new Date('2024-01-01T00:01:00Z'), entity_id: 'name 1\t"tab"' },
      { customer_id: 2, email: 'c1@example.test', name: 'name 2\t"tab"', tier: 'silver', amount: '3.00', tags: ['a', 'b,c'], updated_at: new Date('2024-01-01T00:02:00Z'), entity_id: 'name 1\t"tab"' },
      { customer_id: 3, email: 'c3@example.test', name: 'name 3\t"tab"', tier: 'gold', amount: '4.50', tags: ['a', 'b,c'], updated_at: new Date('2024-01-01T00:03:00Z'), entity_id: 'name 3\t"tab"' },
    ]);
    expect(await rows(`SELECT count(*)::int AS n, count(DISTINCT entity_id)::int AS entities FROM analytics.dim_customer`)).toEqual([{ n: N, entities: N / 2 }]);
    // Column types come from the source result; the source's own enum becomes text.
    expect(
      await rows(`SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = 'analytics' AND table_name = 'dim_customer' ORDER BY column_name`),
    ).toEqual([
      { c: 'amount', t: 'numeric' },
      { c: 'customer_id', t: 'integer' },
      { c: 'email', t: 'text' },
      { c: 'entity_id', t: 'text' },
      { c: 'name', t: 'text' },
      { c: 'tags', t: 'ARRAY' },
      { c: 'tier', t: 'text' },
      { c: 'updated_at', t: 'timestamp with time zone' },
    ]);
    // No staging or identity-resolution work table is left in the schema.
    expect(await rows(`SELECT tablename FROM pg_tables WHERE schemaname = 'analytics' ORDER BY 1`)).toEqual([{ tablename: '_datalinx_load_state' }, { tablename: 'dim_customer' }]);
    const data = await gqlData(server, JOB, { id }, org.users.viewer.token);
    const text = JSON.stringify(data) + JSON.stringify(job);
    for (const secret of [source.password, warehouse.password]) expect(text).not.toContain(secret);
    expect(JSON.stringify(data)).toContain(`analytics.dim_customer: ${N} row(s) read, ${N} written`);
  }, 120_000);

  it('running again replaces the table, and the swap is atomic to a reader queued on it (never a missing or partial table)', async () => {
    await source.exec(`DELETE FROM customers WHERE cust_id = 1; INSERT INTO customers SELECT g, 'new' || g || '@example.test', 'new', 'gold', 1, '{}', now() FROM generate_series(${N + 1}, ${N + 100}) g`);
    // A reader holds the old table open, so the swap must wait for it.
    const holder = await connect(warehouse);
    const queued = await connect(warehouse);
    try {
      await holder.query('BEGIN');
      expect((await holder.query('SELECT count(*)::int AS n FROM analytics.dim_customer')).rows).toEqual([{ n: N }]);
      const id = await createJob(server, token(), workspaceId, 'FULL_REFRESH', [mapping]);
      const waiting = `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.application_name = $1`;
      await waitFor('the swap to wait for the reader', async () => (await rows<{ n: number }>(waiting, [`datalinx-job-${localId(id)}`]))[0]!.n > 0);
      // A second reader arrives while the swap waits: it queues behind the swap and must see the new table whole.
      const late = queued.query('SELECT count(*)::int AS n, bool_or(customer_id = 1) AS has_deleted FROM analytics.dim_customer');
      const queuedPid = (queued as unknown as { processID: number }).processID;
      await waitFor('the late reader to queue', async () => (await rows<{ n: number }>('SELECT count(*)::int AS n FROM pg_locks WHERE pid = $1 AND NOT granted', [queuedPid]))[0]!.n > 0);
      expect((await holder.query('SELECT count(*)::int AS n FROM analytics.dim_customer')).rows).toEqual([{ n: N }]);
      await holder.query('COMMIT');
      expect((await late).rows).toEqual([{ n: N + 99, has_deleted: false }]);
      expect((await finished(id)).status).toBe('completed');
    } finally {
      await holder.end();
      await queued.end();
    }
    expect(await rows(`SELECT count(*)::int AS n FROM analytics.dim_customer`)).toEqual([{ n: N + 99 }]);
  }, 120_000);

  it('a cancelled load: its waiting warehouse statement is cancelled, the job ends cancelled and the table stays as it was', async () => {
    const holder = await connect(warehouse);
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT count(*) FROM analytics.dim_customer');
      await source.exec(`INSERT INTO customers VALUES (${N + 500}, 'x@example.test', 'x', 'gold', 1, '{}', now())`);
      const id = await createJob(server, token(), workspaceId, 'FULL_REFRESH', [mapping]);
      const loader = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'`;
      const waiting = `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted AND a.application_name = $1`;
      await waitFor('the swap to wait', async () => (await rows<{ n: number }>(waiting, [`datalinx-job-${localId(id)}`]))[0]!.n > 0);
      await mutate(server, 'mutation($id: ID!) { cancelPipelineJob(id: $id) { __typename } }', { id }, token());
      await waitFor('the warehouse statement to end', async () => (await rows<{ n: number }>(loader, [`datalinx-job-${localId(id)}`]))[0]!.n === 0, 10_000);
      expect((await finished(id)).status).toBe('cancelled');
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    expect(await rows(`SELECT count(*)::int AS n FROM analytics.dim_customer`)).toEqual([{ n: N + 99 }]);
    await source.exec(`DELETE FROM customers WHERE cust_id = ${N + 500}`);
  }, 120_000);
});

describe('failures', () => {
  it('a source query that fails is a SOURCE CONFIG_ERROR without a secret, and the warehouse is left as it was', async () => {
    await source.exec('CREATE TABLE gone (id int)');
    await refreshSchema(realSource);
    const mapping = await createActiveMapping(server, token(), workspaceId, { targetTable: 'dim_gone', sourceTable: 'gone', fieldMappings: [{ targetField: 'id', source: 'id' }] });
    await source.exec('DROP TABLE gone');
    const job = await finished(await createJob(server, token(), workspaceId, 'FULL_REFRESH', [mapping]));
    expect(job.failure).toEqual({ origin: 'source', type: 'config_error', retryable: false, message: 'relation "gone" does not exist' });
    expect(JSON.stringify(job)).not.toContain(source.password);
    expect(await rows(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'analytics' AND tablename LIKE '%gone%'`)).toEqual([{ n: 0 }]);
  }, 120_000);
});

describe('incremental', () => {
  let mapping: string;
  const mark = async () => (await rows<{ m: string | null }>(`SELECT high_water_mark AS m FROM analytics._datalinx_load_state WHERE mapping_id = $1`, [localId(mapping)]))[0]?.m;
  const count = async () => (await rows<{ n: number; keys: number }>(`SELECT count(*)::int AS n, count(DISTINCT customer_id)::int AS keys FROM analytics.inc_customer`))[0]!;
  const run = async () => {
    const id = await createJob(server, token(), workspaceId, 'INCREMENTAL', [mapping]);
    return { id, job: await finished(id) };
  };
  const metaOf = (job: { run_metadata: Record<string, unknown> }) => (job.run_metadata.mappings as Record<string, Record<string, unknown>>)[localId(mapping)];

  it('loads everything on its first run, then only rows at or past the mark, upserting changed rows by key', async () => {
    mapping = await createActiveMapping(server, token(), workspaceId, {
      targetTable: 'inc_customer',
      sourceTable: 'customers',
      fieldMappings: FIELDS,
      incremental: { cursorColumn: 'updated_at', keyColumns: ['customer_id'] },
    });
    const all = await connect(source);
    const total = (await all.query('SELECT count(*)::int AS n, max(updated_at)::text AS m FROM customers')).rows[0] as { n: number; m: string };
    const first = await run();
    expect(first.job.status).toBe('completed');
    expect(metaOf(first.job)).toMatchObject({ rows_read: total.n, rows_written: total.n, high_water_mark: total.m });
    expect(await count()).toEqual({ n: total.n, keys: total.n });
    expect(await mark()).toBe(total.m);

    await all.query(`UPDATE customers SET name = 'changed', updated_at = now() + interval '1 hour' WHERE cust_id IN (5, 6)`);
    await all.query(`INSERT INTO customers SELECT g, 'inc' || g || '@example.test', 'inc', 'gold', 1, '{}', now() + interval '2 hours' FROM generate_series(5001, 5003) g`);
    const atMark = (await all.query('SELECT count(*)::int AS n FROM customers WHERE updated_at = $1', [total.m])).rows[0].n as number;
    const second = await run();
    // The rows at the mark are read again (a later row may share the mark's value); upserting them changes nothing.
    expect(metaOf(second.job)).toMatchObject({ rows_read: 5 + atMark, rows_written: 5 + atMark });
    expect(await count()).toEqual({ n: total.n + 3, keys: total.n + 3 });
    expect(await rows(`SELECT customer_id, name FROM analytics.inc_customer WHERE customer_id IN (5, 6, 7, 5003) ORDER BY 1`)).toEqual([
      { customer_id: 5, name: 'changed' },
      { customer_id: 6, name: 'changed' },
      { customer_id: 7, name: 'name 7\t"tab"' },
      { customer_id: 5003, name: 'inc' },
    ]);
    const newMark = (await all.query('SELECT max(updated_at)::text AS m FROM customers')).rows[0].m as string;
    expect(await mark()).toBe(newMark);
    await all.end();
  }, 120_000);

  it('a failed load writes nothing and leaves the mark where it was; the next run loads the rows', async () => {
    const before = await mark();
    const counted = await count();
    await reader.query(`ALTER TABLE analytics.inc_customer ADD CONSTRAINT no_bad CHECK (name <> 'bad')`);
    await source.exec(`INSERT INTO customers SELECT g, 'f' || g || '@example.test', CASE WHEN g = 6100 THEN 'bad' ELSE 'fine' END, 'gold', 1, '{}', now() + interval '3 hours' + g * interval '1 second' FROM generate_series(6001, 6100) g`);
    const failed = await run();
    expect({ status: failed.job.status, failure: failed.job.failure && { origin: failed.job.failure.origin, type: failed.job.failure.type } }).toEqual({
      status: 'failed',
      failure: { origin: 'warehouse', type: 'config_error' },
    });
    expect(failed.job.failure!.message).toContain('no_bad');
    expect(await mark()).toBe(before);
    expect(await count()).toEqual(counted);

    await reader.query(`ALTER TABLE analytics.inc_customer DROP CONSTRAINT no_bad`);
    const next = await run();
    expect(next.job.status).toBe('completed');
    expect(await count()).toEqual({ n: counted.n + 100, keys: counted.n + 100 });
    expect(await mark()).not.toBe(before);
  }, 120_000);

  it('a job delivered again after its worker was killed mid-load (kill -9) loads its rows once', async () => {
    const counted = await count();
    // One of the new rows makes the source sleep while the rows are read: the worker dies mid-load.
    await source.exec(`
      INSERT INTO customers SELECT g, 's' || g || '@example.test', 'slow', 'gold', 1, '{}', now() + interval '4 hours' + g * interval '1 second' FROM generate_series(7001, 8000) g;
      CREATE FUNCTION nap(id int) RETURNS boolean LANGUAGE sql VOLATILE AS $$ SELECT CASE WHEN id = 7700 THEN pg_sleep(3) IS NOT NULL ELSE true END $$;
      CREATE VIEW slow_customers AS SELECT * FROM customers WHERE nap(cust_id);
    `);
    await refreshSchema(realSource);
    const slow = await createActiveMapping(server, token(), workspaceId, {
      targetTable: 'inc_customer',
      sourceTable: 'slow_customers',
      fieldMappings: FIELDS,
      incremental: { cursorColumn: 'updated_at', keyColumns: ['customer_id'] },
    });
    // The mark of the first mapping's table does not belong to this mapping: it starts from no mark.
    for (const w of workers.all) if (w.exitCode === null) w.kill('SIGKILL');
    await Promise.all(workers.all.map(exited));
    const doomed = workers.start({ JOB_LOAD_BATCH_ROWS: String(BATCH) });
    const id = await createJob(server, token(), workspaceId, 'INCREMENTAL', [slow]);
    const sleeping = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND wait_event = 'PgSleep'`;
    const admin = new pg.Client({ connectionString: process.env.DATALINX_TEST_PG_URL });
    await admin.connect();
    try {
      await waitFor('the source to sleep mid-read', async () => (await admin.query(sleeping, [source.database])).rows[0].n > 0);
    } finally {
      await admin.end();
    }
    doomed.child.kill('SIGKILL');
    await exited(doomed.child);
    workers.start({ JOB_LOAD_BATCH_ROWS: String(BATCH), JOB_RETRY_DELAY_SECONDS: '0' });
    const job = await waitFor('the second attempt to finish', async () => {
      const row = await jobRow(id);
      return ['completed', 'failed'].includes(row.status) && row;
    }, 90_000);
    expect(job.status).toBe('completed');
    const data = await gqlData<{ pipelineJob: { attempts: { number: number; failure: { type: string } | null }[] } }>(server, JOB, { id }, org.users.viewer.token);
    expect(data.pipelineJob.attempts.map((a) => [a.number, a.failure?.type ?? null])).toEqual([[1, 'WORKER_LOST'], [2, null]]);
    expect(await count()).toEqual({ n: counted.n + 1000, keys: counted.n + 1000 });
  }, 180_000);
});
