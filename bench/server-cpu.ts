import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * CPU time (ms) a local PostgreSQL has used so far: the postmaster, the
 * backends it already reaped and the live ones, from /proc. On a shared
 * machine this is the work a step costs, apart from the time spent waiting
 * for a core; null when the server is not local (Linux only).
 */
export async function serverCpuMs(dataDir: string | null): Promise<number | null> {
  if (!dataDir || process.platform !== 'linux') return null;
  const pid = Number.parseInt((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0]!, 10);
  const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
  const fields = async (p: string) => {
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => null);
    // after "pid (comm) ": state ppid … utime(14) stime(15) cutime(16) cstime(17), 1-based
    return stat ? stat.slice(stat.lastIndexOf(')') + 2).split(' ') : null;
  };
  const own = await fields(String(pid));
  if (!own) return null;
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || entry === String(pid)) continue;
    const f = await fields(entry);
    if (f && Number(f[1]) === pid) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / ticksPerMs;
}
