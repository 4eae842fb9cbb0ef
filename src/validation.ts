import type { z } from 'zod';
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
