import type pg from 'pg';
import { JOB_EVENTS_CHANNEL } from '../jobs/job-events.dao.js';

/**
 * The listener's one statement. It runs on a dedicated `pg.Client` (not the
 * pool, not Kysely): notifications arrive on the connection that listens, so
 * it must stay checked out for the life of the process.
 */
export async function listenForJobEvents(client: pg.Client): Promise<void> {
  // job events: subscribe this connection to the channel (a constant identifier)
  await client.query(`LISTEN ${JOB_EVENTS_CHANNEL}`);
}
