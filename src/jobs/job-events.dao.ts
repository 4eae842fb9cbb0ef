import { sql } from 'kysely';
import type { PlatformDb } from '../db/database.js';

/**
 * Job changes are announced with PostgreSQL NOTIFY on one channel, so a change
 * made by any worker process reaches every API process (subscriptions). The
 * notification is sent inside the transaction that changes the job: listeners
 * hear of it only when, and only if, that transaction commits.
 */
export const JOB_EVENTS_CHANNEL = 'datalinx_job_events';

/** What a notification carries: ids only (NOTIFY payloads are limited to 8000 bytes); listeners re-read the job. */
export interface JobEvent {
  organizationId: string;
  workspaceId: string;
  jobId: string;
}

interface WireJobEvent {
  o: string;
  w: string;
  j: string;
}

export function encodeJobEvent(event: JobEvent): string {
  const wire: WireJobEvent = { o: event.organizationId, w: event.workspaceId, j: event.jobId };
  return JSON.stringify(wire);
}

/** The event of a notification payload, or null for one this code did not send. */
export function decodeJobEvent(payload: string | undefined): JobEvent | null {
  try {
    const wire = JSON.parse(payload ?? '') as Partial<WireJobEvent>;
    if (typeof wire.o !== 'string' || typeof wire.w !== 'string' || typeof wire.j !== 'string') return null;
    return { organizationId: wire.o, workspaceId: wire.w, jobId: wire.j };
  } catch {
    return null;
  }
}

/**
 * The NOTIFY of a changed job row as a select-list expression over `alias`
 * (a CTE of the changed row): the same channel and payload as publishJobEvent,
 * sent by the statement that makes the change, so it costs no statement of its own.
 */
export function jobEventOfRow(organizationId: string, alias: string) {
  return sql<unknown>`pg_notify(${JOB_EVENTS_CHANNEL}, json_build_object('o', ${organizationId}::text, 'w', ${sql.ref(`${alias}.workspace_id`)}, 'j', ${sql.ref(`${alias}.id`)})::text)`;
}

/** Announces a job change; call it in the transaction that makes the change. */
export async function publishJobEvent(db: PlatformDb, event: JobEvent): Promise<void> {
  // job events: notify listeners on commit
  await sql`select pg_notify(${JOB_EVENTS_CHANNEL}, ${encodeJobEvent(event)})`.execute(db);
}
