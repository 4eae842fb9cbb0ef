import { spawn, type ChildProcess } from 'node:child_process';
import type { TestServer } from './test-server.js';

/** A worker process (`npm run worker`'s entry) and what it printed. */
export interface WorkerProcess {
  child: ChildProcess;
  output: string[];
}

/** Resolves with the exit code once the process has ended (at once when it already has). */
export const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.on('exit', (code) => resolve(code)));

/**
 * For a test file: starts real worker processes against the test server's
 * database (short poll, cancel-check and supervision periods), and kills
 * whichever are still running after the file's tests.
 */
export function useWorkers(server: TestServer, keyring: string): { start(env?: Record<string, string>): WorkerProcess; all: ChildProcess[] } {
  const all: ChildProcess[] = [];
  afterAll(async () => {
    for (const w of all) if (w.exitCode === null) w.kill('SIGKILL');
    await Promise.all(all.map(exited));
  });
  const start = (env: Record<string, string> = {}): WorkerProcess => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/worker/worker.cli.ts'], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        DATABASE_URL: server.db.url,
        KEYRING: keyring,
        JWT_SECRET: 'x'.repeat(40),
        MIGRATE_ON_START: 'false',
        WORKER_POLL_SECONDS: '0.5',
        JOB_CANCEL_CHECK_MS: '100',
        JOB_SUPERVISE_SECONDS: '2',
        JOB_HEARTBEAT_SECONDS: '10',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    all.push(child);
    return { child, output };
  };
  return { start, all };
}

/** Polls `probe` every 200 ms until it returns a truthy value (returned), or fails after `ms`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 60_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
