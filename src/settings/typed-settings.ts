import { z } from 'zod';
import { ValidationError } from '../errors.js';
import { parseInput } from '../validation.js';

/**
 * Settings JSONB columns hold a flat object: the keys the API knows (typed by
 * a zod object) and any others, shown under `extra`. One implementation for
 * workspace and organization settings.
 */
export type Typed<S extends z.ZodObject> = Partial<z.infer<S>> & { extra: Record<string, unknown> };
export type TypedInput<S extends z.ZodObject> = { [K in keyof z.infer<S>]?: z.infer<S>[K] | null } & {
  extra?: Record<string, unknown> | null;
};

/** Stored object → known keys (when valid) + the rest. */
export function splitSettings<S extends z.ZodObject>(schema: S, stored: Record<string, unknown> | null | undefined): Typed<S> {
  const extra: Record<string, unknown> = {};
  const known: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(stored ?? {})) {
    const field = schema.shape[key] as z.ZodType | undefined;
    const parsed = field?.safeParse(value);
    if (parsed?.success) known[key] = parsed.data;
    else extra[key] = value;
  }
  return { ...(known as Partial<z.infer<S>>), extra };
}

/**
 * Input over a base (defaults or what is stored) → the object to store. Known
 * keys are validated; `extra`, when given, replaces the base's and may not
 * shadow a known key.
 */
export function mergeSettings<S extends z.ZodObject>(schema: S, base: Typed<S>, input: TypedInput<S>, path: string[]): Record<string, unknown> {
  const { extra, ...known } = input;
  const given = Object.fromEntries(Object.entries(known).filter(([, v]) => v !== null && v !== undefined));
  const parsed = parseInput<Record<string, unknown>>(schema.partial(), given, path);
  const newExtra = extra ?? base.extra;
  const clashes = Object.keys(newExtra).filter((k) => k in schema.shape);
  if (clashes.length) {
    throw new ValidationError(`${path.slice(1).join('.')}.extra may not contain the known keys ${clashes.join(', ')}`, [...path, 'extra']);
  }
  const { extra: _old, ...baseKnown } = base;
  return { ...newExtra, ...baseKnown, ...parsed };
}

const knownTimeZones = new Map<string, boolean>();

/** Building an Intl.DateTimeFormat costs tens of microseconds, and every settings read checks its zone: remember answers. */
export function isTimeZone(tz: string): boolean {
  let valid = knownTimeZones.get(tz);
  if (valid === undefined) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      valid = true;
    } catch {
      valid = false;
    }
    if (knownTimeZones.size < 1000) knownTimeZones.set(tz, valid);
  }
  return valid;
}

/** A settings value naming an IANA time zone. */
export const timeZone = z.string().min(1).max(64).refine(isTimeZone, 'must be an IANA time zone such as Europe/Berlin');
