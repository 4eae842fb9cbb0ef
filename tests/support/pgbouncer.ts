import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort, postgresIds } from './pg-cluster.js';

export const PGBOUNCER = '/usr/sbin/pgbouncer';
export const pgbouncerInstalled = () => existsSync(PGBOUNCER);

export interface Bouncer {
  port: number;
  /** The same URL as `serverUrl`, through PgBouncer. */
  url(serverUrl: string): string;
  stop(): Promise<void>;
}

/**
 * PgBouncer in transaction pooling in front of `serverUrl`'s PostgreSQL, with
 * few server connections so that clients share them. `statement_timeout` is
 * ignored as a startup parameter (PgBouncer cannot forward it; README says how
 * to set it on the role instead).
 */
export async function startPgBouncer(serverUrl: string, poolSize = 3): Promise<Bouncer> {
  const server = new URL(serverUrl);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'datalinx-pgbouncer-'));
  await chmod(dir, 0o755);
  const port = freePort();
  const user = decodeURIComponent(server.username);
  await writeFile(path.join(dir, 'userlist.txt'), `"${user}" "${decodeURIComponent(server.password)}"\n`);
  await writeFile(
    path.join(dir, 'pgbouncer.ini'),
    `[databases]
* = host=${server.hostname} port=${server.port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${port}
unix_socket_dir =
auth_type = scram-sha-256
auth_file = ${dir}/userlist.txt
pool_mode = transaction
default_pool_size = ${poolSize}
max_client_conn = 500
ignore_startup_parameters = extra_float_digits,statement_timeout
logfile = ${dir}/pgbouncer.log
`,
  );
  const ids = postgresIds(); // PgBouncer refuses to run as root
  if (ids) for (const f of ['', 'userlist.txt', 'pgbouncer.ini']) await chown(path.join(dir, f), ids.uid, ids.gid);
  const child: ChildProcess = spawn(PGBOUNCER, [path.join(dir, 'pgbouncer.ini')], { ...(ids ?? {}), stdio: 'ignore' });
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => (s.end(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || i > 100) throw new Error(`pgbouncer did not start (see ${dir}/pgbouncer.log)`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    url: (serverUrl_) => {
      const u = new URL(serverUrl_);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async stop() {
      child.kill('SIGINT');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
