import type { AutocannonRequest, Harness } from '../lib/harness.js';
import { DASHBOARD_SHAPE } from './dashboard.js';
import { row, target, type Row, type Scenario } from './scenario.js';
import { gid } from './sql.js';

const UPDATE_MAPPING = `mutation Save($input: UpdateMappingInput!) {
  updateMapping(input: $input) {
    __typename
    ... on UpdateMappingPayload { mapping { id version } }
    ... on ConflictError { currentVersion }
    ... on Error { message code }
  }
}`;
const CREATE_JOB = `mutation Run($input: CreatePipelineJobInput!) {
  createPipelineJob(input: $input) {
    __typename
    ... on CreatePipelineJobPayload { pipelineJob { id status } }
    ... on Error { message code }
  }
}`;

const floorQueries = (s: string) => ({
  // The same optimistic update in one statement: apply at the expected version, or report the current one.
  update: `with updated as (
      update ${s}.mappings set target_table = $2, version = version + 1 where id = $1 and version = $3 returning id, version)
    select json_build_object('data', json_build_object('updateMapping', coalesce(
      (select json_build_object('__typename', 'UpdateMappingPayload', 'mapping', json_build_object('id', ${gid('Mapping', 'id')}, 'version', version)) from updated),
      (select json_build_object('__typename', 'ConflictError', 'currentVersion', version) from ${s}.mappings where id = $1))))::text`,
  create: `with j as (insert into ${s}.pipeline_jobs (workspace_id, job_type, created_by) values ($1, 'incremental', $2) returning id, status)
    select json_build_object('data', json_build_object('createPipelineJob', json_build_object('__typename', 'CreatePipelineJobPayload',
      'pipelineJob', json_build_object('id', ${gid('PipelineJob', 'id')}, 'status', upper(status)))))::text from j`,
});

/** Writes run a fixed number of requests, so every acknowledgment is counted before the check. */
const AMOUNT = Number(process.env.BENCH_WRITES ?? 1000);

type UpdateResult = { __typename: string; mapping?: { version: number }; currentVersion?: number };

/**
 * Editors saving a few hot mappings at once, each at the version it last saw:
 * one wins, the others get a ConflictError with the current version and try
 * again from there. Every win is counted per mapping; at the end each stored
 * version must be its start plus its wins — otherwise an update was lost.
 */
function optimisticUpdates(hot: string[], send: (id: string, version: number, n: number) => string) {
  const known = new Map<string, number>(hot.map((id) => [id, 1]));
  const wins = new Map<string, number>(hot.map((id) => [id, 0]));
  let conflicts = 0;
  let unexpected = 0;
  let firstUnexpected: string | null = null;
  let n = 0;
  const request: AutocannonRequest = {
    method: 'POST',
    setupRequest: (req, context) => {
      const id = hot[n++ % hot.length]!;
      (context as { id?: string }).id = id;
      return { ...req, body: send(id, known.get(id)!, n) };
    },
    onResponse: (_status, body, context) => {
      const id = (context as { id: string }).id;
      const result = (JSON.parse(body) as { data?: { updateMapping?: UpdateResult } }).data?.updateMapping;
      if (result?.__typename === 'UpdateMappingPayload' && result.mapping) {
        wins.set(id, wins.get(id)! + 1);
        known.set(id, Math.max(known.get(id)!, result.mapping.version));
      } else if (result?.__typename === 'ConflictError' && result.currentVersion !== undefined) {
        conflicts += 1;
        known.set(id, Math.max(known.get(id)!, result.currentVersion));
      } else {
        unexpected += 1;
        firstUnexpected ??= body.slice(0, 400);
      }
    },
  };
  return { request, wins, stats: () => ({ conflicts, unexpected, firstUnexpected }) };
}

export const writes: Scenario = {
  name: 'writes',
  description: 'updateMapping at expected versions on contended mappings (no lost update), createPipelineJob.',
  async run(h: Harness) {
    const seeded = await h.organization(DASHBOARD_SHAPE);
    const s = `"${seeded.org.schema_name}"`;
    await h.startServers(floorQueries(s));
    const token = await h.token(seeded);
    const rows: Row[] = [];
    const versions = async (ids: string[]) =>
      new Map((await h.pool.query<{ id: string; version: number }>(`select id, version from ${s}.mappings where id = any($1)`, [ids])).rows.map((r) => [r.id, r.version]));

    // updateMapping: 5 hot mappings, 10 connections (two clients on each at once, so saves conflict); the floor gets its own 5.
    const apiHot = seeded.mappingIds.slice(0, 5);
    const floorHot = seeded.mappingIds.slice(20, 25);
    // Drafts: an active mapping must stay valid through every save, and the seeded decorators need not be.
    await h.pool.query(`update ${s}.mappings set version = 1, status = 'draft' where id = any($1)`, [[...apiHot, ...floorHot]]);
    const api = optimisticUpdates(apiHot, (id, version, n) =>
      JSON.stringify({ query: UPDATE_MAPPING, variables: { input: { id: Buffer.from(`Mapping:${id}`).toString('base64url'), expectedVersion: version, targetTable: `dim_saved_${n}` } } }),
    );
    const floor = optimisticUpdates(floorHot, (id, version, n) => JSON.stringify({ params: [id, `dim_saved_${n}`, version] }));
    const { count: updateSql } = await h.statementsOf(() =>
      h.graphql(token, { query: UPDATE_MAPPING, variables: { input: { id: Buffer.from(`Mapping:${seeded.mappingIds[99]}`).toString('base64url'), expectedVersion: 1, targetTable: 'dim_probe' } } }),
    );
    const a = await h.load({ label: 'updateMapping (5 hot mappings)', server: 'api', connections: 10, token, requests: [api.request], amount: AMOUNT });
    const f = await h.load({ label: 'updateMapping (5 hot mappings)', server: 'floor', connections: 10, path: '/update', requests: [floor.request], amount: AMOUNT });
    rows.push(row('updateMapping, expected versions, 5 hot mappings', a, f, updateSql));
    const stored = await versions(apiHot);
    const lost = apiHot.filter((id) => stored.get(id)! !== 1 + api.wins.get(id)!);
    const totalWins = [...api.wins.values()].reduce((x, y) => x + y, 0);

    // createPipelineJob: every created job must be there at the end. A mapping runs in one pending
    // or running job at a time (a second is a ConflictError), so each request names its own mapping:
    // a mapping_test (no warehouse needed) of one of AMOUNT + 2 mappings made active for it (as many
    // as the seed has: past them a request names a mapping whose job is pending, a ConflictError).
    const countJobs = async () => Number((await h.pool.query(`select count(*) from ${s}.pipeline_jobs`)).rows[0].count);
    const runnable = (
      await h.pool.query<{ id: string; workspace_id: string }>(`update ${s}.mappings set status = 'active' where id = any($1) returning id, workspace_id`, [
        seeded.mappingIds.slice(40, 40 + AMOUNT + 2),
      ])
    ).rows;
    const bodyFor = (m: { id: string; workspace_id: string }) =>
      JSON.stringify({
        query: CREATE_JOB,
        variables: {
          input: {
            workspaceId: Buffer.from(`Workspace:${m.workspace_id}`).toString('base64url'),
            jobType: 'MAPPING_TEST',
            mappingIds: [Buffer.from(`Mapping:${m.id}`).toString('base64url')],
          },
        },
      });
    // The first job also starts the API's queue client (pg-boss' own statements): not counted.
    await h.graphql(token, JSON.parse(bodyFor(runnable.pop()!)) as { query: string; variables: Record<string, unknown> });
    const probe = runnable.pop()!;
    const { count: createSql } = await h.statementsOf(() => h.graphql(token, JSON.parse(bodyFor(probe)) as { query: string; variables: Record<string, unknown> }));
    const workspaceId = probe.workspace_id;
    const before = await countJobs();
    let created = 0;
    let next = 0;
    const createRequest: AutocannonRequest = {
      method: 'POST',
      setupRequest: (req) => ({ ...req, body: bodyFor(runnable[next++ % runnable.length]!) }),
      onResponse: (_status, text) => {
        if ((JSON.parse(text) as { data?: { createPipelineJob?: { __typename: string } } }).data?.createPipelineJob?.__typename === 'CreatePipelineJobPayload') created += 1;
      },
    };
    const c = await h.load({ label: 'createPipelineJob', server: 'api', connections: 10, token, requests: [createRequest], amount: AMOUNT });
    const afterApi = await countJobs();
    const cf = await h.load({ label: 'createPipelineJob', server: 'floor', connections: 10, path: '/create', body: { params: [workspaceId, seeded.userIds[1]] }, amount: AMOUNT });
    rows.push(row('createPipelineJob', c, cf, createSql));

    return {
      rows,
      targets: [
        target('updateMapping: lost updates', '0', `${lost.length} of ${apiHot.length} mappings (${totalWins} saves, ${api.stats().conflicts} conflicts)`, lost.length === 0 && api.stats().unexpected === 0),
        target('createPipelineJob: jobs stored = jobs acknowledged', 'equal', `${afterApi - before} stored / ${created} acknowledged`, afterApi - before === created),
      ],
      notes: [
        'updateMapping: each of 10 connections saves one of 5 mappings at the version last seen by any client; a ConflictError carries the current version, which the next save uses. Conflicts are expected, lost updates are not: at the end every stored version must equal 1 + the saves acknowledged for it.',
        `Unexpected update responses: ${api.stats().unexpected}${api.stats().firstUnexpected ? ` (the first: ${api.stats().firstUnexpected})` : ''}. Each API mutation also writes its audit entry; the floor does not.`,
      ],
    };
  },
};
