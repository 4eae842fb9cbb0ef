import { createClient, type Client, type FormattedExecutionResult } from 'graphql-ws';
import { sql } from 'kysely';
import WebSocket from 'ws';
import type { JobStatus } from '../../src/db/tables/pipeline-jobs.table.js';
import { publishJobEvent } from '../../src/jobs/job-events.dao.js';
import { insertPipelineJob, transitionPipelineJob } from '../../src/jobs/pipeline-job.dao.js';
import type { PlatformDatabase } from '../../src/db/database.js';
import type { Kysely } from 'kysely';
import { Tenant, type TenantOrganization } from '../../src/tenancy/tenant.js';

/**
 * Subscriptions over a real WebSocket: graphql-ws clients, raw sockets for the
 * close codes, and job changes made the way workers make them (the row change
 * and its pg_notify in one transaction), so tests do not need a worker.
 */

export const wsUrl = (httpUrl: string) => `${httpUrl.replace(/^http/, 'ws')}/graphql`;

/** A graphql-ws client that sends `Bearer <token>` at connection_init and never retries. */
export function liveClient(httpUrl: string, token: string | null, extra: Partial<Parameters<typeof createClient>[0]> = {}): Client {
  return createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    connectionParams: token === null ? {} : { authorization: `Bearer ${token}` },
    lazy: true,
    retryAttempts: 0,
    ...extra,
  });
}

/** A subscription read one result at a time; `close()` completes it. */
export interface Feed<T> {
  next(): Promise<FormattedExecutionResult<T, unknown>>;
  close(): Promise<void>;
}

/**
 * Subscribes at once and queues what arrives (graphql-ws' own `iterate()` loses an error that
 * comes before its first `next()`). `next()` rejects with the error messages' payload (or the
 * close event) once the subscription failed.
 */
export function feed<T = Record<string, unknown>>(client: Client, query: string, variables: Record<string, unknown> = {}): Feed<T> {
  const results: FormattedExecutionResult<T, unknown>[] = [];
  let failure: { error: unknown } | null = null;
  let completed = false;
  let wake: () => void = () => {};
  const dispose = client.subscribe<T>({ query, variables }, {
    next: (value) => {
      results.push(value);
      wake();
    },
    error: (error) => {
      failure = { error };
      wake();
    },
    complete: () => {
      completed = true;
      wake();
    },
  });
  return {
    async next() {
      for (;;) {
        const value = results.shift();
        if (value) return value;
        if (failure) throw (failure as { error: unknown }).error;
        if (completed) throw new Error('the subscription completed');
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    async close() {
      dispose();
    },
  };
}

/** How a raw socket that sent `init` (or nothing) was closed by the server. */
export function closeOf(httpUrl: string, init: object | null, after: (ws: WebSocket) => void = () => {}): Promise<{ code: number; reason: string; acked: boolean }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(httpUrl), 'graphql-transport-ws');
    let acked = false;
    ws.on('open', () => {
      if (init) ws.send(JSON.stringify({ type: 'connection_init', ...(init === undefined ? {} : { payload: init }) }));
    });
    ws.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'connection_ack') {
        acked = true;
        after(ws);
      }
    });
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString(), acked }));
    ws.on('error', reject);
  });
}

export interface JobOrg extends TenantOrganization {
  id: string;
}

/** Queues a job (pending) and announces it, in one transaction. Returns its local id. */
export async function queueJob(db: Kysely<PlatformDatabase>, org: JobOrg, workspaceId: string): Promise<string> {
  return new Tenant(db, org).transaction(async ({ platform, tenant }) => {
    const row = await insertPipelineJob(tenant, { workspace_id: workspaceId, job_type: 'incremental' });
    await publishJobEvent(platform, { organizationId: org.id, workspaceId, jobId: row.id });
    return row.id;
  });
}

/** Moves a job to `to` (stamping started/completed) and announces it, in one transaction. */
export async function moveJob(db: Kysely<PlatformDatabase>, org: JobOrg, workspaceId: string, jobId: string, to: JobStatus, announce = true): Promise<void> {
  await new Tenant(db, org).transaction(async ({ platform, tenant }) => {
    const from: JobStatus[] = to === 'running' ? ['pending'] : ['pending', 'running'];
    const stamp = to === 'running' ? { started_at: new Date() } : { completed_at: new Date() };
    const row = await transitionPipelineJob(tenant, jobId, from, { status: to, ...stamp });
    if (!row) throw new Error(`job ${jobId} could not move to ${to}`);
    if (announce) await publishJobEvent(platform, { organizationId: org.id, workspaceId, jobId });
  });
}

/** Backend pids of the job-events listener connections of this database. */
export async function listenerPids(db: Kysely<PlatformDatabase>): Promise<number[]> {
  // test probe: the listener's backends
  const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where application_name = 'datalinx-job-events' and datname = current_database()`.execute(db);
  return rows.map((r) => r.pid);
}

/** Ends the listener's backend as an operator (or a failover) would. */
export async function terminateListener(db: Kysely<PlatformDatabase>): Promise<number[]> {
  const pids = await listenerPids(db);
  // test probe: drop the listener's connection
  await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'datalinx-job-events' and datname = current_database()`.execute(db);
  return pids;
}
