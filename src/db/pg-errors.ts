import { ConflictError, NotFoundError, ServiceUnavailableError, ValidationError, type DomainError } from '../errors.js';
import { isUnavailableError } from './availability.js';

interface PgError {
  code?: string;
  constraint?: string;
}

function isPgError(err: unknown): err is PgError & Error {
  return err instanceof Error && typeof (err as PgError).code === 'string' && (err as PgError).code!.length === 5;
}

/** Constraint name → what the client is told. Unknown constraints fall back to a generic message. */
const CONSTRAINT_MESSAGES: Record<string, () => DomainError> = {
  organizations_slug_key: () => new ConflictError('An organization with this slug already exists', { field: 'slug' }),
  organizations_schema_name_key: () => new ConflictError('An organization with this slug already exists', { field: 'slug' }),
  users_email_key: () => new ConflictError('A user with this email already exists', { field: 'email' }),
  service_accounts_org_name_key: () => new ConflictError('A service account with this name already exists', { field: 'name' }),
  users_role_fkey: () => new ValidationError('Unknown role', ['role']),
  service_accounts_role_fkey: () => new ValidationError('Unknown role', ['role']),
  data_sources_source_type_check: () => new ValidationError('Unknown source type', ['sourceType']),
  mappings_status_check: () => new ValidationError('Unknown mapping status', ['status']),
  pipeline_jobs_job_type_check: () => new ValidationError('Unknown job type', ['jobType']),
  pipeline_jobs_status_check: () => new ValidationError('Unknown job status', ['status']),
  data_sources_workspace_id_fkey: () => new NotFoundError('Workspace'),
  mappings_workspace_id_fkey: () => new NotFoundError('Workspace'),
  mapping_versions_mapping_id_version_key: () => new ConflictError('Mapping was changed by someone else meanwhile; reload and try again'),
  mapping_versions_mapping_id_fkey: () => new NotFoundError('Mapping'),
  pipeline_jobs_workspace_id_fkey: () => new NotFoundError('Workspace'),
  users_organization_id_fkey: () => new NotFoundError('Organization'),
};

const DATA_EXCEPTION_MESSAGES: Record<string, string> = {
  '22003': 'A number is out of range',
  '22007': 'A date or time is not valid',
  '22008': 'A date or time is out of range',
  '22P02': 'A value is not valid for its field',
};

/**
 * Turns a driver error raised by a constraint, or by the database being
 * unavailable, into a domain error; anything
 * else is rethrown untouched (and later masked for the client).
 */
export function toDomainError(err: unknown): unknown {
  // A lost connection, a restarting server, a cancelled or timed-out statement: retry later.
  if (isUnavailableError(err)) return new ServiceUnavailableError();
  if (!isPgError(err)) return err;
  const known = err.constraint ? CONSTRAINT_MESSAGES[err.constraint] : undefined;
  if (known) return known();
  switch (err.code) {
    case '42P06': // duplicate_schema: a schema of that name exists outside our books
      return new ConflictError('This slug cannot be used; choose another', { field: 'slug' });
    case '22021': // character_not_in_repertoire (e.g. a NUL in text)
    case '22P05':
      return new ValidationError('Text contains characters that cannot be stored (such as NUL)');
    case '23505':
      return new ConflictError('This value is already taken');
    case '23503':
      return new ValidationError('A referenced record does not exist');
    case '23514':
    case '23502':
    case '22001':
      return new ValidationError('A value is invalid or too long');
    default:
      // Any other data exception (class 22: a date or number out of range,
      // text PostgreSQL cannot read …) is about a value the client sent.
      return err.code!.startsWith('22') ? new ValidationError(DATA_EXCEPTION_MESSAGES[err.code!] ?? 'A value cannot be stored as given') : err;
  }
}

/** Runs a DAO statement and translates constraint violations into domain errors. */
export async function mapDbErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toDomainError(err);
  }
}
