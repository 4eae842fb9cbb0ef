import type pg from 'pg';
import type { AppServices } from '../auth/scope.js';
import type { Config } from '../config.js';
import { cancelBackend, closeQuietly, connectPostgres, type PostgresSettings } from '../connectors/index.js';
import type { PipelineJobRow } from '../db/tables/pipeline-jobs.table.js';
import { JobFailure } from '../jobs/job-failure.js';
import type { JobRun } from '../jobs/job-run.manager.js';
import { postgresSourcesOfWorkspace } from '../jobs/pipeline-run.dao.js';
import { postgresSettingsOf } from '../data-sources/source-settings.js';
import { sourceOfMapping } from './mapping-source.js';

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
export async function cancellableConnection(ctx: ExecutorContext, settings: PostgresSettings, applicationName: string): Promise<pg.Client> {
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

/**
 * The job's connections to its sources, one per data source, opened on first
 * use: the source of each mapping by `sourceOfMapping`'s rule. Throws a SOURCE
 * CONFIG_ERROR when the workspace has no active PostgreSQL source.
 */
export async function sourceConnections(ctx: ExecutorContext, application: string) {
  const sources = await postgresSourcesOfWorkspace(ctx.run.tenant.db, ctx.job.workspace_id);
  const opened = new Map<string, Promise<pg.Client>>();
  return {
    of(sourceTable: string): Promise<pg.Client> {
      const row = sourceOfMapping(sources, sourceTable);
      if (!row) return Promise.reject(new JobFailure('source', 'config_error', 'the workspace has no active PostgreSQL data source'));
      let client = opened.get(row.id);
      if (!client) {
        const settings = postgresSettingsOf(ctx.services.keyring, ctx.run.tenant.organizationId, row);
        if (settings.password) ctx.secrets.push(settings.password);
        client = cancellableConnection(ctx, settings, application);
        opened.set(row.id, client);
      }
      return client;
    },
    async close(): Promise<void> {
      for (const client of opened.values()) await closeQuietly(await client.catch(() => null));
    },
  };
}
