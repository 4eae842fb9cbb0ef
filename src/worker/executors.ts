import { readOnlyRows } from '../connectors/index.js';
import type { PipelineJobRow } from '../db/tables/pipeline-jobs.table.js';
import { classifyFailure, JobFailure } from '../jobs/job-failure.js';
import { mappingsOfJob } from '../jobs/pipeline-run.dao.js';
import { checkAborted, jobApplicationName, jobReadBegin, sourceConnections, type Executor } from './executor-context.js';
import { fullRefresh, incremental } from './load-executors.js';
import { mappingSelect } from './mapping-select.js';

/** mapping_test: each mapping's query against its source, read-only, with a statement timeout and a row limit. */
const mappingTest: Executor = async (ctx) => {
  const { mappings, sources: sourceRows } = await mappingsOfJob(ctx.run.tenant.db, ctx.job.workspace_id, ctx.job.mapping_ids);
  const sources = sourceConnections(ctx, sourceRows, jobApplicationName(ctx.job));
  const started = Date.now();
  const results: Record<string, unknown> = {};
  let failed = 0;
  let rowsTotal = 0;
  try {
    for (const [i, mapping] of mappings.entries()) {
      checkAborted(ctx.signal);
      const t0 = Date.now();
      // No source to reach fails the whole job (as its typed SOURCE error); a query that fails fails its mapping.
      const client = await sources.of(mapping.source_table);
      try {
        const { sql, columns } = await mappingSelect(mapping);
        const result = await readOnlyRows(client, sql, ctx.config.testRowLimit, jobReadBegin(ctx, client));
        const got = result.columns;
        const missing = columns.filter((c) => !got.includes(c));
        if (missing.length > 0) throw new JobFailure('mapping', 'config_error', `the result lacks column(s) ${missing.join(', ')}`);
        const sample = result.rows.slice(0, 5).map((r) => Object.fromEntries(got.map((c, k) => [c, r[k]])));
        results[mapping.id] = { rows: result.rows.length, sample, error: null, duration_ms: Date.now() - t0 };
        rowsTotal += result.rows.length;
        await ctx.run.log([{ level: 'info', message: `${mapping.target_table}: ${result.rows.length} row(s) returned`, mappingId: mapping.id }], ((i + 1) / mappings.length) * 100);
      } catch (err) {
        checkAborted(ctx.signal);
        const failure = classifyFailure(err, 'source', ctx.secrets);
        if (failure.type === 'transient_error') throw err;
        failed++;
        results[mapping.id] = { rows: null, sample: null, error: failure.message, duration_ms: Date.now() - t0 };
        await ctx.run.log([{ level: 'error', message: `${mapping.target_table}: ${failure.message}`, mappingId: mapping.id }], ((i + 1) / mappings.length) * 100);
      }
    }
  } finally {
    await sources.close();
  }
  const metadata = { rows_processed: rowsTotal, rows_failed: 0, duration_ms: Date.now() - started, mappings: results };
  if (failed > 0) throw Object.assign(new JobFailure('mapping', 'config_error', `${failed} of ${mappings.length} mapping(s) failed their test`), { metadata });
  return metadata;
};

export const EXECUTORS: Record<PipelineJobRow['job_type'], Executor> = {
  mapping_test: mappingTest,
  full_refresh: fullRefresh,
  incremental,
};
