import type { StoredFailure } from '../db/tables/pipeline-jobs.table.js';
import { scrub } from '../connectors/index.js';
import { SourceConnectionError } from '../errors.js';

export type FailureOrigin = StoredFailure['origin'];
export type FailureType = StoredFailure['type'];

/** An executor's typed failure; its message is shown to users, so it never carries a secret. */
export class JobFailure extends Error {
  constructor(
    readonly origin: FailureOrigin,
    readonly type: FailureType,
    message: string,
    readonly retryable = type === 'transient_error' || type === 'worker_lost',
  ) {
    super(message);
    this.name = 'JobFailure';
  }

  toStored(): StoredFailure {
    return { origin: this.origin, type: this.type, retryable: this.retryable, message: this.message };
  }
}

// SQLSTATE classes a retry may cure: connection exceptions, insufficient resources, operator intervention
// (57P01 admin shutdown …), serialization failures and deadlocks.
const TRANSIENT_CLASSES = ['08', '53', '57P0', '40'];
const TRANSIENT_NET = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * What went wrong, typed: a JobFailure as thrown; a driver error from the
 * source or warehouse by its SQLSTATE (57014 cancelled → TIMEOUT, connection
 * trouble → TRANSIENT_ERROR, the rest → CONFIG_ERROR: bad SQL, missing table,
 * denied); anything else is a PLATFORM SYSTEM_ERROR with a generic message
 * (its detail goes to the worker's log, not to users).
 */
export function classifyFailure(err: unknown, origin: FailureOrigin, secrets: readonly (string | null | undefined)[] = []): StoredFailure {
  if (err instanceof JobFailure) return { ...err.toStored(), message: scrub(err.message, secrets) };
  const e = err as { code?: unknown; message?: unknown };
  if (err instanceof SourceConnectionError) {
    const message = scrub(err.message, secrets);
    // An unreachable, busy or slow server may come back (a connection attempt that timed out, too many
    // connections, a server starting up); a refused address, a bad password or a missing database will not.
    const busy = err.reason !== null && TRANSIENT_CLASSES.some((c) => err.reason!.startsWith(c));
    const transient = err.step === 'tcp_connect' || err.step === 'resolve_host' || err.step === 'tls' || busy || /^timed out after /.test(err.message);
    return transient ? { origin, type: 'transient_error', retryable: true, message } : { origin, type: 'config_error', retryable: false, message };
  }
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? scrub(e.message, secrets) : 'unknown error';
  if (/^[0-9A-Z]{5}$/.test(code)) {
    if (code === '57014') return { origin, type: 'timeout', retryable: false, message: `statement cancelled: ${message}` };
    if (TRANSIENT_CLASSES.some((c) => code.startsWith(c))) return { origin, type: 'transient_error', retryable: true, message };
    return { origin, type: 'config_error', retryable: false, message };
  }
  if (TRANSIENT_NET.has(code)) return { origin, type: 'transient_error', retryable: true, message: `${code}: connection failed` };
  return { origin: 'platform', type: 'system_error', retryable: false, message: 'internal error in the worker (see its log)' };
}
