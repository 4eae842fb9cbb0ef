/**
 * `tsx bench/tenants.ts --orgs 1000`: what N organizations cost one PostgreSQL.
 *
 * Starts its own database (a temporary embedded PostgreSQL, or a new database
 * on DATABASE_URL's server), provisions N organizations one after another the
 * way `create-org` does (row, schema from the snapshot, owner, audit entry) and
 * records, over the run and per bucket of organizations: provisioning
 * latency; concurrent provisioning; a no-op `migrate`; one additive tenant
 * migration over every organization; extending a value set (enum) against the
 * CHECK-constraint alternative; login and user-update latency;
 * removeUser / deleteOrganization / `delete-org`; API and PostgreSQL backend
 * memory as connections touch more tenant schemas. Writes
 * bench/results/tenants.json and bench/results/tenants.md.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { systemScope, type CallScope } from '../src/auth/scope.js';
import { hashPassword } from '../src/auth/passwords.js';
import { loadConfig } from '../src/config.js';
import { createDb, createPool } from '../src/db/connection.js';
import type { PlatformDatabase } from '../src/db/database.js';
import { loadMigrations } from '../src/db/migration-files.js';
import { migrate } from '../src/db/migrator.js';
import type { SystemDb } from '../src/db/system.js';
import type { OrganizationRow } from '../src/db/tables/organizations.table.js';
import { loadTenantSnapshot } from '../src/db/tenant-snapshot.js';
import { insertPipelineJob } from '../src/jobs/pipeline-job.dao.js';
import { createLogger } from '../src/logger.js';
import { createOrganizationIn, deleteOrganization } from '../src/organizations/organization.manager.js';
import { createServices } from '../src/services.js';
import { login } from '../src/sessions/session.manager.js';
import { Tenant } from '../src/tenancy/tenant.js';
import { insertUser, recordLoginSuccess } from '../src/users/user.dao.js';
import { removeUser } from '../src/users/user.manager.js';
import { insertWorkspace } from '../src/workspaces/workspace.dao.js';
import { openScratchDatabase } from '../scripts/scratch-database.js';
import { serverCpuMs } from './server-cpu.js';

const { values: args } = parseArgs({
  options: { orgs: { type: 'string', default: '1000' }, out: { type: 'string', default: 'bench/results' } },
  strict: true,
});
const ORGS = Number.parseInt(args.orgs!, 10);
if (!Number.isInteger(ORGS) || ORGS < 10) {
  console.error('error: --orgs must be an integer of at least 10');
  process.exit(2);
}
const MIGRATIONS = 'migrations';
const PASSWORD = 'correct horse battery staple';
const run = promisify(execFile);

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const stats = (samples: readonly number[]) => ({
  n: samples.length,
  p50: round(percentile(samples, 50), 2),
  p99: round(percentile(samples, 99), 2),
  max: round(Math.max(...samples), 2),
});
async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const result = await work();
  return [result, ms(start)];
}
const log = (message: string) => process.stderr.write(`[tenants bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

/** Server memory of one backend: every memory context, and the catalog caches alone. */
async function backendMemory(client: pg.Client): Promise<{ totalKiB: number; cacheKiB: number }> {
  // bench: memory of this backend
  const { rows } = await client.query<{ total: string; cache: string }>(`
    select sum(total_bytes) as total,
           sum(total_bytes) filter (where name in ('CacheMemoryContext', 'index info', 'relation rules')) as cache
    from pg_backend_memory_contexts`);
  return { totalKiB: round(Number(rows[0]!.total) / 1024, 0), cacheKiB: round(Number(rows[0]!.cache ?? 0) / 1024, 0) };
}

/** A pooled connection serving requests of many organizations: the reads of a dashboard, per schema. */
async function touchSchema(client: pg.Client, schema: string): Promise<void> {
  for (const table of ['workspaces', 'data_sources', 'mappings', 'pipeline_jobs']) {
    await client.query(`select * from "${schema}"."${table}" order by created_at desc limit 20`);
  }
}

async function main() {
  const startedAt = new Date();
  const load = { start: os.loadavg().map((l) => round(l, 2)), end: [] as number[] };
  const scratch = await openScratchDatabase();
  log(`database: ${scratch.where}`);
  const pool = createPool(scratch.url, { min: 0, max: 10, maxUses: 0, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 30_000, statementTimeoutMillis: 0 });
  const db: Kysely<PlatformDatabase> = createDb(pool);
  const tempDirs: string[] = [];
  try {
    const pgVersion = (await sql<{ v: string }>`select current_setting('server_version') as v`.execute(db)).rows[0]!.v;
    const maxLocks = (await sql<{ v: string }>`select current_setting('max_locks_per_transaction') as v`.execute(db)).rows[0]!.v;
    await migrate(db, { dir: MIGRATIONS });
    const migrations = await loadMigrations(MIGRATIONS);
    const tenantSnapshot = await loadTenantSnapshot(MIGRATIONS, migrations);
    if (!tenantSnapshot) throw new Error('migrations/tenant-snapshot.sql is missing or stale: run npm run tenant-snapshot');
    const system: SystemDb = { db, pool, url: scratch.url, migrations, tenantSnapshot, embedded: null, close: async () => undefined };
    const passwordHash = await hashPassword(PASSWORD);
    const apiMemoryStart = process.memoryUsage();

    // 1. Provisioning, sequential, the way create-org does it (with an owner).
    const bucketSize = ORGS >= 2000 ? 1000 : Math.max(10, Math.ceil(ORGS / 10));
    const provisioning: number[] = [];
    const orgs: OrganizationRow[] = [];
    const owners: string[] = [];
    const operator = systemScope({ system }, 'bench');
    const provision = (slug: string) =>
      db.transaction().execute(async (trx) => {
        const org = await createOrganizationIn(trx, operator, { name: `Org ${slug}`, slug });
        const owner = await insertUser(trx, { organization_id: org.id, email: `owner@${slug}.test`, role: 'owner', password_hash: passwordHash });
        return { org, ownerId: owner.id };
      });
    const runStart = process.hrtime.bigint();
    const cpuStart = { node: process.cpuUsage(), server: await serverCpuMs(scratch.dataDir) };
    for (let i = 0; i < ORGS; i++) {
      const [{ org, ownerId }, elapsed] = await timed(() => provision(`org-${i}`));
      provisioning.push(elapsed);
      orgs.push(org);
      owners.push(ownerId);
      if ((i + 1) % bucketSize === 0 || i + 1 === ORGS) {
        const bucket = provisioning.slice(i + 1 - (((i + 1) % bucketSize) || bucketSize));
        log(`provisioned ${i + 1}/${ORGS}: bucket p50 ${round(percentile(bucket, 50))} ms, p99 ${round(percentile(bucket, 99))} ms`);
      }
    }
    const provisioningSeconds = round(ms(runStart) / 1000);
    const nodeCpu = process.cpuUsage(cpuStart.node);
    const serverCpuEnd = await serverCpuMs(scratch.dataDir);
    // The work one organization costs, whatever the wait for a core on a shared machine.
    const cpuPerOrg = {
      postgresMs: cpuStart.server === null || serverCpuEnd === null ? null : round((serverCpuEnd - cpuStart.server) / ORGS, 2),
      nodeMs: round((nodeCpu.user + nodeCpu.system) / 1000 / ORGS, 2),
    };
    const buckets = [];
    for (let from = 0; from < ORGS; from += bucketSize) {
      buckets.push({ from: from + 1, to: Math.min(ORGS, from + bucketSize), ...stats(provisioning.slice(from, from + bucketSize)) });
    }

    // 2. Concurrent provisioning (4 at once) with logins running beside it.
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'tenants-bench-')) });
    tempDirs.push(config.dataDir);
    const services = await createServices(config, createLogger('silent'), system);
    const anonymous: CallScope = { services, actor: null, requestId: 'bench', clientAddress: null };
    const CONCURRENT = 200;
    let next = 0;
    const concurrentLatencies: number[] = [];
    const loginsDuring: number[] = [];
    let provisioningDone = false;
    const [, concurrentMs] = await timed(async () => {
      const workers = Array.from({ length: 4 }, async () => {
        while (next < CONCURRENT) {
          const slug = `parallel-${next++}`;
          concurrentLatencies.push((await timed(() => provision(slug)))[1]);
        }
      });
      const loginLoop = (async () => {
        for (let i = 0; !provisioningDone; i++) {
          const email = `owner@org-${(i * 7919) % ORGS}.test`;
          loginsDuring.push((await timed(() => login(anonymous, { email, password: PASSWORD })))[1]);
        }
      })();
      await Promise.all(workers);
      provisioningDone = true;
      await loginLoop;
    });
    log(`concurrent provisioning: ${CONCURRENT} in ${round(concurrentMs / 1000)} s`);

    // 3. Logins and user updates at N organizations.
    const logins: number[] = [];
    for (let i = 0; i < 50; i++) {
      const email = `owner@org-${(i * 104729) % ORGS}.test`;
      logins.push((await timed(() => login(anonymous, { email, password: PASSWORD })))[1]);
    }
    const userUpdates: number[] = [];
    for (let i = 0; i < 1000; i++) userUpdates.push((await timed(() => recordLoginSuccess(db, owners[(i * 7919) % ORGS]!)))[1]);
    log(`login p50 ${percentile(logins, 50)} ms, user update p50 ${percentile(userUpdates, 50)} ms`);

    // 4. Migrations: nothing to do; one additive tenant section; a value set extended as an enum, and as CHECK constraints.
    const [, noopMigrateMs] = await timed(() => migrate(db, { dir: MIGRATIONS }));
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tenants-bench-migrations-'));
    tempDirs.push(dir);
    for (const name of await readdir(MIGRATIONS)) await copyFile(path.join(MIGRATIONS, name), path.join(dir, name));
    const latest = migrations.at(-1)!.version;
    const bump = (v: string, by: number) => v.replace(/\d+$/, (p) => String(Number(p) + by));
    const addFile = async (by: number, what: string, body: string) => {
      await writeFile(path.join(dir, `v${bump(latest, by - 1)}_to_v${bump(latest, by)}_${what}.sql`), `-- bench\n\n${body}\n`);
    };
    await addFile(1, 'bench_add_workspace_note', '-- target: tenant\nALTER TABLE workspaces ADD COLUMN bench_note text;');
    const [tenantReport, tenantMigrationMs] = await timed(() => migrate(db, { dir, tenantConcurrency: 4 }));
    log(`additive tenant migration over ${tenantReport.tenantApplied} organizations: ${round(tenantMigrationMs / 1000)} s`);
    await addFile(2, 'bench_add_job_status', "-- target: platform\nALTER TYPE datalinx_platform.job_status ADD VALUE 'bench_paused';");
    const [, enumExtensionMs] = await timed(() => migrate(db, { dir, tenantConcurrency: 4 }));
    await addFile(
      3,
      'bench_job_status_as_check',
      "-- target: tenant\nALTER TABLE pipeline_jobs ADD CONSTRAINT bench_status_in CHECK (status IN ('pending', 'running', 'completed', 'failed', 'cancelled', 'bench_paused'));",
    );
    const [checkReport, checkExtensionMs] = await timed(() => migrate(db, { dir, tenantConcurrency: 4 }));
    log(`value set: enum ${round(enumExtensionMs)} ms, CHECK over ${checkReport.tenantApplied} organizations ${round(checkExtensionMs / 1000)} s`);

    // 5. Removing a user, deleting organizations (manager and CLI).
    const victim = orgs[Math.floor(ORGS / 2)]!;
    const tenant = new Tenant(db, victim);
    const member = await insertUser(db, { organization_id: victim.id, email: 'member@victim.test', role: 'editor' });
    const workspace = await insertWorkspace(tenant.db, { name: 'W' });
    for (let i = 0; i < 10; i++) await insertPipelineJob(tenant.db, { workspace_id: workspace.id, job_type: 'incremental', created_by: member.id });
    const ownerScope = {
      services,
      actor: { kind: 'user' as const, id: owners[Math.floor(ORGS / 2)]!, organizationId: victim.id, role: 'owner' as const },
      tenant,
      requestId: 'bench',
      clientAddress: null,
    };
    const [, removeUserMs] = await timed(() => removeUser(ownerScope, member.id));
    const deletions: number[] = [];
    for (const org of orgs.slice(0, 5)) deletions.push((await timed(() => deleteOrganization(operator, org.id)))[1]);
    const cliEnv = { ...process.env, DATABASE_URL: scratch.url, MIGRATIONS_DIR: dir, LOG_LEVEL: 'error', DB_POOL_MIN: '0' };
    // The compiled CLI when built (as production runs it), else through tsx; its
    // bare start (usage, exit 2) is timed too, so the command's own work shows.
    const cli = existsSync('dist/admin/admin.cli.js') ? ['dist/admin/admin.cli.js'] : ['--import', 'tsx', 'src/admin/admin.cli.ts'];
    const [, cliStartMs] = await timed(() => run(process.execPath, cli, { env: cliEnv }).catch(() => undefined));
    const [, deleteOrgCliMs] = await timed(() => run(process.execPath, [...cli, 'delete-org', '--slug', orgs[5]!.slug], { env: cliEnv }));
    log(`removeUser ${round(removeUserMs)} ms, deleteOrganization p50 ${percentile(deletions, 50)} ms, delete-org CLI ${round(deleteOrgCliMs)} ms (start alone ${round(cliStartMs)} ms)`);

    // 6. Memory: one backend reading the dashboard tables of more and more organizations.
    const client = new pg.Client({ connectionString: scratch.url });
    client.on('error', (err) => log(`memory probe connection: ${err.message}`));
    await client.connect();
    const memory: { schemasTouched: number; totalKiB: number; cacheKiB: number }[] = [{ schemasTouched: 0, ...(await backendMemory(client)) }];
    const live = orgs.slice(6);
    const marks = [100, 1000, 2500, 5000, 10_000].filter((m) => m < live.length).concat(live.length);
    let touched = 0;
    for (const mark of marks) {
      for (; touched < mark; touched++) await touchSchema(client, live[touched]!.schema_name);
      memory.push({ schemasTouched: touched, ...(await backendMemory(client)) });
      log(`backend memory after ${touched} schemas: ${memory.at(-1)!.totalKiB} KiB`);
    }
    await client.end();
    const last = memory.at(-1)!;
    const perSchemaKiB = round((last.totalKiB - memory[0]!.totalKiB) / Math.max(1, last.schemasTouched), 1);
    const apiMemoryEnd = process.memoryUsage();
    load.end = os.loadavg().map((l) => round(l, 2));

    const results = {
      scenario: 'tenants',
      orgs: ORGS,
      startedAt: startedAt.toISOString(),
      machine: {
        cores: os.cpus().length,
        cpu: os.cpus()[0]?.model ?? 'unknown',
        memoryGiB: round(os.totalmem() / 2 ** 30),
        loadAverage: load,
        node: process.version,
        postgres: pgVersion,
        database: scratch.where,
        maxLocksPerTransaction: Number(maxLocks),
      },
      provisioning: { ...stats(provisioning), seconds: provisioningSeconds, cpuPerOrg, bucketSize, buckets },
      concurrentProvisioning: { workers: 4, orgs: CONCURRENT, seconds: round(concurrentMs / 1000, 2), ...stats(concurrentLatencies), loginsDuring: stats(loginsDuring) },
      login: stats(logins),
      userUpdate: stats(userUpdates),
      migrate: {
        noopMs: round(noopMigrateMs),
        additiveTenantMigration: { organizations: tenantReport.tenantApplied, seconds: round(tenantMigrationMs / 1000, 2), perSecond: round(tenantReport.tenantApplied / (tenantMigrationMs / 1000)) },
        valueSetAsEnumMs: round(enumExtensionMs),
        valueSetAsCheckConstraints: { organizations: checkReport.tenantApplied, seconds: round(checkExtensionMs / 1000, 2) },
      },
      removeUserMs: round(removeUserMs),
      deleteOrganization: stats(deletions),
      deleteOrgCliMs: round(deleteOrgCliMs),
      cliStartMs: round(cliStartMs),
      cliCompiled: cli[0] !== '--import',
      memory: {
        api: { rssMiBStart: round(apiMemoryStart.rss / 2 ** 20), rssMiBEnd: round(apiMemoryEnd.rss / 2 ** 20), heapUsedMiBEnd: round(apiMemoryEnd.heapUsed / 2 ** 20) },
        postgresBackend: memory,
        perSchemaTouchedKiB: perSchemaKiB,
      },
    };
    await mkdir(args.out!, { recursive: true });
    await writeFile(path.join(args.out!, 'tenants.json'), `${JSON.stringify(results, null, 2)}\n`);
    await writeFile(path.join(args.out!, 'tenants.md'), markdown(results));
    log(`wrote ${args.out}/tenants.json and tenants.md`);
  } finally {
    await db.destroy();
    await scratch.drop();
    await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

type Results = Record<string, unknown> & {
  orgs: number;
  startedAt: string;
  machine: { cores: number; cpu: string; memoryGiB: number; loadAverage: { start: number[]; end: number[] }; node: string; postgres: string; database: string; maxLocksPerTransaction: number };
  provisioning: ReturnType<typeof stats> & { seconds: number; cpuPerOrg: { postgresMs: number | null; nodeMs: number }; bucketSize: number; buckets: (ReturnType<typeof stats> & { from: number; to: number })[] };
  concurrentProvisioning: ReturnType<typeof stats> & { workers: number; orgs: number; seconds: number; loginsDuring: ReturnType<typeof stats> };
  login: ReturnType<typeof stats>;
  userUpdate: ReturnType<typeof stats>;
  migrate: { noopMs: number; additiveTenantMigration: { organizations: number; seconds: number; perSecond: number }; valueSetAsEnumMs: number; valueSetAsCheckConstraints: { organizations: number; seconds: number } };
  removeUserMs: number;
  deleteOrganization: ReturnType<typeof stats>;
  deleteOrgCliMs: number;
  cliStartMs: number;
  cliCompiled: boolean;
  memory: { api: { rssMiBStart: number; rssMiBEnd: number; heapUsedMiBEnd: number }; postgresBackend: { schemasTouched: number; totalKiB: number; cacheKiB: number }[]; perSchemaTouchedKiB: number };
};

function markdown(r: Results): string {
  const m = r.machine;
  const row = (name: string, s: ReturnType<typeof stats>) => `| ${name} | ${s.n} | ${s.p50} | ${s.p99} | ${s.max} |`;
  return [
    `# tenants benchmark: ${r.orgs} organizations`,
    '',
    `Run ${r.startedAt} with \`tsx bench/tenants.ts --orgs ${r.orgs}\` on ${m.cores} cores (${m.cpu}), ${m.memoryGiB} GiB, Node ${m.node},`,
    `PostgreSQL ${m.postgres} (${m.database}, default max_locks_per_transaction = ${m.maxLocksPerTransaction}).`,
    `The machine is shared: load average ${m.loadAverage.start.join(' / ')} at the start, ${m.loadAverage.end.join(' / ')} at the end (1 / 5 / 15 min).`,
    '',
    '## Latency (ms)',
    '',
    '| what | n | p50 | p99 | max |',
    '| --- | --- | --- | --- | --- |',
    row('provision an organization (sequential, whole run)', r.provisioning),
    row(`provision, ${r.concurrentProvisioning.workers} at once`, r.concurrentProvisioning),
    row('login while those provision', r.concurrentProvisioning.loginsDuring),
    row(`login at ${r.orgs} organizations (argon2 included)`, r.login),
    row('user update (`last_login_at`)', r.userUpdate),
    row('deleteOrganization', r.deleteOrganization),
    '',
    `Sequential provisioning of ${r.orgs} organizations took ${r.provisioning.seconds} s; ${r.concurrentProvisioning.orgs} more with ${r.concurrentProvisioning.workers} workers took ${r.concurrentProvisioning.seconds} s.`,
    `CPU time per organization (the work itself, without waiting for a core): PostgreSQL ${r.provisioning.cpuPerOrg.postgresMs ?? 'n/a'} ms, Node ${r.provisioning.cpuPerOrg.nodeMs} ms.`,
    '',
    `## Provisioning per ${r.provisioning.bucketSize} organizations (ms)`,
    '',
    '| organizations | p50 | p99 | max |',
    '| --- | --- | --- | --- |',
    ...r.provisioning.buckets.map((b) => `| ${b.from}–${b.to} | ${b.p50} | ${b.p99} | ${b.max} |`),
    '',
    '## Migrations and deletions',
    '',
    '| what | time |',
    '| --- | --- |',
    `| \`migrate\` with nothing to do | ${r.migrate.noopMs} ms |`,
    `| one additive tenant section over ${r.migrate.additiveTenantMigration.organizations} organizations | ${r.migrate.additiveTenantMigration.seconds} s (${r.migrate.additiveTenantMigration.perSecond}/s) |`,
    `| extend a value set: \`ALTER TYPE … ADD VALUE\` (chosen) | ${r.migrate.valueSetAsEnumMs} ms |`,
    `| extend a value set as CHECK constraints in every tenant (alternative) | ${r.migrate.valueSetAsCheckConstraints.seconds} s |`,
    `| removeUser (with 10 jobs to clear) | ${r.removeUserMs} ms |`,
    `| \`${r.cliCompiled ? 'node dist/admin/admin.cli.js' : 'npm run admin --'} delete-org\` (whole process, start included) | ${r.deleteOrgCliMs} ms |`,
    `| the same CLI starting and printing its usage (Node, module loading) | ${r.cliStartMs} ms |`,
    '',
    '## Memory',
    '',
    `API process (this benchmark, same managers and pool): RSS ${r.memory.api.rssMiBStart} MiB at the start, ${r.memory.api.rssMiBEnd} MiB at the end (heap ${r.memory.api.heapUsedMiBEnd} MiB).`,
    '',
    'One PostgreSQL backend reading the four tenant tables of more and more organizations (`pg_backend_memory_contexts`):',
    '',
    '| schemas touched | backend total (KiB) | catalog caches (KiB) |',
    '| --- | --- | --- |',
    ...r.memory.postgresBackend.map((p) => `| ${p.schemasTouched} | ${p.totalKiB} | ${p.cacheKiB} |`),
    '',
    `About ${r.memory.perSchemaTouchedKiB} KiB per tenant schema a connection has touched; it is only given back when the connection closes.`,
    '',
  ].join('\n');
}

main().catch((err: unknown) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
