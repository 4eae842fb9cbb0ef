import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import type { Row, ScenarioResult } from '../scenarios/scenario.js';
import { ROUNDS } from './harness.js';

/** Where and on what the numbers were taken: they mean little without it. */
export function environment(postgresVersion: string) {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    // not a git checkout
  }
  return {
    date: new Date().toISOString(),
    commit,
    node: process.version,
    postgres: postgresVersion,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    loadAverageAtEnd: [] as number[],
    database: process.env.DATABASE_URL ? 'DATABASE_URL (external server, fresh database)' : 'embedded PostgreSQL',
    seconds: Number(process.env.BENCH_SECONDS ?? 5),
    rounds: ROUNDS,
  };
}

const cell = (v: unknown) => (v === null || v === undefined ? '–' : String(v));
const cpu = (v: { node: number | null; postgres: number | null } | null | undefined) =>
  v ? `${cell(v.node)} + ${cell(v.postgres)}` : '–';

function table(rows: Row[]): string {
  const head = '| case | conns | API req/s | floor req/s | × floor | API p50 ms | API p99 ms | floor p99 ms | SQL/req | loop delay max ms | API RSS MB | API CPU ms/req (node + pg) | floor CPU ms/req (node + pg) | errors |';
  const sep = '|' + ' --- |'.repeat(14);
  const lines = rows.map(
    (r) =>
      `| ${r.case} | ${r.connections} | ${r.apiRequestsPerSecond} | ${cell(r.floorRequestsPerSecond)} | ${cell(r.ratioToFloor)} | ${r.apiP50Ms} | ${r.apiP99Ms} | ${cell(r.floorP99Ms)} | ${cell(r.sqlPerRequest)} | ${cell(r.eventLoopDelayMaxMs)} | ${cell(r.apiRssMb)} | ${cpu(r.apiCpuMsPerRequest)} | ${cpu(r.floorCpuMsPerRequest)} | ${r.errors} |`,
  );
  return [head, sep, ...lines].join('\n');
}

export function markdown(env: ReturnType<typeof environment>, results: Record<string, ScenarioResult | { missing: string }>): string {
  const out = [
    '# Benchmark results',
    '',
    `${env.date} · commit ${env.commit} · Node ${env.node} · PostgreSQL ${env.postgres} (${env.database}) · ${env.cpus} × ${env.cpuModel} · ${env.memoryGb} GiB · ${env.seconds} s per case (longer where a scenario says), after a warm-up, the API and its floor alternating in ${env.rounds} rounds`,
    '',
    `Load average at start ${env.loadAverageAtStart.join(' / ')}, at end ${env.loadAverageAtEnd.join(' / ')} (1/5/15 min): the machine is shared, so absolute figures drift; compare the × floor column, measured in the same run. Written by \`npm run bench\`; see bench/README.md.`,
    '',
  ];
  for (const [name, result] of Object.entries(results)) {
    out.push(`## ${name}`, '');
    if ('missing' in result) {
      out.push(result.missing, '');
      continue;
    }
    if (result.rows.length) out.push(table(result.rows), '');
    if (result.targets.length) {
      out.push('| target | goal | measured | |', '| --- | --- | --- | --- |');
      for (const t of result.targets) out.push(`| ${t.name} | ${t.goal} | ${t.value} | ${t.met ? 'met' : '**not met**'} |`);
      out.push('');
    }
    for (const n of result.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}

/** bench/results/<name>.json and .md: the latest run of each, committed. */
export async function writeResults(name: string, env: ReturnType<typeof environment>, results: Record<string, ScenarioResult | { missing: string }>) {
  await mkdir('bench/results', { recursive: true });
  await writeFile(`bench/results/${name}.json`, JSON.stringify({ environment: env, results }, null, 2) + '\n');
  await writeFile(`bench/results/${name}.md`, markdown(env, results));
}
