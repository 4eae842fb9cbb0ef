import type { ApiRunStats, CpuPerRequest, GraphQLRequest, Harness, LoadResult } from '../lib/harness.js';

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

/** Runs the API then the floor on the same case, at each connection count. */
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
    const a = await h.load({ label: name, server: 'api', connections, token, body: request, seconds: seconds?.(connections) });
    const f = floor
      ? await h.load({ label: name, server: 'floor', connections, path: `/${floor.name}`, body: { params: floor.params }, seconds: seconds?.(connections) })
      : null;
    rows.push(row(name, a, f, count));
  }
  return { rows, sql: count };
}

export const target = (name: string, goal: string, value: string, met: boolean): Target => ({ name, goal, value, met });
