import { randomBytes } from 'node:crypto';
import net from 'node:net';
import pg from 'pg';

/**
 * A real PostgreSQL "customer source" on the run's test server: its own role
 * (LOGIN PASSWORD) and database, filled by `setup` statements run as that role.
 */
export interface SourceDb {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** Runs SQL in the source database as its owner (to change the schema between refreshes). */
  exec(sql: string): Promise<void>;
  drop(): Promise<void>;
}

function adminUrl(): URL {
  const url = process.env.DATALINX_TEST_PG_URL;
  if (!url) throw new Error('DATALINX_TEST_PG_URL is unset: run tests through jest');
  return new URL(url);
}

async function asAdmin<T>(database: string, work: (c: pg.Client) => Promise<T>): Promise<T> {
  const url = adminUrl();
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export async function createSourceDb(setup = ''): Promise<SourceDb> {
  const suffix = randomBytes(4).toString('hex');
  const user = `etl_${suffix}`;
  const database = `crm_${suffix}`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  await asAdmin('postgres', async (c) => {
    await c.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
    await c.query(`CREATE DATABASE ${database} OWNER ${user}`);
  });
  const url = adminUrl();
  const exec = async (sql: string) => {
    const client = new pg.Client({ host: url.hostname, port: Number(url.port), user, password, database });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  if (setup) await exec(setup);
  return {
    host: url.hostname,
    port: Number(url.port),
    database,
    user,
    password,
    exec,
    drop: () =>
      asAdmin('postgres', async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${user}`);
      }),
  };
}

/** A TCP listener on 127.0.0.1 that accepts connections and never answers (a hung server). */
export async function silentListener(): Promise<{ port: number; accepted: () => number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    accepted: () => accepted,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let shared: Promise<SourceDb> | undefined;

/** One source database for the whole test file (never dropped: the test cluster goes with the run). */
export function sharedSourceDb(): Promise<SourceDb> {
  shared ??= createSourceDb('create table public.customers (cust_id uuid primary key, email text not null);');
  return shared;
}

/** A data source's connection config pointing at `source` (sslMode disable: the test server has no TLS). */
export const sourceConfigOf = (source: SourceDb, over: Record<string, unknown> = {}) => ({
  postgresql: { host: source.host, port: source.port, database: source.database, user: source.user, password: source.password, sslMode: 'disable', ...over },
});

/** Statements running now in the source database whose text mentions `text` (a view's name, say). */
export async function activeSourceQueries(source: SourceDb, text: string): Promise<number> {
  const admin = new pg.Client({ connectionString: process.env.DATALINX_TEST_PG_URL });
  await admin.connect();
  try {
    // test probe: the source's running statements
    const { rows } = await admin.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = $1 and state = 'active' and query like $2 and pid <> pg_backend_pid()`,
      [source.database, `%${text}%`],
    );
    return rows[0]!.n;
  } finally {
    await admin.end();
  }
}
