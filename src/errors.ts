/**
 * Domain errors. Managers and DAOs throw these; the GraphQL layer exposes them
 * as typed errors on mutation payloads. Their messages are written for clients:
 * never put SQL, stack or driver text in one.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
}

/** One of several problems found in a larger input (a mapping's SQL), each with its own place. */
export interface InputProblem {
  path: readonly string[];
  code: string;
  message: string;
  position: number | null;
  suggestion: string | null;
}

export class ValidationError extends DomainError {
  readonly code = 'VALIDATION';
  override name = 'ValidationError';
  constructor(
    message: string,
    /** Where the bad value is, e.g. ['input', 'slug']. */
    readonly path: readonly (string | number)[] = [],
    /** When a whole definition was checked (a mapping made ACTIVE): every problem found. */
    readonly problems: readonly InputProblem[] = [],
  ) {
    super(message);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
  override name = 'NotFoundError';
  constructor(
    readonly entityType: string,
    readonly entityId?: string,
  ) {
    super(entityId ? `${entityType} ${entityId} was not found` : `${entityType} was not found`);
  }
}

export class ConflictError extends DomainError {
  readonly code = 'CONFLICT';
  override name = 'ConflictError';
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
  override name = 'ForbiddenError';
  constructor(message = 'You are not allowed to do this') {
    super(message);
  }
}

export class UnauthenticatedError extends DomainError {
  readonly code = 'UNAUTHENTICATED';
  override name = 'UnauthenticatedError';
  constructor(message = 'Authentication required') {
    super(message);
  }
}

/** The query is deeper, wider or costlier than this server allows. */
export class QueryLimitError extends DomainError {
  readonly code = 'QUERY_LIMIT';
  override name = 'QueryLimitError';
}

/**
 * The database cannot serve this request now: it is unreachable, restarting, or
 * every pool connection stayed busy for the whole bounded wait. Answered as
 * HTTP 503 with `Retry-After`; the client should try again.
 */
export class ServiceUnavailableError extends DomainError {
  readonly code = 'SERVICE_UNAVAILABLE';
  override name = 'ServiceUnavailableError';
  constructor(message = 'The service is temporarily unavailable; try again shortly') {
    super(message);
  }
}

/**
 * A connection to a customer's source or warehouse failed at one step (see
 * `step`: resolve_host, address_policy, tcp_connect, tls, authenticate,
 * open_database, read_catalog). The message names the step's problem in words a
 * user can act on; it never holds a secret or raw driver output.
 */
export class SourceConnectionError extends DomainError {
  readonly code = 'SOURCE_CONNECTION';
  override name = 'SourceConnectionError';
  constructor(
    readonly step: string,
    message: string,
    /** The driver's SQLSTATE or errno code, when there was one (e.g. 28P01, ECONNREFUSED). */
    readonly reason: string | null = null,
  ) {
    super(message);
  }
}

/** The operation is not available for this kind of source yet (e.g. discovery of a Snowflake source). */
export class UnsupportedSourceError extends DomainError {
  readonly code = 'UNSUPPORTED_SOURCE';
  override name = 'UnsupportedSourceError';
  constructor(
    readonly sourceType: string,
    what: string,
  ) {
    super(`${what} is not supported yet for ${sourceType} sources`);
  }
}

/** Too many attempts in a short time; try again after `retryAfterSeconds`. */
export class RateLimitError extends DomainError {
  readonly code = 'RATE_LIMITED';
  override name = 'RateLimitError';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
