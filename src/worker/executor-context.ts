import type pg from 'pg';
import type { AppServices } from '../auth/scope.js';
import type { Config } from '../config.js';
import { beginReadOnly, cancelBackend, closeQuietly, connectPostgres, type PostgresSettings } from '../connectors/index.js';
import type { PipelineJobRow } from '../db/tables/pipeline-jobs.table.js';
import { JobFailure } from '../jobs/job-failure.js';
import type { JobRun } from '../jobs/job-run.manager.js';
import type { JobSourceRow } from '../jobs/pipeline-run.dao.js';
import { postgresSettingsOf } from '../data-sources/source-settings.js';
import { sourceOfMapping } from './mapping-source.js';
import { SourcePool } from './source-pool.js';

export interface ExecutorContext {
  run: JobRun;
  job: PipelineJobRow;
  services: AppServices;
  config: Config['jobs'];
  /** Aborted when the job is cancelled or the worker hands it back; in-flight statements are cancelled with it. */
  signal: AbortSignal;
  /** Passwords in use, scrubbed from every message. */
  secrets: string[];
  /** The worker's idle source connections, reused across jobs; without it each job opens its own. */
  sourcePool?: SourcePool;
}

/** Runs a job; resolves with its run metadata, throws a JobFailure (or a driver error, classified by the caller). */
export type Executor = (ctx: ExecutorContext) => Promise<Record<string, unknown>>;

/** Stops the run when the signal is aborted: the caller's check between steps. */
export function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new JobFailure('platform', 'cancelled', 'cancelled');
}

/** What a job's sessions on sources and warehouses are named (pg_stat_activity's application_name). */
export const jobApplicationName = (job: Pick<PipelineJobRow, 'id'>) => `datalinx-job-${job.id}`;

/** The first statement(s) of a job's read-only transaction on `client`: named after the job (beginReadOnly). */
export const jobReadBegin = (ctx: ExecutorContext, client: pg.Client) => beginReadOnly(client, jobApplicationName(ctx.job));

const connectOptions = (ctx: ExecutorContext, applicationName: string) => ({
  policy: ctx.services.connectors.policy,
  connectTimeoutMs: ctx.services.connectors.connectTimeoutMs,
  statementTimeoutMs: ctx.services.connectors.statementTimeoutMs,
  applicationName,
});

/**
 * Cancels the statement `client` is running (pg_cancel_backend from a second
 * connection) when the job's signal aborts, until the returned function
 * detaches it (or the client ends).
 */
function cancelOnAbort(ctx: ExecutorContext, settings: PostgresSettings, options: ReturnType<typeof connectOptions>, client: pg.Client): () => void {
  const pid = (client as unknown as { processID: number }).processID;
  const onAbort = () => {
    void (async () => {
      const killer = await connectPostgres(settings, options).catch(() => null);
      if (killer) await cancelBackend(killer, pid).catch(() => undefined);
      await closeQuietly(killer);
    })();
  };
  const detach = () => {
    ctx.signal.removeEventListener('abort', onAbort);
    client.off('end', detach);
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  client.on('end', detach);
  return detach;
}

/**
 * A connection to a source or warehouse whose running statement is cancelled
 * (pg_cancel_backend from a second connection) when the signal aborts.
 */
export async function cancellableConnection(ctx: ExecutorContext, settings: PostgresSettings, applicationName: string): Promise<pg.Client> {
  const options = connectOptions(ctx, applicationName);
  const client = await connectPostgres(settings, options);
  cancelOnAbort(ctx, settings, options, client);
  return client;
}

interface CheckedOut {
  client: pg.Client;
  key: string;
  detach: () => void;
}

/**
 * A source connection for this job: an idle one of the worker's pool (same
 * organization, data source and settings), or a new one. A reused session is
 * named after this job, and drops any advisory lock an earlier job took, by
 * the first statement of each read (beginReadOnly), not by a round trip here.
 */
async function checkout(ctx: ExecutorContext, dataSourceId: string, settings: PostgresSettings, applicationName: string): Promise<CheckedOut> {
  const options = connectOptions(ctx, applicationName);
  const pool = ctx.sourcePool;
  const key = SourcePool.key(ctx.run.tenant.organizationId, dataSourceId, { settings, statementTimeoutMs: options.statementTimeoutMs });
  let client = pool?.take(key);
  if (!client) {
    client = await connectPostgres(settings, options);
    pool?.opened(client);
  }
  return { client, key, detach: cancelOnAbort(ctx, settings, options, client) };
}

/**
 * The job's connections to its sources (`sources`: the workspace's active
 * PostgreSQL sources, oldest first, as mappingsOfJob read them), one per data
 * source, opened on first use: the source of each mapping by
 * `sourceOfMapping`'s rule. Throws a SOURCE CONFIG_ERROR when the workspace has
 * no active PostgreSQL source.
 */
export function sourceConnections(ctx: ExecutorContext, sources: readonly JobSourceRow[], application: string) {
  const opened = new Map<string, Promise<CheckedOut>>();
  return {
    of(sourceTable: string): Promise<pg.Client> {
      const row = sourceOfMapping(sources, sourceTable);
      if (!row) return Promise.reject(new JobFailure('source', 'config_error', 'the workspace has no active PostgreSQL data source'));
      let entry = opened.get(row.id);
      if (!entry) {
        const settings = postgresSettingsOf(ctx.services.keyring, ctx.run.tenant.organizationId, row);
        if (settings.password) ctx.secrets.push(settings.password);
        entry = checkout(ctx, row.id, settings, application);
        opened.set(row.id, entry);
      }
      return entry.then((e) => e.client);
    },
    /** Hands the connections back to the worker's pool (closed when the job was aborted or left one unclean), or closes them. */
    async close(): Promise<void> {
      for (const pending of opened.values()) {
        const entry = await pending.catch(() => null);
        if (!entry) continue;
        entry.detach();
        if (ctx.sourcePool) await ctx.sourcePool.release(entry.key, entry.client, !ctx.signal.aborted);
        else await closeQuietly(entry.client);
      }
    },
  };
}
