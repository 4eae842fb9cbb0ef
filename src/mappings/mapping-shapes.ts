import { z } from 'zod';
import type { StoredCteDefinition, StoredDecorator, StoredFieldMappings } from '../db/tables/mappings.table.js';
import { parseInput } from '../validation.js';

/**
 * The JSONB columns of a mapping as typed API objects and back. The stored
 * shapes stay the design's own (`{"customer_id": {"source": "cust_id",
 * "transform": null}}`), so SQL over them (and the GIN index) keeps working.
 */

export interface FieldMapping {
  targetField: string;
  /** Null when the transform computes the field from other columns. */
  source: string | null;
  transform: string | null;
}

export interface IdentityResolutionConfig {
  matchKeys: string[];
  strategy: 'exact' | 'fuzzy';
  targetIdField: string | null;
  confidenceThreshold: number | null;
}

export type Decorator =
  | { type: 'identity_resolution'; config: IdentityResolutionConfig }
  | { type: string; config: unknown; generic: true };

export interface CteDefinition {
  name: string;
  sql: string;
}

const identifier = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an identifier (letters, digits, underscores; not starting with a digit)');

const FieldMappingInput = z
  .object({
    targetField: identifier,
    source: z.string().trim().min(1).max(1000).nullish(),
    transform: z.string().max(10_000).nullish(),
  })
  .refine((f) => f.source != null || (f.transform != null && f.transform.trim() !== ''), 'a field needs a source column, a transform, or both');
const FieldMappingsInput = z
  .array(FieldMappingInput)
  .min(1, 'a mapping needs at least one field')
  .max(2000)
  .refine((list) => new Set(list.map((f) => f.targetField)).size === list.length, 'target fields must be unique');

const IdentityResolutionInput = z.object({
  matchKeys: z.array(z.string().min(1).max(255)).min(1).max(20),
  strategy: z.enum(['exact', 'fuzzy']).nullish().transform((v) => v ?? 'exact'),
  targetIdField: identifier.nullish(),
  confidenceThreshold: z.number().min(0).max(1).nullish(),
});
const DecoratorInput = z
  .object({
    identityResolution: IdentityResolutionInput.nullish(),
    generic: z.object({ type: z.string().regex(/^[a-z][a-z0-9_]*$/).max(100), config: z.unknown().optional() }).nullish(),
  })
  .refine((d) => [d.identityResolution, d.generic].filter((v) => v != null).length === 1, 'set exactly one decorator kind');
const DecoratorsInput = z.array(DecoratorInput).max(50);

const CteInput = z.object({ name: identifier, sql: z.string().trim().min(1).max(100_000) });
const CtesInput = z
  .array(CteInput)
  .max(100)
  .refine((list) => new Set(list.map((c) => c.name.toLowerCase())).size === list.length, 'CTE names must be unique');

export type FieldMappingInput = z.input<typeof FieldMappingInput>;
export type DecoratorInput = z.input<typeof DecoratorInput>;
export type CteInput = z.input<typeof CteInput>;

const parse = <T>(schema: z.ZodType<T>, value: unknown, field: string): T => parseInput(schema, value, ['input', field]);

export function toStoredFieldMappings(input: FieldMappingInput[]): StoredFieldMappings {
  const list = parse(FieldMappingsInput, input, 'fieldMappings');
  return Object.fromEntries(list.map((f) => [f.targetField, { source: f.source ?? null, transform: f.transform ?? null }]));
}

/**
 * A search for mappings whose field mappings include `targetField` with the
 * given source and transform, as the stored JSONB value to test with `@>`.
 */
export function toStoredContainment(search: { targetField: string; source?: string | null; transform?: string | null }): StoredFieldMappings {
  const entry = Object.fromEntries(Object.entries({ source: search.source, transform: search.transform }).filter(([, v]) => v != null));
  return { [search.targetField]: entry as StoredFieldMappings[string] };
}

export function toFieldMappings(stored: StoredFieldMappings): FieldMapping[] {
  return Object.entries(stored ?? {}).map(([targetField, m]) => ({
    targetField,
    source: m?.source == null ? null : String(m.source),
    transform: m?.transform ?? null,
  }));
}

export function toStoredDecorators(input: DecoratorInput[]): StoredDecorator[] {
  return parse(DecoratorsInput, input, 'decorators').map((d) =>
    d.identityResolution
      ? {
          type: 'identity_resolution',
          config: {
            match_keys: d.identityResolution.matchKeys,
            strategy: d.identityResolution.strategy,
            target_id_field: d.identityResolution.targetIdField ?? null,
            confidence_threshold: d.identityResolution.confidenceThreshold ?? null,
          },
        }
      : { type: d.generic!.type, config: d.generic!.config ?? null },
  );
}

const StoredIdentityConfig = z.object({
  match_keys: z.array(z.string()),
  strategy: z.enum(['exact', 'fuzzy']).default('exact'),
  target_id_field: z.string().nullish(),
  confidence_threshold: z.number().nullish(),
});

/** Known kinds become typed decorators; anything else (or malformed) stays generic JSON. */
export function toDecorators(stored: StoredDecorator[]): Decorator[] {
  return (stored ?? []).map((d) => {
    if (d.type === 'identity_resolution') {
      const cfg = StoredIdentityConfig.safeParse(d.config);
      if (cfg.success) {
        return {
          type: 'identity_resolution',
          config: {
            matchKeys: cfg.data.match_keys,
            strategy: cfg.data.strategy,
            targetIdField: cfg.data.target_id_field ?? null,
            confidenceThreshold: cfg.data.confidence_threshold ?? null,
          },
        };
      }
    }
    return { type: String(d.type), config: d.config ?? null, generic: true };
  });
}

export function toStoredCtes(input: CteInput[]): StoredCteDefinition[] {
  return parse(CtesInput, input, 'cteDefinitions');
}

export function toCteDefinitions(stored: StoredCteDefinition[]): CteDefinition[] {
  return (stored ?? []).map((c) => ({ name: String(c.name), sql: String(c.sql) }));
}
