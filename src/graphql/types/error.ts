import type { DomainError} from '../../errors.js';
import { ConflictError, ForbiddenError, NotFoundError, UnauthenticatedError, ValidationError } from '../../errors.js';
import { builder } from '../builder.js';

/** Every typed error a mutation can return implements `Error`. */
export const ErrorInterface = builder.interfaceRef<DomainError>('Error').implement({
  description: 'A problem a client can act on. Mutations return these as members of their result union.',
  fields: (t) => ({
    message: t.exposeString('message'),
    code: t.exposeString('code', { description: 'A stable machine-readable code, e.g. NOT_FOUND.' }),
  }),
});

builder.objectType(ValidationError, {
  name: 'ValidationError',
  description: 'The input broke a rule; `path` says where, e.g. ["input", "fieldMappings", 0, "targetField"].',
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof ValidationError,
  fields: (t) => ({ path: t.stringList({ resolve: (e) => e.path.map(String) }) }),
});

builder.objectType(NotFoundError, {
  name: 'NotFoundError',
  description: 'The entity does not exist, or is not visible to the caller.',
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof NotFoundError,
  fields: (t) => ({ entityType: t.exposeString('entityType') }),
});

builder.objectType(ConflictError, {
  name: 'ConflictError',
  description: 'The change collides with the current state (a taken name, a stale version, a forbidden status move).',
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof ConflictError,
  fields: (t) => ({
    currentVersion: t.int({ nullable: true, resolve: (e) => numberOrNull(e.details.currentVersion) }),
    // Spelled like the MappingStatus / JobStatus enum values, so clients can compare them.
    currentStatus: t.string({ nullable: true, resolve: (e) => stringOrNull(e.details.currentStatus)?.toUpperCase() ?? null }),
  }),
});

builder.objectType(ForbiddenError, {
  name: 'ForbiddenError',
  description: "The caller's role does not allow this.",
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof ForbiddenError,
});

builder.objectType(UnauthenticatedError, {
  name: 'UnauthenticatedError',
  description: 'Sign in first, or the credentials given are not valid.',
  interfaces: [ErrorInterface],
  isTypeOf: (e) => e instanceof UnauthenticatedError,
});

const numberOrNull = (v: unknown) => (typeof v === 'number' ? v : null);
const stringOrNull = (v: unknown) => (typeof v === 'string' ? v : null);

/** The errors every data-changing mutation may return. */
export const MUTATION_ERRORS = [ValidationError, NotFoundError, ConflictError, ForbiddenError, UnauthenticatedError];
