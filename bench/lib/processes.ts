import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';

/** A port nobody listens on right now (the machine is shared). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export interface ProbeStats {
  statements: number;
  recent: { text: string; values: unknown[] }[];
  /** Statement texts and how often each was sent (BENCH_TALLY=1 only), most frequent first. */
  tally: [string, number][];
  eventLoopDelayMs: { max: number; p50: number; p99: number; mean: number };
  rssMb: number;
  maxRssMb: number;
  heapUsedMb: number;
  cpuMs: number;
}

/** A server in its own process, measured by bench/probe.ts over IPC. */
export class BenchProcess {
  private constructor(
    readonly name: string,
    readonly url: string,
    private readonly child: ChildProcess,
  ) {}

  /**
   * Starts `script` under tsx with the probe preloaded (or with `execArgv`,
   * the compiled API's) and waits until `url` answers `readyPath`. `nodeArgs`
   * adds e.g. --cpu-prof.
   */
  static async start(
    name: string,
    script: string,
    opts: { port: number; env: NodeJS.ProcessEnv; readyPath: string; nodeArgs?: string[]; cwd?: string; execArgv?: string[] },
  ): Promise<BenchProcess> {
    const child = fork(script, [], {
      cwd: opts.cwd,
      execArgv: [...(opts.execArgv ?? ['--import', 'tsx', '--import', path.resolve('bench/probe.ts')]), ...(opts.nodeArgs ?? [])],
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const url = `http://127.0.0.1:${opts.port}`;
    const started = new BenchProcess(name, url, child);
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(`${name} exited with code ${code} before it was ready`);
    });
    const deadline = Date.now() + 120_000;
    for (;;) {
      const ready = await Promise.race([
        fetch(url + opts.readyPath).then((r) => r.ok, () => false),
        exited,
      ]);
      if (ready) return started;
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${name} did not answer ${opts.readyPath} within 120 s`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private ask<T>(type: string): Promise<T> {
    return new Promise((resolve) => {
      const onMessage = (m: { type: string }) => {
        if (m.type !== type) return;
        this.child.off('message', onMessage);
        resolve(m as T);
      };
      this.child.on('message', onMessage);
      this.child.send({ type });
    });
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null && this.child.connected;
  }

  reset(): Promise<void> {
    return this.ask('reset').then(() => undefined);
  }

  stats(): Promise<ProbeStats> {
    return this.ask<ProbeStats>('stats');
  }

  /** SIGTERM (the server's graceful shutdown writes --cpu-prof files), SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = once(this.child, 'exit');
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
