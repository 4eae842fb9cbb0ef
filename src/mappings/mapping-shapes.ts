import { z } from 'zod';
import type { StoredCteDefinition, StoredDecorator, StoredFieldMappings } from '../db/tables/mappings.table.js';
import { parseInput } from '../validation.js';
import { DEFAULT_IGNORED, fromLegacy, NORMALIZATIONS, readIdentityConfig, type IdentityResolution } from './sql/index.js';

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

/**
 * An identity-resolution decorator's settings: identifiers, match rules and
 * the output column (see sql/identity-resolution.ts), plus the fields of the
 * first, legacy shape (`matchKeys`, `strategy`, …), derived when the stored
 * config has the new shape.
 */
export interface IdentityResolutionConfig extends IdentityResolution {
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

const IdentityIdentifierInput = z.object({
  column: identifier,
  normalize: z.array(z.enum(NORMALIZATIONS)).max(4).nullish(),
  ignoreValues: z.array(z.string().max(255)).max(100).nullish(),
});
const IdentityResolutionInput = z
  .object({
    identifiers: z.array(IdentityIdentifierInput).min(1).max(20).nullish(),
    matchRules: z.array(z.object({ allOf: z.array(identifier).min(1).max(20) })).min(1).max(20).nullish(),
    recordKey: identifier.nullish(),
    outputColumn: identifier.nullish(),
    maxIterations: z.number().int().min(1).max(100).nullish(),
    // The first, legacy shape.
    matchKeys: z.array(z.string().min(1).max(255)).min(1).max(20).nullish(),
    strategy: z.enum(['exact', 'fuzzy']).nullish(),
    targetIdField: identifier.nullish(),
    confidenceThreshold: z.number().min(0).max(1).nullish(),
  })
  .superRefine((c, ctx) => {
    const legacy = ['matchKeys', 'strategy', 'targetIdField', 'confidenceThreshold'] as const;
    const current = ['identifiers', 'matchRules', 'recordKey', 'outputColumn', 'maxIterations'] as const;
    if (c.identifiers == null && c.matchKeys == null) ctx.addIssue({ code: 'custom', message: 'set identifiers (or the legacy matchKeys)', path: ['identifiers'] });
    else if (c.identifiers != null) {
      for (const k of legacy) if (c[k] != null) ctx.addIssue({ code: 'custom', message: `${k} belongs to the legacy shape; with identifiers use ${k === 'targetIdField' ? 'outputColumn' : 'matchRules'}`, path: [k] });
    } else for (const k of current) if (c[k] != null) ctx.addIssue({ code: 'custom', message: `${k} needs identifiers instead of the legacy matchKeys`, path: [k] });
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

export function toFieldMappings(stored: StoredFieldMappings): FieldMapping[] {
  return Object.entries(stored ?? {}).map(([targetField, m]) => ({
    targetField,
    source: m?.source == null ? null : String(m.source),
    transform: m?.transform ?? null,
  }));
}

function toStoredIdentity(c: z.output<typeof IdentityResolutionInput>): Record<string, unknown> {
  if (c.identifiers == null) {
    return { match_keys: c.matchKeys, strategy: c.strategy ?? 'exact', target_id_field: c.targetIdField ?? null, confidence_threshold: c.confidenceThreshold ?? null };
  }
  return {
    identifiers: c.identifiers.map((i) => ({ column: i.column, normalize: i.normalize ?? ['trim', 'lower'], ignore_values: i.ignoreValues ?? DEFAULT_IGNORED })),
    // Without rules, any one identifier in common makes two records one entity.
    match_rules: (c.matchRules ?? c.identifiers.map((i) => ({ allOf: [i.column] }))).map((r) => ({ all_of: r.allOf })),
    record_key: c.recordKey ?? null,
    output_column: c.outputColumn ?? 'entity_id',
    max_iterations: c.maxIterations ?? 20,
  };
}

export function toStoredDecorators(input: DecoratorInput[]): StoredDecorator[] {
  return parse(DecoratorsInput, input, 'decorators').map((d) =>
    d.identityResolution ? { type: 'identity_resolution', config: toStoredIdentity(d.identityResolution) } : { type: d.generic!.type, config: d.generic!.config ?? null },
  );
}

const StoredLegacyIdentity = z.object({
  match_keys: z.array(z.string()),
  strategy: z.enum(['exact', 'fuzzy']).default('exact'),
  target_id_field: z.string().nullish(),
  confidence_threshold: z.number().nullish(),
});

/** The typed view of a stored identity-resolution config; null when it fits neither shape. */
function toIdentityConfig(decorator: StoredDecorator): IdentityResolutionConfig | null {
  const legacy = StoredLegacyIdentity.safeParse(decorator.config);
  if (legacy.success && (decorator.config as { identifiers?: unknown }).identifiers === undefined) {
    const l = legacy.data;
    return { ...fromLegacy(l.match_keys, l.target_id_field), matchKeys: l.match_keys, strategy: l.strategy, targetIdField: l.target_id_field ?? null, confidenceThreshold: l.confidence_threshold ?? null };
  }
  const read = readIdentityConfig(decorator);
  if (!read.ok) return null;
  return { ...read.config, matchKeys: read.config.identifiers.map((i) => i.column), strategy: 'exact', targetIdField: read.config.outputColumn, confidenceThreshold: null };
}

/** Known kinds become typed decorators; anything else (or malformed) stays generic JSON. */
export function toDecorators(stored: StoredDecorator[]): Decorator[] {
  return (stored ?? []).map((d) => {
    const config = d.type === 'identity_resolution' ? toIdentityConfig(d) : null;
    return config ? { type: 'identity_resolution', config } : { type: String(d.type), config: d.config ?? null, generic: true };
  });
}

export function toStoredCtes(input: CteInput[]): StoredCteDefinition[] {
  return parse(CtesInput, input, 'cteDefinitions');
}

export function toCteDefinitions(stored: StoredCteDefinition[]): CteDefinition[] {
  return (stored ?? []).map((c) => ({ name: String(c.name), sql: String(c.sql) }));
}
