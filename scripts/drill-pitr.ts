/**
 * Point-in-time recovery drill, for real: a throwaway PostgreSQL cluster with
 * WAL archiving, the Datalinx schema migrated into it, organizations with data,
 * a base backup, more changes, a noted time, an organization deleted through
 * the application's own code, then recovery of the base backup plus archived
 * WAL to the noted time in a second data directory, and a check that the
 * organization and all its data are back. Cleans up after itself; a failure is
 * one line naming the step.
 *
 *   npm run drill:pitr            (PG_BIN=/usr/lib/postgresql/15/bin to choose the server)
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { systemScope } from '../src/auth/scope.js';
import { createDb, createPool } from '../src/db/connection.js';
import type { PlatformDatabase } from '../src/db/database.js';
import { loadMigrations } from '../src/db/migration-files.js';
import { migrate } from '../src/db/migrator.js';
import { insertMapping, countMappings } from '../src/mappings/mapping.dao.js';
import * as organizations from '../src/organizations/organization.manager.js';
import { Tenant } from '../src/tenancy/tenant.js';
import { countWorkspaces, insertWorkspace } from '../src/workspaces/workspace.dao.js';

const run = promisify(execFile);
const MIGRATIONS_DIR = 'migrations';
const POOL = { min: 0, max: 4, maxUses: 0, idleTimeoutMillis: 5_000, connectionTimeoutMillis: 10_000, statementTimeoutMillis: 60_000 };

let step = 'starting';
const say = (line: string) => console.log(`drill:pitr  ${line}`);

function serverBin(): string {
  const chosen = process.env.PG_BIN;
  if (chosen) return chosen;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(path.join(root, v, 'bin', 'pg_basebackup'))) : [];
  const newest = versions.sort((a, b) => Number(a) - Number(b)).at(-1);
  if (!newest) throw new Error('no PostgreSQL server found under /usr/lib/postgresql (apt-get install postgresql-15, or set PG_BIN)');
  return path.join(root, newest, 'bin');
}

const BIN = serverBin();
const asRoot = process.getuid?.() === 0;

/** Runs a program as the postgres user (PostgreSQL refuses root); the error is its last line of stderr. */
async function asPostgres(file: string, args: string[]): Promise<string> {
  const program = path.basename(file);
  const [cmd, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', file, ...args]] : [file, args];
  try {
    const { stdout } = await run(cmd, argv, { maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    const stderr = String((err as { stderr?: string }).stderr ?? '').trim().split('\n').at(-1);
    throw new Error(`${program} failed${stderr ? `: ${stderr}` : ''}`);
  }
}

const pg = (program: string, args: string[]) => asPostgres(path.join(BIN, program), args);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function postgresOwner(): Promise<{ uid: number; gid: number } | null> {
  if (!asRoot) return null;
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, seconds: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds}s waiting for ${what}`);
    await sleep(200);
  }
}

interface Cluster {
  dataDir: string;
  port: number;
  running: boolean;
}

async function startCluster(cluster: Cluster, log: string): Promise<void> {
  await pg('pg_ctl', ['-D', cluster.dataDir, '-l', log, '-w', '-t', '120', 'start']);
  cluster.running = true;
}

async function stopCluster(cluster: Cluster, mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
  if (!cluster.running) return;
  await pg('pg_ctl', ['-D', cluster.dataDir, '-m', mode, '-w', 'stop']);
  cluster.running = false;
}

function open(port: number, database = 'datalinx'): { db: Kysely<PlatformDatabase>; close: () => Promise<void> } {
  const db = createDb(createPool(`postgresql://postgres@127.0.0.1:${port}/${database}`, POOL));
  return { db, close: () => db.destroy() };
}

async function addMappings(db: Kysely<PlatformDatabase>, org: { id: string; slug: string; schema_name: string }, workspaceId: string, from: number, count: number) {
  const tenant = new Tenant(db, org);
  for (let i = from; i < from + count; i++) {
    await insertMapping(tenant.db, {
      workspace_id: workspaceId,
      source_table: `crm.table_${i}`,
      target_table: `dim_${i}`,
      field_mappings: { id: { source: 'id', transform: null } },
    });
  }
}

async function drill(tmp: string, owner: { uid: number; gid: number } | null): Promise<void> {
  const archive = path.join(tmp, 'wal-archive');
  const base = path.join(tmp, 'base');
  const primary: Cluster = { dataDir: path.join(tmp, 'primary'), port: await freePort(), running: false };
  const restored: Cluster = { dataDir: path.join(tmp, 'restored'), port: await freePort(), running: false };
  const give = async (p: string) => owner && chown(p, owner.uid, owner.gid);
  try {
    step = 'initdb';
    await mkdir(archive);
    await give(archive);
    await pg('initdb', ['-D', primary.dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-instructions']);
    await appendFile(primary.dataDir + '/postgresql.conf', [
      '',
      '# datalinx PITR drill',
      `port = ${primary.port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${tmp}'`,
      'wal_level = replica',
      'archive_mode = on',
      `archive_command = 'test ! -f ${archive}/%f && cp %p ${archive}/%f'`,
      'max_wal_senders = 4',
      '',
    ].join('\n'));
    step = 'start primary';
    await startCluster(primary, path.join(tmp, 'primary.log'));
    say(`primary PostgreSQL (${BIN}) on port ${primary.port}, WAL archived to ${archive}`);

    step = 'migrate';
    const admin = open(primary.port, 'postgres');
    await sql`create database datalinx`.execute(admin.db);
    await admin.close();
    let conn = open(primary.port);
    const migrations = await loadMigrations(MIGRATIONS_DIR);
    await migrate(conn.db, { dir: MIGRATIONS_DIR });
    const deps = systemScope({ system: { db: conn.db, migrations } }, 'drill-pitr');

    step = 'seed';
    const acme = await organizations.createOrganization(deps, { name: 'Drill Acme', slug: 'drill-acme' });
    const keep = await organizations.createOrganization(deps, { name: 'Drill Keep', slug: 'drill-keep' });
    const ws = await insertWorkspace(new Tenant(conn.db, acme).db, { name: 'Sales' });
    await addMappings(conn.db, acme, ws.id, 0, 20);
    await insertWorkspace(new Tenant(conn.db, keep).db, { name: 'Ops' });

    step = 'base backup';
    await pg('pg_basebackup', ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', base, '-X', 'stream', '-c', 'fast']);
    say('base backup taken (pg_basebackup)');

    step = 'changes after the base backup';
    const ws2 = await insertWorkspace(new Tenant(conn.db, acme).db, { name: 'Marketing' });
    await addMappings(conn.db, acme, ws2.id, 20, 15);
    const expected = { workspaces: 2, mappings: 35 };
    const { rows } = await sql<{ t: string }>`select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00' as t`.execute(conn.db);
    const target = rows[0]!.t;
    say(`changes made after the backup; noted time ${target}`);
    await sleep(1100);

    step = 'destructive change';
    await organizations.deleteOrganization(deps, acme.id);
    const gone = await organizations.findOrganizationBySlug(deps, 'drill-acme').then(() => false, () => true);
    if (!gone) throw new Error('drill-acme is still there after its deletion');
    say('organization drill-acme deleted through the application (schema dropped, rows gone)');
    const { rows: wal } = await sql<{ file: string }>`select pg_walfile_name(pg_current_wal_lsn()) as file`.execute(conn.db);
    await sql`select pg_switch_wal()`.execute(conn.db);
    await waitFor('the WAL to be archived', 60, async () => {
      const { rows: archived } = await sql<{ last: string | null }>`select last_archived_wal as last from pg_stat_archiver`.execute(conn.db);
      const last = archived[0]?.last;
      return last && last >= wal[0]!.file ? last : null;
    });
    await conn.close();
    step = 'stop primary';
    await stopCluster(primary);

    step = 'recover';
    await asPostgres('/bin/cp', ['-a', base, restored.dataDir]);
    await appendFile(restored.dataDir + '/postgresql.conf', [
      '',
      '# datalinx PITR drill: recovery',
      `port = ${restored.port}`,
      'archive_mode = off',
      `restore_command = 'cp ${archive}/%f %p'`,
      `recovery_target_time = '${target}'`,
      "recovery_target_action = 'promote'",
      '',
    ].join('\n'));
    await writeFile(path.join(restored.dataDir, 'recovery.signal'), '');
    await give(path.join(restored.dataDir, 'recovery.signal'));
    await startCluster(restored, path.join(tmp, 'restored.log'));
    conn = open(restored.port);
    await waitFor('recovery to reach the target and promote', 120, async () => {
      const { rows: r } = await sql<{ recovering: boolean }>`select pg_is_in_recovery() as recovering`.execute(conn.db);
      return r[0]!.recovering ? null : true;
    });
    say(`recovered the base backup plus archived WAL to ${target} on port ${restored.port}`);

    step = 'verify';
    const back = await organizations.findOrganizationBySlug(systemScope({ system: { db: conn.db, migrations } }, 'drill-pitr'), 'drill-acme');
    if (back.id !== acme.id) throw new Error('drill-acme came back with another id');
    const tenant = new Tenant(conn.db, back);
    const found = { workspaces: await countWorkspaces(tenant.db), mappings: await countMappings(tenant.db, {}) };
    if (found.workspaces !== expected.workspaces || found.mappings !== expected.mappings) {
      throw new Error(`drill-acme is back with ${found.workspaces} workspaces and ${found.mappings} mappings, expected ${expected.workspaces} and ${expected.mappings}`);
    }
    await organizations.findOrganizationBySlug(systemScope({ system: { db: conn.db, migrations } }, 'drill-pitr'), 'drill-keep');
    await conn.close();
    say(`drill-acme is back with its ${found.workspaces} workspaces and ${found.mappings} mappings (${expected.mappings - 20} of them made after the base backup)`);
  } finally {
    await stopCluster(restored, 'immediate').catch(() => {});
    await stopCluster(primary, 'immediate').catch(() => {});
  }
}

const tmp = await mkdtemp(path.join(os.tmpdir(), 'datalinx-pitr-'));
let failed = false;
try {
  const owner = await postgresOwner();
  if (owner) await chown(tmp, owner.uid, owner.gid);
  await drill(tmp, owner);
  say('passed');
} catch (err) {
  failed = true;
  console.error(`drill:pitr failed at "${step}": ${(err as Error).message.split('\n')[0]}`);
} finally {
  if (process.env.DRILL_KEEP === '1') say(`kept ${tmp}`);
  else await rm(tmp, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
