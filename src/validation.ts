import { z } from 'zod';
import { ValidationError } from './errors.js';

/**
 * Parses input with a zod schema; the first problem becomes a ValidationError
 * whose path is `basePath` plus where the problem is, e.g.
 * ['input', 'fieldMappings', 0, 'targetField'] with the message
 * "fieldMappings.0.targetField: …".
 */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, basePath: (string | number)[]): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [...basePath, ...issue.path.map((p) => (typeof p === 'number' ? p : String(p)))];
  const label = (path[0] === 'input' ? path.slice(1) : path).join('.');
  throw new ValidationError(`${label || 'input'}: ${issue.message}`, path);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a value is a UUID in its text form (ids are checked before they reach SQL). */
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);
/** The longest name (of an organization, workspace, data source, table …) the API stores. */
export const MAX_NAME_LENGTH = 255;

/**
 * A required name, trimmed: empty or longer than MAX_NAME_LENGTH is refused
 * with a message that names the field by its path ("input.name: …").
 */
export function checkName(value: string, label: string, path: (string | number)[]): string {
  const trimmed = typeof value === 'string' ? value.trim() : '';
  const where = path.join('.');
  if (!trimmed) throw new ValidationError(`${where}: ${label} is required`, path);
  if (trimmed.length > MAX_NAME_LENGTH) throw new ValidationError(`${where}: ${label} must be at most ${MAX_NAME_LENGTH} characters`, path);
  return trimmed;
}

/** An email address, trimmed and lower-cased; refused when it is not one. */
export function checkEmail(email: string, path: (string | number)[] = ['email']): string {
  const parsed = z.email().max(MAX_NAME_LENGTH).safeParse(typeof email === 'string' ? email.trim() : email);
  if (!parsed.success) throw new ValidationError('Email is not a valid address', path);
  return parsed.data.toLowerCase();
}
