import type pg from 'pg';
import { closeQuietly, describeSelect, readBatches, type BatchRead, type ResultColumn } from '../connectors/index.js';
import type { MappingRow } from '../db/tables/mappings.table.js';
import { ValidationError } from '../errors.js';
import { classifyFailure, JobFailure, type FailureOrigin } from '../jobs/job-failure.js';
import { mappingsOfJob } from '../jobs/pipeline-run.dao.js';
import { toIncremental, type IncrementalConfig } from '../mappings/mapping-incremental.js';
import * as wh from '../warehouses/warehouse-load.dao.js';
import { findWorkspaceWarehouse, notSupported } from '../warehouses/warehouse.manager.js';
import { cancellableConnection, checkAborted, jobApplicationName, jobReadBegin, sourceConnections, type Executor, type ExecutorContext } from './executor-context.js';
import { mappingSelect, type MappingQuery } from './mapping-select.js';

/**
 * full_refresh and incremental: each mapping of the job read from its
 * PostgreSQL source in batches (a cursor, read-only) and written into
 * `<targetSchema>.<target_table>` of the workspace's PostgreSQL warehouse
 * with COPY, each mapping in ONE warehouse transaction with its high-water
 * mark (bench/README.md has why COPY). Running a job again (a redelivery)
 * gives the same tables: a full refresh rebuilds, an incremental load upserts.
 */

type Mode = 'full_refresh' | 'incremental';

interface MappingResult {
  target_table: string;
  rows_read: number;
  rows_written: number;
  duration_ms: number;
  high_water_mark?: string | null;
}

/** Runs `work`, typing whatever it throws as a failure of `origin` (a JobFailure keeps its own). */
async function at<T>(ctx: ExecutorContext, origin: FailureOrigin, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof JobFailure) throw err;
    const f = classifyFailure(err, origin, ctx.secrets);
    // A driver error never seen before stays a PLATFORM error for the worker's log; a SQLSTATE is the warehouse's or the source's.
    if (f.origin === 'platform') throw err;
    throw new JobFailure(f.origin, f.type, f.message, f.retryable);
  }
}

const hex = (id: string) => id.replaceAll('-', '');
/** Names of the warehouse objects a mapping's loads use; short, so the identity-resolution work tables fit in 63 bytes. */
const stagingName = (m: MappingRow) => `_dlx_stg_${hex(m.id)}`;
const keyIndexName = (m: MappingRow) => `_dlx_key_${hex(m.id)}`;
const BATCH_TABLE = '_dlx_batch';

function checkTarget(m: MappingRow): void {
  if (Buffer.byteLength(m.target_table) > 63) throw new JobFailure('mapping', 'config_error', `target table ${m.target_table.slice(0, 63)}… is longer than PostgreSQL's 63-byte names`);
  if (m.target_table.startsWith('_dlx_') || m.target_table === wh.STATE_TABLE) throw new JobFailure('mapping', 'config_error', `target table ${m.target_table} uses a name reserved for the loader`);
}

function checkColumns(query: MappingQuery, columns: ResultColumn[]): void {
  const got = columns.map((c) => c.name);
  const missing = query.columns.filter((c) => !got.includes(c));
  if (missing.length > 0) throw new JobFailure('mapping', 'config_error', `the result lacks column(s) ${missing.join(', ')}`);
}

interface Load {
  ctx: ExecutorContext;
  mapping: MappingRow;
  source: pg.Client;
  warehouse: pg.Client;
  schema: string;
}

/**
 * Reads the source in batches and hands each to `write`; cancellation is
 * checked between batches. Source errors are SOURCE failures, write errors
 * WAREHOUSE ones.
 */
async function stream(load: Load, select: string, read: Omit<BatchRead, 'batchRows'>, write: (rows: (string | null)[][]) => Promise<number>) {
  const { ctx } = load;
  const batches = readBatches(load.source, select, { ...read, batchRows: ctx.config.loadBatchRows }, jobReadBegin(ctx, load.source));
  let rowsRead = 0;
  let rowsWritten = 0;
  try {
    for (;;) {
      checkAborted(ctx.signal);
      const next = await at(ctx, 'source', () => batches.next());
      if (next.done) break;
      checkAborted(ctx.signal);
      rowsRead += next.value.length;
      rowsWritten += await at(ctx, 'warehouse', () => write(next.value));
    }
  } finally {
    await batches.return(undefined).catch(() => undefined);
  }
  return { rowsRead, rowsWritten };
}

/** In one warehouse transaction: `work`, then the commit, after a last cancellation check; rolled back on any failure. */
async function inTransaction<T>(load: Load, work: () => Promise<T>): Promise<T> {
  await at(load.ctx, 'warehouse', () => wh.begin(load.warehouse));
  try {
    const result = await work();
    checkAborted(load.ctx.signal);
    await at(load.ctx, 'warehouse', () => wh.commit(load.warehouse));
    return result;
  } catch (err) {
    await wh.rollback(load.warehouse);
    throw err;
  }
}

/** Rebuilds the target under the staging name, runs the identity-resolution statements on it, swaps it in, records the mark. */
async function refreshMapping(load: Load, incremental: IncrementalConfig | null): Promise<Omit<MappingResult, 'duration_ms' | 'target_table'>> {
  const { ctx, mapping, schema } = load;
  const staging = stagingName(mapping);
  const query = await mappingSelect(mapping, staging);
  const columns = await at(ctx, 'source', () => describeSelect(load.source, query.sql, jobReadBegin(ctx, load.source)));
  checkColumns(query, columns);
  const names = columns.map((c) => c.name);
  return inTransaction(load, async () => {
    await at(ctx, 'warehouse', () => wh.createTable(load.warehouse, schema, staging, columns));
    const counts = await stream(load, query.sql, {}, (rows) => wh.copyRows(load.warehouse, schema, staging, names, rows));
    checkAborted(ctx.signal);
    const mark = await at(ctx, 'warehouse', async () => {
      await wh.runStatements(load.warehouse, schema, query.statements);
      await wh.swapIn(load.warehouse, schema, staging, mapping.target_table);
      const mark = incremental ? await wh.maxCursor(load.warehouse, schema, mapping.target_table, incremental.cursorColumn) : null;
      await wh.saveLoadState(load.warehouse, schema, { mappingId: mapping.id, targetTable: mapping.target_table, cursorColumn: incremental?.cursorColumn ?? null, highWaterMark: mark, jobId: ctx.job.id });
      return mark;
    });
    return { rows_read: counts.rowsRead, rows_written: counts.rowsWritten, ...(incremental ? { high_water_mark: mark } : {}) };
  });
}

/** Upserts the rows at or past the stored mark (all of them without a mark or a target table) and advances the mark, in one transaction. */
async function incrementMapping(load: Load, incremental: IncrementalConfig): Promise<Omit<MappingResult, 'duration_ms' | 'target_table'>> {
  const { ctx, mapping, schema } = load;
  const target = mapping.target_table;
  const query = await mappingSelect(mapping);
  const columns = await at(ctx, 'source', () => describeSelect(load.source, query.sql, jobReadBegin(ctx, load.source)));
  checkColumns(query, columns);
  const names = columns.map((c) => c.name);
  return inTransaction(load, async () => {
    const from = await at(ctx, 'warehouse', async () => {
      const state = await wh.lockLoadState(load.warehouse, schema, mapping.id);
      const exists = await wh.tableExists(load.warehouse, schema, target);
      if (!exists) await wh.createTable(load.warehouse, schema, target, columns);
      await wh.ensureKeyIndex(load.warehouse, schema, target, keyIndexName(mapping), incremental.keyColumns);
      await wh.createBatchTable(load.warehouse, schema, target, BATCH_TABLE);
      // A mark of another cursor column (the settings changed) says nothing about this one: load everything.
      return exists && state?.cursorColumn === incremental.cursorColumn ? state.highWaterMark : null;
    });
    const counts = await stream(load, query.sql, { since: { column: incremental.cursorColumn, from } }, async (rows) => {
      await wh.copyRows(load.warehouse, null, BATCH_TABLE, names, rows);
      return wh.upsertBatch(load.warehouse, schema, target, BATCH_TABLE, names, incremental.keyColumns, incremental.cursorColumn);
    });
    const mark = await at(ctx, 'warehouse', async () => {
      const mark = await wh.maxCursor(load.warehouse, schema, target, incremental.cursorColumn);
      await wh.saveLoadState(load.warehouse, schema, { mappingId: mapping.id, targetTable: target, cursorColumn: incremental.cursorColumn, highWaterMark: mark, jobId: ctx.job.id });
      return mark;
    });
    return { rows_read: counts.rowsRead, rows_written: counts.rowsWritten, high_water_mark: mark };
  });
}

/** The workspace's PostgreSQL warehouse, or the job's CONFIG_ERROR saying why there is none to load into. */
async function warehouseOf(ctx: ExecutorContext) {
  const found = await findWorkspaceWarehouse(ctx.services, ctx.run.tenant.db, ctx.run.tenant.organizationId, ctx.job.workspace_id).catch((err: unknown) => {
    if (err instanceof ValidationError) throw new JobFailure('warehouse', 'config_error', 'the warehouse settings are incomplete or invalid');
    throw err;
  });
  if (!found) throw new JobFailure('warehouse', 'config_error', 'the workspace has no warehouse to load into');
  if (!found.postgres) throw new JobFailure('warehouse', 'config_error', notSupported(found.dialect));
  if (found.postgres.password) ctx.secrets.push(found.postgres.password);
  return { schema: found.targetSchema, settings: found.postgres };
}

function loader(mode: Mode): Executor {
  return async (ctx) => {
    const started = Date.now();
    const target = await warehouseOf(ctx);
    const { mappings, sources: sourceRows } = await mappingsOfJob(ctx.run.tenant.db, ctx.job.workspace_id, ctx.job.mapping_ids);
    const application = jobApplicationName(ctx.job);
    const sources = sourceConnections(ctx, sourceRows, application);
    const results: Record<string, MappingResult> = {};
    const metadata = () => {
      const all = Object.values(results);
      const rowsRead = all.reduce((n, r) => n + r.rows_read, 0);
      const rowsWritten = all.reduce((n, r) => n + r.rows_written, 0);
      return { rows_processed: rowsWritten, rows_failed: 0, rows_read: rowsRead, rows_written: rowsWritten, duration_ms: Date.now() - started, mappings: results };
    };
    let warehouse: pg.Client | null = null;
    try {
      warehouse = await at(ctx, 'warehouse', () => cancellableConnection(ctx, target.settings, application));
      await at(ctx, 'warehouse', () => wh.ensureTargetSchema(warehouse!, target.schema));
      for (const [i, mapping] of mappings.entries()) {
        checkAborted(ctx.signal);
        const t0 = Date.now();
        checkTarget(mapping);
        const incremental = toIncremental(mapping.incremental);
        if (mode === 'incremental' && !incremental) throw new JobFailure('mapping', 'config_error', `mapping ${mapping.target_table} has no incremental settings (cursor column and key)`);
        const source = await at(ctx, 'source', () => sources.of(mapping.source_table));
        const load: Load = { ctx, mapping, source, warehouse, schema: target.schema };
        const counts = mode === 'incremental' ? await incrementMapping(load, incremental!) : await refreshMapping(load, incremental);
        results[mapping.id] = { target_table: mapping.target_table, ...counts, duration_ms: Date.now() - t0 };
        const mark = counts.high_water_mark === undefined ? '' : `; high-water mark ${counts.high_water_mark ?? 'none'}`;
        await ctx.run.log(
          [{ level: 'info', message: `${target.schema}.${mapping.target_table}: ${counts.rows_read} row(s) read, ${counts.rows_written} written${mark}`, mappingId: mapping.id }],
          ((i + 1) / mappings.length) * 100,
        );
      }
    } catch (err) {
      // What was loaded before the failure stays loaded (each mapping commits on its own): the metadata says which.
      throw Object.assign(err instanceof Error ? err : new Error(String(err)), { metadata: metadata() });
    } finally {
      await closeQuietly(warehouse);
      await sources.close();
    }
    return metadata();
  };
}

export const fullRefresh = loader('full_refresh');
export const incremental = loader('incremental');
