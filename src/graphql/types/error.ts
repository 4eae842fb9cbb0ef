import type { DomainError} from '../../errors.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  RateLimitError,
  SourceConnectionError,
  UnauthenticatedError,
  UnsupportedSourceError,
  ValidationError,
} from '../../errors.js';
import { builder } from '../builder.js';

/** Every typed error a mutation can return implements `Error`. */
export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  description:
    'A problem the caller can act on. Mutations return these as members of their result union; select `... on Error { code message }` to get any of them.',
  fields: (t) => ({
    message: t.exposeString('message', { description: 'What went wrong, in words meant for a person. Never contains SQL or internals.' }),
    code: t.exposeString('code', {
      description: 'A stable machine-readable code: VALIDATION, NOT_FOUND, CONFLICT, FORBIDDEN or UNAUTHENTICATED. Branch on this, not on `message`.',
    }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input broke a rule (a length, a format, a range, a combination). Code VALIDATION. Nothing was changed.',
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof ValidationError,
  fields: (t) => ({
    path: t.stringList({
      description: 'Where the bad value is, from the argument down, e.g. ["input", "fieldMappings", "0", "targetField"]. Empty when the request as a whole is refused.',
      resolve: (e) => e.path.map(String),
    }),
  }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description:
    "The entity does not exist, or belongs to another organization (the two are not told apart). Also returned for an ID of the wrong type. Code NOT_FOUND.",
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof NotFoundError,
  fields: (t) => ({ entityType: t.exposeString('entityType', { description: 'The type that was looked for, e.g. Workspace.' }) }),
});

builder.objectType(ConflictError, {
  name: 'ConflictError',
  description:
    'The change collides with the current state: a taken name or slug, a stale `expectedVersion`, a status move that is not allowed, a workspace with running jobs. Code CONFLICT. Nothing was changed.',
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof ConflictError,
  fields: (t) => ({
    currentVersion: t.int({
      nullable: true,
      description: 'For a stale `expectedVersion`: the version now stored. Reload, reapply the change, and send this.',
      resolve: (e) => numberOrNull(e.details.currentVersion),
    }),
    // Spelled like the MappingStatus / JobStatus enum values, so clients can compare them.
    currentStatus: t.string({
      nullable: true,
      description: 'For a refused status change: the current status, spelled like the enum value (e.g. ARCHIVED, COMPLETED, OWNER).',
      resolve: (e) => stringOrNull(e.details.currentStatus)?.toUpperCase() ?? null,
    }),
  }),
});

builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  description: "The caller is signed in, but its role (or kind: a service account has no user profile) does not allow this. Code FORBIDDEN.",
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof ForbiddenError,
});

builder.objectType(UnauthenticatedError, {
  name: 'UnauthenticatedError',
  description:
    'No valid credentials: the request carries no token, or a password, code, refresh token or invitation given is wrong or expired. Code UNAUTHENTICATED.',
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof UnauthenticatedError,
});

builder.objectType(SourceConnectionError, {
  name: 'SourceConnectionError',
  description:
    'Connecting to the data source failed at one step (see `step`); the message says why in words to act on ("password authentication failed for user etl"). Never contains a secret. Code SOURCE_CONNECTION. Nothing was changed.',
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof SourceConnectionError,
  fields: (t) => ({
    step: t.exposeString('step', {
      description: 'The step that failed, named like ConnectionCheck.name: resolve_host, address_policy, tcp_connect, tls, authenticate, open_database or read_catalog.',
    }),
  }),
});

builder.objectType(UnsupportedSourceError, {
  name: 'UnsupportedSourceError',
  description: 'This source type has no connector for the operation yet (schema discovery of snowflake, api and file sources). Code UNSUPPORTED_SOURCE. Nothing was changed.',
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof UnsupportedSourceError,
  fields: (t) => ({ sourceType: t.string({ description: 'The source type, spelled like the DataSourceType value (e.g. SNOWFLAKE).', resolve: (e) => e.sourceType.toUpperCase() }) }),
});

builder.objectType(RateLimitError, {
  name: 'RateLimitError',
  description: 'Too many connection attempts by this organization in the last minute (SOURCE_CONNECT_RATE_LIMIT). Code RATE_LIMITED. Nothing was attempted.',
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof RateLimitError,
  fields: (t) => ({ retryAfterSeconds: t.exposeInt('retryAfterSeconds', { description: 'Seconds until an attempt is allowed again.' }) }),
});

const numberOrNull = (v: unknown) => (typeof v === 'number' ? v : null);
const stringOrNull = (v: unknown) => (typeof v === 'string' ? v : null);

/** The errors every data-changing mutation may return. */
export const MUTATION_ERRORS = [ValidationError, NotFoundError, ConflictError, ForbiddenError, UnauthenticatedError];

/** The errors of mutations that connect to a data source: the common ones, and the connection's own. */
export const SOURCE_CONNECTION_ERRORS = [ValidationError, NotFoundError, ForbiddenError, UnauthenticatedError, RateLimitError, UnsupportedSourceError, SourceConnectionError];

type ErrorClass = (typeof MUTATION_ERRORS)[number] | (typeof SOURCE_CONNECTION_ERRORS)[number];

const unionDescription = (mutation: string, types: readonly ErrorClass[]) =>
  `What \`${mutation}\` returns: its result, or one of the typed errors ${[...new Set([ValidationError, ...types])].map((t) => t.name).join(', ')}.`;

/**
 * The `errors` option of a mutation whose result is wrapped in a payload
 * (`<Name>Payload { <data.name> }`): the typed errors it can return, and the
 * descriptions of the union and payload the errors plugin generates for it.
 */
export function payloadErrors(mutation: string, data: { name: string; description: string }, types: ErrorClass[] = MUTATION_ERRORS) {
  return {
    types,
    union: { description: unionDescription(mutation, types) },
    result: { description: `The result of a successful \`${mutation}\`.` },
    dataField: data,
  };
}

/** The `errors` option of a mutation whose result object is itself a member of the union. */
export function directErrors(mutation: string, types: ErrorClass[] = MUTATION_ERRORS) {
  return { types, directResult: true as const, union: { description: unionDescription(mutation, types) } };
}
