import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { beginReadOnly, readBatches } from '../src/connectors/index.js';
import { copyRows, createTable, insertRows, type Row } from '../src/warehouses/warehouse-load.dao.js';
import { openScratchDatabase } from '../scripts/scratch-database.js';

/**
 * `npm run bench:load [-- --rows 100000 --batch 5000 --runs 3]`: the two ways a
 * full_refresh can write a batch into the warehouse, on the same rows read the
 * same way (src/connectors readBatches: a cursor, values as text), each run in
 * its own transaction into a new table. The source and the "warehouse" are two
 * schemas of one scratch database (embedded PostgreSQL, or DATABASE_URL's server).
 */
const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROWS = arg('rows', 100_000);
const BATCH = arg('batch', 5_000);
const RUNS = arg('runs', 3);

const scratch = await openScratchDatabase();
const connect = async () => {
  const c = new pg.Client({ connectionString: scratch.url });
  await c.connect();
  return c;
};
const source = await connect();
const warehouse = await connect();
try {
  await source.query(`CREATE SCHEMA src; CREATE SCHEMA wh;
    CREATE TABLE src.customers AS SELECT g AS customer_id, 'c' || g || '@example.test' AS email, 'Name ' || g || E' with\\ttab' AS name,
      (g % 1000) * 1.25::numeric(10,2) AS amount, timestamptz '2024-01-01' + g * interval '1 second' AS updated_at, g % 7 = 0 AS vip,
      jsonb_build_object('tier', g % 3, 'tags', jsonb_build_array('a', 'b')) AS attributes
    FROM generate_series(1, ${ROWS}) g; ANALYZE src.customers`);
  const select = 'SELECT customer_id, email, name, amount, updated_at, vip, attributes FROM src.customers';
  const columns = [
    { name: 'customer_id', type: 'integer' },
    { name: 'email', type: 'text' },
    { name: 'name', type: 'text' },
    { name: 'amount', type: 'numeric' },
    { name: 'updated_at', type: 'timestamp with time zone' },
    { name: 'vip', type: 'boolean' },
    { name: 'attributes', type: 'jsonb' },
  ];
  const names = columns.map((c) => c.name);
  const ways: Record<string, ((rows: Row[]) => Promise<number>) | null> = {
    'read only (no write)': null,
    'COPY … FROM STDIN (text)': (rows) => copyRows(warehouse, 'wh', 'load', names, rows),
    'multi-row INSERT (parameters)': (rows) => insertRows(warehouse, 'wh', 'load', names, rows),
  };
  const lines = [`| way (${ROWS.toLocaleString('en')} rows, ${columns.length} columns, batches of ${BATCH}) | median ms | rows/s |`, '| --- | --- | --- |'];
  for (const [way, write] of Object.entries(ways)) {
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      await warehouse.query('BEGIN');
      await createTable(warehouse, 'wh', 'load', columns);
      const t0 = performance.now();
      let written = 0;
      for await (const rows of readBatches(source, select, { batchRows: BATCH }, beginReadOnly(source, 'datalinx-bench-load'))) written += write ? await write(rows) : rows.length;
      await warehouse.query('COMMIT');
      times.push(performance.now() - t0);
      if (written !== ROWS) throw new Error(`${way}: ${written} rows written, expected ${ROWS}`);
    }
    const median = times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
    lines.push(`| ${way} | ${Math.round(median)} | ${Math.round(ROWS / (median / 1000)).toLocaleString('en')} |`);
  }
  const version = (await source.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
  console.log(`PostgreSQL ${version} (${scratch.where}), Node ${process.version}, ${RUNS} runs each\n\n${lines.join('\n')}`);
} finally {
  await source.end();
  await warehouse.end();
  await scratch.drop();
}
