import SchemaBuilder, { BasePlugin, type PothosOutputFieldConfig, type SchemaTypes } from '@pothos/core';
import type { GraphQLFieldResolver } from 'graphql';
import { ValidationError } from '../errors.js';

/**
 * Limits of what one field's arguments may hold, free-form JSON included
 * (workspace `settings.extra`, a generic decorator's `config` …): nesting
 * counted from the argument, and values in all.
 */
export const INPUT_LIMITS = { depth: 32, values: 10_000 } as const;

type Path = (string | number)[];

/**
 * Text PostgreSQL can store: well-formed Unicode (no lone UTF-16 surrogate,
 * which JSON allows as "\ud800") and no NUL, which neither text nor jsonb accept.
 */
export function isStorableText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\0');
}

const TEXT_MESSAGE = 'text must be well-formed Unicode without NUL characters';

const refuse = (message: string, path: Path) => new ValidationError(`${path.join('.')}: ${message}`, path);

/**
 * Checks one argument value: every string (object keys too) storable, at most
 * INPUT_LIMITS.depth levels deep. The walk stops at the limit, so a
 * 50,000-level body overflows neither this nor a later JSON.stringify.
 */
function checkValue(value: unknown, path: Path, budget: { values: number }): void {
  if (--budget.values < 0) throw refuse(`more than ${INPUT_LIMITS.values} input values`, path);
  if (typeof value === 'string') {
    if (!isStorableText(value)) throw refuse(TEXT_MESSAGE, path);
    return;
  }
  if (value === null || typeof value !== 'object' || value instanceof Date) return;
  if (path.length > INPUT_LIMITS.depth) throw refuse(`input is nested more than ${INPUT_LIMITS.depth} levels deep`, path);
  if (Array.isArray(value)) {
    value.forEach((item, i) => checkValue(item, [...path, i], budget));
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    if (!isStorableText(key)) throw refuse(`a key's ${TEXT_MESSAGE}`, path);
    checkValue(item, [...path, key], budget);
  }
}

/** Checks a field's (coerced) arguments; a problem is a ValidationError with its path, e.g. ['input', 'settings', 'extra', 'a']. */
export function checkArguments(args: Record<string, unknown>): void {
  const budget = { values: INPUT_LIMITS.values };
  for (const [name, value] of Object.entries(args)) checkValue(value, [name], budget);
}

/**
 * Input that could never be stored is refused at the edge, for every field
 * alike, before its resolver (and validation, authorization) runs. Thrown
 * inside the errors plugin, it is a mutation's typed ValidationError and a
 * query's VALIDATION error.
 */
export class InputGuardPlugin<Types extends SchemaTypes> extends BasePlugin<Types> {
  override wrapResolve(
    resolver: GraphQLFieldResolver<unknown, Types['Context'], object>,
    fieldConfig: PothosOutputFieldConfig<Types>,
  ): GraphQLFieldResolver<unknown, Types['Context'], object> {
    if (Object.keys(fieldConfig.args).length === 0) return resolver;
    return (parent, args, context, info) => {
      checkArguments(args as Record<string, unknown>);
      return resolver(parent, args, context, info);
    };
  }
}

SchemaBuilder.registerPlugin('inputGuard', InputGuardPlugin);

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Pothos' plugin registry
  export namespace PothosSchemaTypes {
    export interface Plugins<Types extends SchemaTypes> {
      inputGuard: InputGuardPlugin<Types>;
    }
  }
}

export default 'inputGuard' as const;
