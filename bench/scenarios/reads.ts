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
  contains: `select json_build_object('data', json_build_object('mappings', json_build_object(
    'totalCount', (select count(*) from ${s}.mappings where field_mappings @> $1::jsonb),
    'edges', ${edges(
      `json_build_object('id', ${gid('Mapping', 'm.id')}, 'sourceTable', m.source_table, 'targetTable', m.target_table, 'status', upper(m.status), 'version', m.version)`,
      `select id, source_table, target_table, status, version, created_at from ${s}.mappings where field_mappings @> $1::jsonb order by created_at desc, id desc limit 20`,
      'm',
    )})))::text`,
});

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
    const storedContains = JSON.stringify({ [CONTAINS_FILTER.targetField]: { source: CONTAINS_FILTER.source } });
    const [editorQuery, jobListQuery] = await Promise.all([
      readFile('examples/operations/mapping-editor.graphql', 'utf8'),
      readFile('examples/operations/job-list.graphql', 'utf8'),
    ]);
    const cases = [
      ['mapping(id) — MappingEditorLoad', { query: editorQuery, operationName: 'MappingEditorLoad', variables: { id: globalId('Mapping', mappingId) } }, 'mapping', [mappingId]],
      ['node(id) — a workspace', { query: NODE_QUERY, variables: { id: globalId('Workspace', workspaceId) } }, 'node', [workspaceId]],
      ['pipelineJobs(status: RUNNING) — JobList', { query: jobListQuery, variables: { status: 'RUNNING' } }, 'jobs', []],
      ['mappings(fieldMappingsContain) over 100k', { query: CONTAINS_QUERY, variables: { contains: CONTAINS_FILTER } }, 'contains', [storedContains]],
    ] as const;
    const rows: Row[] = [];
    let containsMatches = 0;
    let containsPlan = '';
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
    const page = statements.find((s) => s.text.includes('@>') && !s.text.includes('count('));
    if (page) {
      const plan = await h.pool.query(`explain (analyze, format json) ${page.text}`, page.values);
      containsPlan = JSON.stringify(plan.rows[0]['QUERY PLAN']);
    }
    const usesGin = containsPlan.includes('mappings_field_mappings_idx');
    const p50 = (prefix: string) => rows.find((r) => r.case.startsWith(prefix) && r.connections === 10)?.apiP50Ms ?? Infinity;
    return {
      rows,
      // Only the cases that ran are judged.
      targets: [
        ...(!only || only === 'mapping' ? [target('mapping(id) p50 at 10 connections', '< 3 ms', `${p50('mapping(id)')} ms`, p50('mapping(id)') < 3)] : []),
        ...(!only || only === 'contains'
          ? [
              target('fieldMappingsContain over 100k mappings p50', '< 15 ms', `${p50('mappings(fieldMappingsContain)')} ms (${containsMatches} matches)`, p50('mappings(fieldMappingsContain)') < 15),
              target('fieldMappingsContain uses the GIN index (EXPLAIN)', 'mappings_field_mappings_idx', usesGin ? 'Bitmap Index Scan on mappings_field_mappings_idx' : 'not used', usesGin),
            ]
          : []),
      ],
      notes: [
        `${seeded.counts.mappings} mappings in ${seeded.counts.workspaces} workspaces, ${seeded.counts.jobs} jobs (${seeded.counts.runningJobs} running); the contains filter ${JSON.stringify(CONTAINS_FILTER)} matches ${containsMatches}.`,
        'The floor answers each case with one statement returning the same fields as JSON (decorators as stored JSON).',
      ],
      details: { containsPlan: containsPlan ? JSON.parse(containsPlan) : null },
    };
  },
};

