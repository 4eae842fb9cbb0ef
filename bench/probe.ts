/**
 * Preloaded into the API process by the benchmark (`node --import
 * bench/.build/probe.mjs dist/main.js`, see lib/compiled-api.ts): the server
 * runs unchanged while this measures it from inside — event-loop delay (perf_hooks), resident
 * memory, and every SQL statement sent through pg — and answers the runner
 * over the IPC channel.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import pg from 'pg';

// The histogram records the time between runs of its timer, the resolution included: sampled every
// 10 ms, an idle process records 10 ms and one 30 ms block 30–40. Sampled every millisecond, the
// largest value is the longest turn within 1 ms (bench/README.md, "Event-loop delay").
const delay = monitorEventLoopDelay({ resolution: 1 });
delay.enable();

let statements = 0;
/** With BENCH_TALLY=1: how often each statement text (its first 160 characters) was sent, for the worker scenario's breakdown. */
const tallying = process.env.BENCH_TALLY === '1';
let tally = new Map<string, number>();
let recent: { text: string; values: unknown[] }[] = [];
let maxRss = process.memoryUsage.rss();
let cpuAtReset = process.cpuUsage();
setInterval(() => {
  maxRss = Math.max(maxRss, process.memoryUsage.rss());
}, 100).unref();

type QueryArgs = [string | { text: string; values?: unknown[] }, unknown?, unknown?];
const query = pg.Client.prototype.query as (...args: QueryArgs) => unknown;
pg.Client.prototype.query = function countedQuery(this: pg.Client, ...args: QueryArgs) {
  statements += 1;
  const [first, second] = args;
  const text = typeof first === 'string' ? first : first?.text;
  if (tallying && text !== undefined) {
    const key = text.replace(/\s+/g, ' ').slice(0, 160);
    tally.set(key, (tally.get(key) ?? 0) + 1);
  }
  if (text !== undefined && recent.length < 50) {
    const values = typeof first === 'object' && first.values ? first.values : Array.isArray(second) ? second : [];
    recent.push({ text, values });
  }
  return query.apply(this, args);
} as typeof pg.Client.prototype.query;

const ms = (ns: number) => Math.round((ns / 1e6) * 100) / 100;

process.on('message', (message: { type: string }) => {
  if (message.type === 'reset') {
    statements = 0;
    recent = [];
    tally = new Map();
    delay.reset();
    maxRss = process.memoryUsage.rss();
    cpuAtReset = process.cpuUsage();
    process.send?.({ type: 'reset' });
  } else if (message.type === 'stats') {
    const memory = process.memoryUsage();
    process.send?.({
      type: 'stats',
      statements,
      recent,
      tally: [...tally].sort((a, b) => b[1] - a[1]).slice(0, 60),
      eventLoopDelayMs: { max: ms(delay.max), p50: ms(delay.percentile(50)), p99: ms(delay.percentile(99)), mean: ms(delay.mean) },
      rssMb: Math.round(memory.rss / 2 ** 20),
      maxRssMb: Math.round(Math.max(maxRss, memory.rss) / 2 ** 20),
      heapUsedMb: Math.round(memory.heapUsed / 2 ** 20),
      // CPU this process used since the last reset (user + system), ms.
      cpuMs: (() => {
        const d = process.cpuUsage(cpuAtReset);
        return Math.round((d.user + d.system) / 1000);
      })(),
    });
  }
});
// The channel must not keep the server alive on its own.
process.channel?.unref();
