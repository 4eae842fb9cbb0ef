/**
 * The raw floor: the least a server can do to answer the benchmark's requests
 * over HTTP — node:http, a pg pool, and one SQL statement per request that
 * builds the whole JSON response (json_agg) in PostgreSQL. No GraphQL, no
 * authentication, no validation. The API's throughput is reported as a ratio
 * to this floor measured in the same run, so machine noise mostly cancels.
 *
 * FLOOR_QUERIES is a JSON object { name: sql }; POST /<name> with
 * {"params": [...]} runs it and sends its single text column.
 */
import http from 'node:http';
import pg from 'pg';

const queries = JSON.parse(process.env.FLOOR_QUERIES ?? '{}') as Record<string, string>;
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_MAX ?? 20) });

const server = http.createServer((req, res) => {
  const name = (req.url ?? '/').slice(1).split('?')[0]!;
  if (req.method === 'GET' && name === 'healthz') {
    res.end('ok');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const text = queries[name];
    if (!text) {
      res.writeHead(404).end();
      return;
    }
    const { params = [] } = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { params?: unknown[] };
    pool.query({ text, values: params, rowMode: 'array' }).then(
      (result) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(result.rows[0]?.[0] ?? 'null');
      },
      (err: Error) => {
        console.error(`floor ${name}: ${err.message}`);
        res.writeHead(500).end();
      },
    );
  });
});

server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close();
  void pool.end().then(() => process.exit(0));
});
