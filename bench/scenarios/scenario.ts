import { ROUNDS, SECONDS, type ApiRunStats, type CpuPerRequest, type GraphQLRequest, type Harness, type LoadResult } from '../lib/harness.js';

/** A target from issue 10: reported as met or not, never asserted by a test. */
export interface Target {
  name: string;
  goal: string;
  value: string;
  met: boolean;
}

/** One line of a scenario's table: the API beside the floor, same requests, same run. */
export interface Row {
  case: string;
  connections: number;
  apiRequestsPerSecond: number;
  floorRequestsPerSecond: number | null;
  ratioToFloor: number | null;
  apiP50Ms: number;
  apiP99Ms: number;
  floorP99Ms: number | null;
  sqlPerRequest: number | null;
  eventLoopDelayMaxMs: number | null;
  apiRssMb: number | null;
  /** CPU per request, ms, of the server process and of PostgreSQL: a cost the machine's load barely changes. */
  apiCpuMsPerRequest?: { node: number | null; postgres: number | null } | null;
  floorCpuMsPerRequest?: { node: number | null; postgres: number | null } | null;
  errors: number;
}

export interface ScenarioResult {
  rows: Row[];
  targets: Target[];
  notes: string[];
  details?: Record<string, unknown>;
}

export interface Scenario {
  name: string;
  description: string;
  /** Not runnable yet: why. */
  pending?: string;
  run(h: Harness, args: string[]): Promise<ScenarioResult>;
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Joins an API run and a floor run of the same case into one row. */
const cpuOf = (r: Partial<CpuPerRequest> | null) =>
  r && r.processCpuMsPerRequest !== undefined ? { node: r.processCpuMsPerRequest ?? null, postgres: r.postgresCpuMsPerRequest ?? null } : null;

export function row(
  name: string,
  api: LoadResult & Partial<ApiRunStats> & Partial<CpuPerRequest>,
  floor: (LoadResult & Partial<CpuPerRequest>) | null,
  sqlPerRequest: number | null,
): Row {
  return {
    case: name,
    connections: api.connections,
    apiRequestsPerSecond: api.requestsPerSecond,
    floorRequestsPerSecond: floor?.requestsPerSecond ?? null,
    ratioToFloor: floor && floor.requestsPerSecond ? round2(api.requestsPerSecond / floor.requestsPerSecond) : null,
    apiP50Ms: api.p50Ms,
    apiP99Ms: api.p99Ms,
    floorP99Ms: floor?.p99Ms ?? null,
    sqlPerRequest,
    eventLoopDelayMaxMs: api.eventLoopDelayMaxMs ?? null,
    apiRssMb: api.maxRssMb ?? null,
    apiCpuMsPerRequest: cpuOf(api),
    floorCpuMsPerRequest: cpuOf(floor),
    errors: api.errors + (floor?.errors ?? 0),
  };
}

type Measured = LoadResult & Partial<ApiRunStats> & Partial<CpuPerRequest>;

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const meanOrNull = (values: (number | null | undefined)[]) =>
  values.every((v) => typeof v === 'number') ? round2(mean(values as number[])) : null;

/**
 * Runs of equal length of one server on one case as one: requests per second
 * and CPU per request averaged, the median p50, the worst p99, event-loop
 * delay and RSS, errors summed.
 */
function merged(runs: Measured[]): Measured {
  const [first] = runs;
  if (runs.length === 1) return first!;
  const max = (key: 'eventLoopDelayMaxMs' | 'eventLoopDelayP99Ms' | 'maxRssMb') => (runs.every((r) => r[key] !== undefined) ? Math.max(...runs.map((r) => r[key]!)) : undefined);
  return {
    ...first!,
    requestsPerSecond: Math.round(mean(runs.map((r) => r.requestsPerSecond)) * 10) / 10,
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: Math.max(...runs.map((r) => r.p99Ms)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    processCpuMsPerRequest: meanOrNull(runs.map((r) => r.processCpuMsPerRequest)),
    postgresCpuMsPerRequest: meanOrNull(runs.map((r) => r.postgresCpuMsPerRequest)),
    ...(first!.statementsPerRequest !== undefined ? { statementsPerRequest: meanOrNull(runs.map((r) => r.statementsPerRequest)) ?? undefined } : {}),
    eventLoopDelayMaxMs: max('eventLoopDelayMaxMs'),
    eventLoopDelayP99Ms: max('eventLoopDelayP99Ms'),
    maxRssMb: max('maxRssMb'),
  };
}

/**
 * Runs the API and the floor on the same case, at each connection count: in
 * ROUNDS (BENCH_ROUNDS, default 3) alternating runs that share the case's
 * seconds, each server warmed up before its first.
 */
export async function compare(
  h: Harness,
  name: string,
  connectionCounts: number[],
  token: string,
  request: GraphQLRequest,
  floor: { name: string; params: unknown[] } | null,
  seconds?: (connections: number) => number,
): Promise<{ rows: Row[]; sql: number }> {
  const { count } = await h.statementsOf(() => h.graphql(token, request));
  const rows: Row[] = [];
  for (const connections of connectionCounts) {
    const total = seconds?.(connections) ?? SECONDS;
    const rounds = floor ? ROUNDS : 1;
    const each = Math.max(3, Math.round(total / rounds));
    const apiRuns: Measured[] = [];
    const floorRuns: Measured[] = [];
    for (let i = 0; i < rounds; i++) {
      apiRuns.push(await h.load({ label: name, server: 'api', connections, token, body: request, seconds: each, warmUp: i === 0 }));
      if (floor) floorRuns.push(await h.load({ label: name, server: 'floor', connections, path: `/${floor.name}`, body: { params: floor.params }, seconds: each, warmUp: i === 0 }));
    }
    rows.push(row(name, merged(apiRuns), floor ? merged(floorRuns) : null, count));
  }
  return { rows, sql: count };
}

export const target = (name: string, goal: string, value: string, met: boolean): Target => ({ name, goal, value, met });
