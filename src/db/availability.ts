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
  // Kysely's base handle once the process closed its pool at the end of a shutdown (a request's own handle gets pg-pool's message above).
  'driver has already been destroyed',
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
 * Readiness: does the database answer `select 1` within `timeoutMs`? The probe
 * keeps one connection of its own (never the pool's, so a full pool cannot
 * make it queue); a failed or slow one is dropped, and the check is retried
 * once on a fresh connection in the time left, so a restarted database reads
 * as back at the first probe. Concurrent probes share one attempt.
 */
export function createDatabaseProbe(connectionString: string, timeoutMs = 1000): { check(): Promise<boolean>; close(): Promise<void> } {
  let client: pg.Client | null = null;
  let inFlight: Promise<boolean> | null = null;
  const drop = () => {
    void client?.end().catch(() => undefined);
    client = null;
  };
  const within = <T>(work: Promise<T>, ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('probe timed out')), ms)));
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  };
  const selectOne = async (deadline: number) => {
    if (!client) {
      const fresh = new pg.Client({ connectionString, connectionTimeoutMillis: timeoutMs, application_name: 'datalinx-readiness' });
      fresh.on('error', () => (client === fresh ? drop() : undefined));
      client = fresh;
      await within(fresh.connect(), deadline - Date.now());
    }
    await within(client.query('select 1'), deadline - Date.now());
  };
  const attempt = async () => {
    const deadline = Date.now() + timeoutMs;
    const reused = client !== null;
    try {
      await selectOne(deadline);
      return true;
    } catch {
      drop();
      if (!reused || Date.now() >= deadline) return false;
      return selectOne(deadline).then(() => true, () => (drop(), false));
    }
  };
  return {
    check: () => (inFlight ??= attempt().finally(() => (inFlight = null))),
    async close() {
      await inFlight?.catch(() => undefined);
      await client?.end().catch(() => undefined);
      client = null;
    },
  };
}
