import type pg from 'pg';
import type { AppServices } from '../auth/scope.js';
import type { Config } from '../config.js';
import { cancelBackend, closeQuietly, connectPostgres, readOnlyRows, type PostgresSettings } from '../connectors/index.js';
import { postgresSettingsOf } from '../data-sources/source-settings.js';
import type { PipelineJobRow } from '../db/tables/pipeline-jobs.table.js';
import { classifyFailure, JobFailure } from '../jobs/job-failure.js';
import type { JobRun } from '../jobs/job-run.manager.js';
import { mappingsOfJob, postgresSourcesOfWorkspace } from '../jobs/pipeline-run.dao.js';
import { mappingSelect } from './mapping-select.js';

export interface ExecutorContext {
  run: JobRun;
  job: PipelineJobRow;
  services: AppServices;
  config: Config['jobs'];
  /** Aborted when the job is cancelled or the worker hands it back; in-flight statements are cancelled with it. */
  signal: AbortSignal;
  /** Passwords in use, scrubbed from every message. */
  secrets: string[];
}

/** Runs a job; resolves with its run metadata, throws a JobFailure (or a driver error, classified by the caller). */
export type Executor = (ctx: ExecutorContext) => Promise<Record<string, unknown>>;

/** Stops the run when the signal is aborted: the caller's check between steps. */
export function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new JobFailure('platform', 'cancelled', 'cancelled');
}

/**
 * A connection to a source or warehouse whose running statement is cancelled
 * (pg_cancel_backend from a second connection) when the signal aborts.
 */
async function cancellableConnection(ctx: ExecutorContext, settings: PostgresSettings, applicationName: string): Promise<pg.Client> {
  const options = {
    policy: ctx.services.connectors.policy,
    connectTimeoutMs: ctx.services.connectors.connectTimeoutMs,
    statementTimeoutMs: ctx.services.connectors.statementTimeoutMs,
    applicationName,
  };
  const client = await connectPostgres(settings, options);
  const pid = (client as unknown as { processID: number }).processID;
  const onAbort = () => {
    void (async () => {
      const killer = await connectPostgres(settings, options).catch(() => null);
      if (killer) await cancelBackend(killer, pid).catch(() => undefined);
      await closeQuietly(killer);
    })();
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  client.on('end', () => ctx.signal.removeEventListener('abort', onAbort));
  return client;
}

/** mapping_test: each mapping's query against its source, read-only, with a statement timeout and a row limit. */
const mappingTest: Executor = async (ctx) => {
  const mappings = await mappingsOfJob(ctx.run.tenant.db, ctx.job.mapping_ids);
  const [source] = await postgresSourcesOfWorkspace(ctx.run.tenant.db, ctx.job.workspace_id);
  if (!source) throw new JobFailure('source', 'config_error', 'the workspace has no active PostgreSQL data source to test against');
  const settings = postgresSettingsOf(ctx.services.keyring, ctx.run.tenant.organizationId, source);
  if (settings.password) ctx.secrets.push(settings.password);
  const started = Date.now();
  const results: Record<string, unknown> = {};
  let failed = 0;
  let rowsTotal = 0;
  const client = await cancellableConnection(ctx, settings, `datalinx-job-${ctx.job.id}`);
  try {
    for (const [i, mapping] of mappings.entries()) {
      checkAborted(ctx.signal);
      const t0 = Date.now();
      try {
        const { sql, columns } = await mappingSelect(mapping);
        const result = await readOnlyRows(client, sql, ctx.config.testRowLimit);
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
    await closeQuietly(client);
  }
  const metadata = { rows_processed: rowsTotal, rows_failed: 0, duration_ms: Date.now() - started, mappings: results };
  if (failed > 0) throw Object.assign(new JobFailure('mapping', 'config_error', `${failed} of ${mappings.length} mapping(s) failed their test`), { metadata });
  return metadata;
};

/** Loading into a warehouse waits for the workspace warehouse settings; never a fake success. */
const notYet: Executor = () =>
  Promise.reject(new JobFailure('warehouse', 'config_error', 'loading into a warehouse is not supported by this deployment yet'));

export const EXECUTORS: Record<PipelineJobRow['job_type'], Executor> = {
  mapping_test: mappingTest,
  full_refresh: notYet,
  incremental: notYet,
};
