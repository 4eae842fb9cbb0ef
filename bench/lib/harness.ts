import { randomBytes, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { Kysely } from 'kysely';
import pg from 'pg';
import { AccessTokens } from '../../src/auth/jwt.js';
import { randomToken, sha256Hex } from '../../src/auth/secrets.js';
import { insertRefreshToken } from '../../src/sessions/session.dao.js';
import { loadConfig } from '../../src/config.js';
import { createDb, createPool } from '../../src/db/connection.js';
import type { PlatformDatabase } from '../../src/db/database.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/db/embedded.js';
import { loadMigrations, type MigrationFile } from '../../src/db/migration-files.js';
import { migrate } from '../../src/db/migrator.js';
import { compiledApi } from './compiled-api.js';
import { BenchProcess, freePort, type ProbeStats } from './processes.js';
import { serverCpuMs } from '../server-cpu.js';
import { seedOrganization, type OrgShape, type SeededOrg } from './seed.js';

export const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/**
 * Rounds of the API and its floor, alternating, in each comparison: on a
 * shared machine the speed drifts by a quarter within minutes, and one run of
 * each, one after the other, put the drift into the ratio.
 */
export const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));
/**
 * Load before each server's first measured run of a case. A freshly started
 * API reaches its steady speed after about 10 s of load (V8 optimising the
 * hot paths): on the SPA dashboard, 4 s runs after a 2 s warm-up measured
 * 6.6, 5.9, 5.3, 5.3 and 5.4 ms of API CPU per request (bench/README.md).
 */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 8);

export interface LoadResult {
  label: string;
  server: 'api' | 'floor';
  connections: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export interface ApiRunStats {
  statementsPerRequest: number;
  eventLoopDelayMaxMs: number;
  eventLoopDelayP99Ms: number;
  maxRssMb: number;
}

/** CPU per request: the server process's own (probe) plus PostgreSQL's (local server only), ms. */
export interface CpuPerRequest {
  processCpuMsPerRequest: number | null;
  postgresCpuMsPerRequest: number | null;
}

export interface GraphQLRequest {
  query: string;
  operationName?: string;
  variables?: Record<string, unknown>;
}

export type AutocannonRequest = NonNullable<autocannon.Options['requests']>[number];

/**
 * One benchmark run's world: a PostgreSQL (embedded in a scratch directory,
 * or a fresh database on DATABASE_URL's server), the migrated schema, the API
 * in its own process (dist/main.js, unchanged, probe preloaded) and the raw
 * floor in another. The runner drives load from this process with autocannon.
 */
export class Harness {
  api!: BenchProcess;
  floor!: BenchProcess;
  tokens!: AccessTokens;
  postgresVersion = '';
  maxApiRssMb = 0;
  private readonly orgs = new Map<string, SeededOrg>();
  private floorQueries: Record<string, string> = {};

  private constructor(
    readonly db: Kysely<PlatformDatabase>,
    readonly pool: pg.Pool,
    readonly url: string,
    readonly migrations: readonly MigrationFile[],
    private readonly cleanup: () => Promise<void>,
    /** The API's environment (database, keyring, secrets): worker processes get the same. */
    readonly apiEnv: Record<string, string>,
    /** The embedded server's data directory (its CPU is read from /proc); null with DATABASE_URL. */
    private readonly pgDataDir: string | null = null,
  ) {}

  static async open(): Promise<Harness> {
    let embedded: EmbeddedServer | null = null;
    let dir: string | null = null;
    let url: string;
    let dropDatabase: (() => Promise<void>) | null = null;
    if (process.env.DATABASE_URL) {
      // A fresh database on the given server, dropped at the end.
      const name = `datalinx_bench_${randomBytes(4).toString('hex')}`;
      const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
      await admin.connect();
      await admin.query(`create database ${name}`);
      await admin.end();
      const u = new URL(process.env.DATABASE_URL);
      u.pathname = `/${name}`;
      url = u.toString();
      dropDatabase = async () => {
        const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
        await c.connect();
        await c.query(`drop database if exists ${name} with (force)`);
        await c.end();
      };
    } else {
      dir = await mkdtemp(path.join(os.tmpdir(), 'datalinx-bench-'));
      await chmod(dir, 0o755);
      embedded = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), persistent: false });
      url = embedded.connectionString();
    }
    const apiEnv = {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: url,
      MIGRATE_ON_START: 'false',
      // The API alone: an in-process worker's queue polling would be counted and timed with it.
      WORKER_IN_PROCESS: 'false',
      JWT_SECRET: randomBytes(32).toString('hex'),
      KEYRING: JSON.stringify({ current: 'bench', keys: [{ id: 'bench', key: randomBytes(32).toString('base64') }] }),
      DATA_DIR: dir ?? os.tmpdir(),
    };
    const config = loadConfig(apiEnv);
    const pool = createPool(url, { ...config.database.pool, min: 0, max: 4 });
    const db = createDb(pool);
    await migrate(db, { dir: 'migrations' });
    const harness = new Harness(db, pool, url, await loadMigrations('migrations'), async () => {
      await db.destroy();
      await dropDatabase?.();
      await embedded?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    }, apiEnv, dir ? path.join(dir, 'pg') : null);
    harness.tokens = new AccessTokens({ alg: 'HS256', secret: new TextEncoder().encode(apiEnv.JWT_SECRET) }, config.jwt);
    harness.postgresVersion = (await pool.query<{ server_version: string }>('show server_version')).rows[0]!.server_version;
    return harness;
  }

  /** Seeds an organization once per run; scenarios share it. */
  async organization(shape: OrgShape): Promise<SeededOrg> {
    let seeded = this.orgs.get(shape.slug);
    if (!seeded) {
      const t = Date.now();
      seeded = await seedOrganization({ db: this.db, pool: this.pool, migrations: this.migrations }, shape);
      console.log(`  seeded ${shape.slug}: ${JSON.stringify(seeded.counts)} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
      this.orgs.set(shape.slug, seeded);
    }
    return seeded;
  }

  /** An access token of a fresh session of the user (access tokens are valid only while their session is open). */
  async token(org: SeededOrg, user = 1): Promise<string> {
    const userId = org.userIds[user]!;
    const familyId = randomUUID();
    await insertRefreshToken(this.db, { user_id: userId, family_id: familyId, token_hash: sha256Hex(randomToken('dlxr_')), expires_at: new Date(Date.now() + 86_400_000) });
    return this.tokens.sign({ sub: userId, org: org.org.id, sid: familyId });
  }

  /** Starts (or restarts, when the floor's queries changed) both servers. */
  async startServers(floorQueries: Record<string, string>, opts: { apiEnv?: Record<string, string>; nodeArgs?: string[] } = {}): Promise<void> {
    await this.stopServers();
    this.floorQueries = floorQueries;
    const [apiPort, floorPort] = [await freePort(), await freePort()];
    const api = compiledApi(process.env.BENCH_API_DIR);
    [this.api, this.floor] = await Promise.all([
      BenchProcess.start('api', api.script, {
        execArgv: api.execArgv,
        port: apiPort,
        env: { ...this.apiEnv, ...opts.apiEnv, PORT: String(apiPort) },
        readyPath: '/readyz',
        // Another checkout's server (e.g. the commit before an optimisation), measured in the same way.
        cwd: process.env.BENCH_API_DIR,
        nodeArgs: [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []), ...(opts.nodeArgs ?? [])],
      }),
      BenchProcess.start('floor', 'bench/floor.ts', {
        port: floorPort,
        env: { DATABASE_URL: this.url, PORT: String(floorPort), FLOOR_QUERIES: JSON.stringify(this.floorQueries) },
        readyPath: '/healthz',
      }),
    ]);
  }

  async stopServers(): Promise<void> {
    if (this.api?.running) await this.settle();
    if (this.api?.running) this.maxApiRssMb = Math.max(this.maxApiRssMb, (await this.api.stats()).maxRssMb);
    await Promise.all([this.api?.stop(), this.floor?.stop()]);
  }

  /** One GraphQL request; throws on HTTP or GraphQL errors so a broken query is never benchmarked. */
  async graphql<T = unknown>(token: string, request: GraphQLRequest): Promise<{ data: T; bytes: number }> {
    const res = await fetch(`${this.api.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(request),
    });
    const text = await res.text();
    const body = JSON.parse(text) as { data: T; errors?: unknown[] };
    if (!res.ok || body.errors) throw new Error(`GraphQL request failed (${res.status}): ${text.slice(0, 500)}`);
    return { data: body.data, bytes: Buffer.byteLength(text) };
  }

  async floorRequest(name: string, params: unknown[]): Promise<{ body: unknown; bytes: number }> {
    const res = await fetch(`${this.floor.url}/${name}`, { method: 'POST', body: JSON.stringify({ params }) });
    const text = await res.text();
    if (!res.ok) throw new Error(`floor ${name} failed (${res.status})`);
    return { body: JSON.parse(text), bytes: Buffer.byteLength(text) };
  }

  /**
   * Waits until the API has sent no statement for a while: requests a load
   * run left queued must not be counted in the next measurement.
   */
  async settle(): Promise<void> {
    let last = -1;
    for (let quiet = 0; quiet < 2; ) {
      const { statements } = this.api?.running ? await this.api.stats() : { statements: 0 };
      quiet = statements === last ? quiet + 1 : 0;
      last = statements;
      await new Promise((r) => setTimeout(r, 250));
    }
    // The floor's too: after a heavy run its server still has statements queued and running
    // for seconds, which would be measured as the next run's load.
    for (;;) {
      const { rows } = await this.pool.query<{ busy: number }>(
        `select count(*)::int as busy from pg_stat_activity where datname = current_database() and state <> 'idle' and pid <> pg_backend_pid() and backend_type = 'client backend'`,
      );
      if (rows[0]!.busy === 0) return;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** SQL statements one request sends, authentication included, and their text. */
  async statementsOf(send: () => Promise<unknown>): Promise<{ count: number; statements: ProbeStats['recent'] }> {
    await this.settle();
    await this.api.reset();
    await send();
    const stats = await this.api.stats();
    if (process.env.BENCH_SHOW_SQL) for (const s of stats.recent) console.log(`    SQL: ${s.text.slice(0, 300)}`);
    return { count: stats.statements, statements: stats.recent };
  }

  /** autocannon against the API (GraphQL) or the floor, after a warm-up; API runs also report probe figures. */
  async load(opts: {
    label: string;
    server: 'api' | 'floor';
    connections: number;
    token?: string;
    body?: unknown;
    path?: string;
    requests?: AutocannonRequest[];
    seconds?: number;
    /** A fixed number of requests instead of a duration: every response is seen (exact write accounting). */
    amount?: number;
    /** false: no warm-up run first (the same case just ran on this server). */
    warmUp?: boolean;
  }): Promise<LoadResult & Partial<ApiRunStats> & CpuPerRequest> {
    const target = opts.server === 'api' ? this.api : this.floor;
    const run = (duration: number) =>
      autocannon({
        url: `${target.url}${opts.path ?? '/graphql'}`,
        method: 'POST',
        connections: opts.connections,
        ...(opts.amount ? { amount: opts.amount } : { duration }),
        timeout: 60,
        headers: { 'content-type': 'application/json', ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
        ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
        ...(opts.requests ? { requests: opts.requests } : {}),
      });
    if (WARMUP_SECONDS > 0 && !opts.requests && opts.warmUp !== false) await run(WARMUP_SECONDS);
    await this.settle();
    await target.reset();
    const pgCpuStart = await serverCpuMs(this.pgDataDir).catch(() => null);
    const r = await run(opts.seconds ?? SECONDS);
    const pgCpuEnd = await serverCpuMs(this.pgDataDir).catch(() => null);
    const processCpu = (await target.stats()).cpuMs;
    const perRequest = (ms: number | null) => (ms !== null && r.requests.total ? Math.round((ms / r.requests.total) * 100) / 100 : null);
    const result: LoadResult & Partial<ApiRunStats> & CpuPerRequest = {
      label: opts.label,
      server: opts.server,
      connections: opts.connections,
      requestsPerSecond: Math.round((r.requests.total / r.duration) * 10) / 10,
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      errors: r.errors + r.timeouts + r.non2xx,
      // Load-independent cost: on a saturated machine throughput mostly measures the wait for a core.
      processCpuMsPerRequest: perRequest(processCpu),
      postgresCpuMsPerRequest: perRequest(pgCpuStart !== null && pgCpuEnd !== null ? pgCpuEnd - pgCpuStart : null),
    };
    if (opts.server === 'api') {
      const stats = await this.api.stats();
      this.maxApiRssMb = Math.max(this.maxApiRssMb, stats.maxRssMb);
      Object.assign(result, {
        statementsPerRequest: r.requests.total ? Math.round((stats.statements / r.requests.total) * 10) / 10 : 0,
        eventLoopDelayMaxMs: stats.eventLoopDelayMs.max,
        eventLoopDelayP99Ms: stats.eventLoopDelayMs.p99,
        maxRssMb: stats.maxRssMb,
      });
    }
    console.log(`  ${opts.server.padEnd(5)} ${opts.label} @${opts.connections}: ${result.requestsPerSecond} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms${result.errors ? `, ${result.errors} errors` : ''}, CPU/req ${result.processCpuMsPerRequest} ms node + ${result.postgresCpuMsPerRequest} ms PostgreSQL`);
    return result;
  }

  /** CPU time PostgreSQL has used so far, ms (local embedded server only; null otherwise). */
  postgresCpuMs(): Promise<number | null> {
    return serverCpuMs(this.pgDataDir).catch(() => null);
  }

  async close(): Promise<void> {
    await this.stopServers().catch(() => {});
    await this.cleanup();
  }
}
