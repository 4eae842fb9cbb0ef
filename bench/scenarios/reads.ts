import { readFile } from 'node:fs/promises';
import type { Harness } from '../lib/harness.js';
import { CONTAINS_FILTER } from '../lib/seed.js';
import { compare, target, type Row, type Scenario } from './scenario.js';
import { edges, gid } from './sql.js';

export const LARGE_SHAPE = { slug: 'bench-large', workspaces: 100, dataSourcesPerWorkspace: 2, mappingsPerWorkspace: 1000, jobsPerWorkspace: 100, users: 10 };

const NODE_QUERY = 'query Node($id: ID!) { node(id: $id) { id ... on Workspace { name description updatedAt } } }';
const CONTAINS_QUERY = `query Contains($contains: FieldMappingContainsInput!) {
  mappings(fieldMappingsContain: $contains, first: 20) { totalCount edges { node { id sourceTable targetTable status version } } }
}`;

const fieldMappingsJson = (col: string) =>
  `(select coalesce(json_agg(json_build_object('targetField', f.key, 'source', f.value->>'source', 'transform', f.value->>'transform')), '[]') from jsonb_each(${col}) f)`;

/** A target field and its source, as mapping_field_sources_source_idx answers them (its partial-index condition repeated). */
const FIELD_SOURCE_MATCH = `f.target_field = $1 and f.source = $2 and octet_length(f.target_field) + octet_length(f.source) <= 2000`;

const floorQueries = (s: string) => ({
  mapping: `select json_build_object('data', json_build_object('mapping', json_build_object(
    'id', ${gid('Mapping', 'm.id')}, 'version', m.version, 'status', upper(m.status), 'sourceTable', m.source_table, 'targetTable', m.target_table,
    'fieldMappings', ${fieldMappingsJson('m.field_mappings')}, 'decorators', m.decorators, 'cteDefinitions', m.cte_definitions,
    'workspace', json_build_object('id', ${gid('Workspace', 'w.id')}, 'name', w.name))))::text
    from ${s}.mappings m join ${s}.workspaces w on w.id = m.workspace_id where m.id = $1`,
  node: `select json_build_object('data', json_build_object('node', json_build_object(
    'id', ${gid('Workspace', 'w.id')}, 'name', w.name, 'description', w.description, 'updatedAt', w.updated_at)))::text
    from ${s}.workspaces w where w.id = $1`,
  jobs: `select json_build_object('data', json_build_object('pipelineJobs', json_build_object(
    'totalCount', (select count(*) from ${s}.pipeline_jobs where status = 'running'),
    'edges', ${edges(
      `json_build_object('id', ${gid('PipelineJob', 'j.id')}, 'jobType', upper(j.job_type), 'status', upper(j.status), 'createdAt', j.created_at,
        'startedAt', j.started_at, 'completedAt', j.completed_at, 'errorMessage', j.error_message,
        'runMetadata', json_build_object('rowsProcessed', j.run_metadata->'rows_processed', 'durationMs', j.run_metadata->'duration_ms'),
        'workspace', (select json_build_object('name', w.name) from ${s}.workspaces w where w.id = j.workspace_id))`,
      `select * from ${s}.pipeline_jobs where status = 'running' order by created_at desc, id desc limit 25`,
      'j',
    )})))::text`,
  // The side table's indexes: the count index-only, the page the first 20 entries of the index in list order.
  contains: `select json_build_object('data', json_build_object('mappings', json_build_object(
    'totalCount', (select count(*) from ${s}.mapping_field_sources f where ${FIELD_SOURCE_MATCH}),
    'edges', ${edges(
      `json_build_object('id', ${gid('Mapping', 'm.id')}, 'sourceTable', m.source_table, 'targetTable', m.target_table, 'status', upper(m.status), 'version', m.version)`,
      `select m.id, m.source_table, m.target_table, m.status, m.version, m.created_at from ${s}.mapping_field_sources f join ${s}.mappings m on m.id = f.mapping_id
        where ${FIELD_SOURCE_MATCH} order by f.mapping_created_at desc, f.mapping_id desc limit 20`,
      'm',
    )})))::text`,
});

/** A node of EXPLAIN (FORMAT JSON); `nodes` lists it and every node below it. */
interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}
const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)];

const globalId = (type: string, id: string) => Buffer.from(`${type}:${id}`).toString('base64url');

export const reads: Scenario = {
  name: 'reads',
  description: 'Point and filtered reads over one organization with 100,000 mappings: mapping(id), node(id), pipelineJobs(status: RUNNING), mappings(fieldMappingsContain).',
  async run(h: Harness, args: string[] = []) {
    // `npm run bench -- reads mapping` (or node, jobs, contains) runs one case only.
    const only = args[0];
    const seeded = await h.organization(LARGE_SHAPE);
    await h.startServers(floorQueries(`"${seeded.org.schema_name}"`));
    const token = await h.token(seeded);
    const mappingId = seeded.mappingIds[Math.floor(seeded.mappingIds.length / 2)]!;
    const workspaceId = seeded.workspaceIds[7]!;
    const [editorQuery, jobListQuery] = await Promise.all([
      readFile('examples/operations/mapping-editor.graphql', 'utf8'),
      readFile('examples/operations/job-list.graphql', 'utf8'),
    ]);
    const cases = [
      ['mapping(id) — MappingEditorLoad', { query: editorQuery, operationName: 'MappingEditorLoad', variables: { id: globalId('Mapping', mappingId) } }, 'mapping', [mappingId]],
      ['node(id) — a workspace', { query: NODE_QUERY, variables: { id: globalId('Workspace', workspaceId) } }, 'node', [workspaceId]],
      ['pipelineJobs(status: RUNNING) — JobList', { query: jobListQuery, variables: { status: 'RUNNING' } }, 'jobs', []],
      ['mappings(fieldMappingsContain) over 100k', { query: CONTAINS_QUERY, variables: { contains: CONTAINS_FILTER } }, 'contains', [CONTAINS_FILTER.targetField, CONTAINS_FILTER.source]],
    ] as const;
    const rows: Row[] = [];
    let containsMatches = 0;
    for (const [name, request, floor, params] of cases) {
      if (only && only !== floor) continue;
      const body = { ...request, variables: { ...request.variables } };
      const first = await h.graphql<{ mappings: { totalCount: number } }>(token, body);
      if (floor === 'contains') containsMatches = first.data.mappings.totalCount;
      const result = await compare(h, name, [10], token, body, { name: floor, params: [...params] });
      rows.push(...result.rows);
    }
    // The statement the API sent for the contains filter, explained as PostgreSQL runs it.
    const { statements } = !only || only === 'contains'
      ? await h.statementsOf(() => h.graphql(token, { query: CONTAINS_QUERY, variables: { contains: CONTAINS_FILTER } }))
      : { statements: [] };
    const explain = async (statement: (typeof statements)[number] | undefined): Promise<{ Plan: PlanNode } | null> =>
      statement ? ((await h.pool.query(`explain (analyze, format json) ${statement.text}`, statement.values)).rows[0]['QUERY PLAN'][0] as { Plan: PlanNode }) : null;
    // The page's statement (its Limit) and the totalCount it computes too (an Aggregate), or a count statement of its own.
    const reading = statements.filter((s) => s.text.includes('mapping_field_sources'));
    const pagePlan = await explain(reading.find((s) => / limit \$\d+/.test(s.text)));
    const countPlan = pagePlan && nodes(pagePlan.Plan).some((n) => n['Node Type'] === 'Aggregate') ? pagePlan : await explain(reading.find((s) => !/ limit \$\d+/.test(s.text)));
    // The page: below its Limit, the index in list order (no Sort); its count: the index alone.
    const cut = pagePlan && nodes(pagePlan.Plan).find((n) => n['Node Type'] === 'Limit');
    const usesIndex = Boolean(cut && nodes(cut).some((n) => n['Index Name'] === 'mapping_field_sources_source_idx') && !nodes(cut).some((n) => n['Node Type'] === 'Sort'));
    const counter = countPlan && nodes(countPlan.Plan).find((n) => n['Node Type'] === 'Aggregate');
    const countsFromIndex = Boolean(counter && nodes(counter).every((n) => n['Node Type'] !== 'Index Scan' && n['Node Type'] !== 'Seq Scan' && !n['Node Type'].startsWith('Bitmap')) && nodes(counter).some((n) => n['Node Type'] === 'Index Only Scan' && n['Index Name'] === 'mapping_field_sources_source_idx'));
    const p50 = (prefix: string) => rows.find((r) => r.case.startsWith(prefix) && r.connections === 10)?.apiP50Ms ?? Infinity;
    return {
      rows,
      // Only the cases that ran are judged.
      targets: [
        ...(!only || only === 'mapping' ? [target('mapping(id) p50 at 10 connections', '< 3 ms', `${p50('mapping(id)')} ms`, p50('mapping(id)') < 3)] : []),
        ...(!only || only === 'contains'
          ? [
              target('fieldMappingsContain over 100k mappings p50', '< 15 ms', `${p50('mappings(fieldMappingsContain)')} ms (${containsMatches} matches)`, p50('mappings(fieldMappingsContain)') < 15),
              target(
                'fieldMappingsContain reads mapping_field_sources_source_idx (EXPLAIN)',
                'page: index scan in list order; totalCount: index-only scan',
                `page: ${usesIndex ? 'index scan on mapping_field_sources_source_idx' : 'not from the index'}; totalCount: ${countsFromIndex ? 'Index Only Scan on mapping_field_sources_source_idx' : 'not index-only'}`,
                usesIndex && countsFromIndex,
              ),
            ]
          : []),
      ],
      notes: [
        `${seeded.counts.mappings} mappings in ${seeded.counts.workspaces} workspaces, ${seeded.counts.jobs} jobs (${seeded.counts.runningJobs} running); the contains filter ${JSON.stringify(CONTAINS_FILTER)} matches ${containsMatches}.`,
        'The floor answers each case with one statement returning the same fields as JSON (decorators as stored JSON).',
      ],
      details: { containsPlan: pagePlan, ...(countPlan !== pagePlan && { containsCountPlan: countPlan }) },
    };
  },
};

