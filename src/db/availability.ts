import pg from 'pg';
import { ServiceUnavailableError } from '../errors.js';

/** SQLSTATEs that mean "the server is going away, restarting or full", not "your statement is wrong". */
const UNAVAILABLE_SQLSTATES = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up / shutting down)
  '57P05', // idle_session_timeout
  '53300', // too_many_connections
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
  '57014', // query_canceled: statement timeout, or our cancel of an abandoned request
]);
const UNAVAILABLE_SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
// node-postgres reports lost connections and pool timeouts by message only.
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
];

/** Whether a driver error means the database is (for now) unavailable rather than the request being wrong. */
export function isUnavailableError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATES.has(code) || UNAVAILABLE_SOCKET_CODES.has(code))) return true;
  return UNAVAILABLE_MESSAGES.some((m) => err.message.includes(m));
}

/** The client-facing error for a failed pool checkout: a full pool reads differently from a lost server. */
export function unavailableFor(err: unknown): ServiceUnavailableError {
  const busy = err instanceof Error && err.message.includes('timeout exceeded when trying to connect');
  return new ServiceUnavailableError(
    busy ? 'The service is busy; try again shortly' : 'The database is unavailable; try again shortly',
  );
}

/**
 * Runs `fn` on a connection of its own, opened for it and closed after, all
 * within `timeoutMs`: never queues behind a full pool. Resolves null when the
 * database does not answer in time or fails.
 */
export async function withShortConnection<T>(connectionString: string, timeoutMs: number, fn: (client: pg.Client) => Promise<T>): Promise<T | null> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs, application_name: 'datalinx-probe' });
  client.on('error', () => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
  const work = client.connect().then(() => fn(client)).catch(() => null);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    void client.end().catch(() => undefined);
  }
}

/** Readiness: can a fresh connection run `select 1` within `timeoutMs`? Concurrent probes share one attempt. */
export function createDatabaseProbe(connectionString: string, timeoutMs = 1000): () => Promise<boolean> {
  let inFlight: Promise<boolean> | null = null;
  const attempt = async () => (await withShortConnection(connectionString, timeoutMs, (c) => c.query('select 1').then(() => true))) === true;
  return () => (inFlight ??= attempt().finally(() => (inFlight = null)));
}
