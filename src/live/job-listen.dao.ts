import type pg from 'pg';
import { JOB_EVENTS_CHANNEL } from '../jobs/job-events.dao.js';

/**
 * The listener's one statement. It runs on a dedicated `pg.Client` (not the
 * pool, not Kysely): notifications arrive on the connection that listens, so
 * it must stay checked out for the life of the process.
 */
export async function listenForJobEvents(client: pg.Client): Promise<void> {
  // job events and credential changes: subscribe this connection to both channels (constant identifiers)
  await client.query(`LISTEN ${JOB_EVENTS_CHANNEL}; LISTEN ${CREDENTIALS_CHANNEL}`);
}

/**
 * Sent by the platform tables' triggers (migration v1.0.13) when a session or
 * key is revoked or a role changes; the payload is the organization's id.
 */
export const CREDENTIALS_CHANNEL = 'datalinx_credentials';
