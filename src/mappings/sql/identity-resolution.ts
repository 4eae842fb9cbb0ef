import { z } from 'zod';
import type { StoredDecorator } from '../../db/tables/mappings.table.js';
import { quoteIdent } from './dialects.js';

/**
 * The identity-resolution decorator: which target fields identify a record,
 * how their values are normalised, which rules make two records the same
 * entity, and where the entity id goes.
 *
 * Stored shape (snake_case, in `decorators[]`):
 *   { "type": "identity_resolution", "config": {
 *       "identifiers": [{ "column": "email", "normalize": ["trim", "lower"], "ignore_values": ["", "null", "anonymous"] }],
 *       "match_rules": [{ "all_of": ["email"] }, { "all_of": ["phone", "last_name"] }],
 *       "record_key": "customer_id", "output_column": "entity_id", "max_iterations": 20 } }
 * Rows stored before this shape (`match_keys`, `strategy`, `target_id_field`)
 * still load: each match key becomes an identifier with trim+lower and a rule
 * of its own; `target_id_field` becomes `output_column`.
 */

export const NORMALIZATIONS = ['trim', 'lower', 'upper', 'digits_only'] as const;
export type Normalization = (typeof NORMALIZATIONS)[number];

export interface IdentityIdentifier { column: string; normalize: Normalization[]; ignoreValues: string[] }
export interface IdentityResolution {
  identifiers: IdentityIdentifier[];
  /** Any rule matching makes two records one entity; a rule matches when all its identifiers are equal (after normalisation, none ignored). */
  matchRules: { allOf: string[] }[];
  /** A target field unique per record; the entity id is the smallest record key of its component. Default: the first field. */
  recordKey: string | null;
  outputColumn: string;
  /** Rounds of minimum propagation; a chain of n records needs n - 1. Default 20, at most 100. */
  maxIterations: number;
}

export const DEFAULT_IGNORED = ['', 'null', 'none', 'n/a', 'anonymous', 'unknown'];

const StoredIdentifier = z.object({
  column: z.string().min(1).max(255),
  normalize: z.array(z.enum(NORMALIZATIONS)).max(4).default(['trim', 'lower']),
  ignore_values: z.array(z.string().max(255)).max(100).default(DEFAULT_IGNORED),
});
const StoredConfig = z.object({
  identifiers: z.array(StoredIdentifier).min(1).max(20),
  match_rules: z.array(z.object({ all_of: z.array(z.string().min(1)).min(1).max(20) })).min(1).max(20),
  record_key: z.string().min(1).nullish(),
  output_column: z.string().min(1).max(255).default('entity_id'),
  max_iterations: z.number().int().min(1).max(100).default(20),
});
const LegacyConfig = z.object({
  match_keys: z.array(z.string().min(1)).min(1),
  strategy: z.enum(['exact', 'fuzzy']).nullish(),
  target_id_field: z.string().nullish(),
});

export type ReadResult = { ok: true; config: IdentityResolution } | { ok: false; message: string };

/** A config of the legacy shape (`match_keys`): each key an identifier (trim, lower, the default ignored values) with a rule of its own. */
export function fromLegacy(matchKeys: string[], targetIdField: string | null | undefined): IdentityResolution {
  return {
    identifiers: matchKeys.map((column) => ({ column, normalize: ['trim', 'lower'], ignoreValues: DEFAULT_IGNORED })),
    matchRules: matchKeys.map((k) => ({ allOf: [k] })),
    recordKey: null,
    outputColumn: targetIdField ?? 'entity_id',
    maxIterations: 20,
  };
}

/** Reads a stored identity-resolution config, new shape or legacy (`match_keys`). */
export function readIdentityConfig(decorator: StoredDecorator): ReadResult {
  const config = (decorator as { config?: unknown }).config;
  const parsed = StoredConfig.safeParse(config);
  if (parsed.success) {
    const c = parsed.data;
    return {
      ok: true,
      config: {
        identifiers: c.identifiers.map((i) => ({ column: i.column, normalize: i.normalize, ignoreValues: i.ignore_values })),
        matchRules: c.match_rules.map((r) => ({ allOf: r.all_of })),
        recordKey: c.record_key ?? null,
        outputColumn: c.output_column,
        maxIterations: c.max_iterations,
      },
    };
  }
  const legacy = LegacyConfig.safeParse(config);
  if (legacy.success && !(config as { identifiers?: unknown })?.identifiers) {
    // Fuzzy matching has no faithful SQL here: refused rather than compiled as exact.
    if (legacy.data.strategy === 'fuzzy') return { ok: false, message: 'identity_resolution config: strategy FUZZY cannot be compiled; use identifiers with normalisations and match rules (exact after normalising)' };
    return { ok: true, config: fromLegacy(legacy.data.match_keys, legacy.data.target_id_field) };
  }
  const issue = parsed.error.issues[0];
  return { ok: false, message: `identity_resolution config: ${issue ? `${issue.path.join('.') || 'config'}: ${issue.message}` : 'invalid'}` };
}

/** Problems a config has against the mapping's target fields (empty when it is sound). */
export function identityConfigProblems(config: IdentityResolution, targetFields: string[]): string[] {
  const fields = new Set(targetFields);
  const ids = new Set(config.identifiers.map((i) => i.column));
  const out: string[] = [];
  for (const i of config.identifiers) if (!fields.has(i.column)) out.push(`identifier ${i.column} is not a target field of this mapping`);
  for (const r of config.matchRules) for (const c of r.allOf) if (!ids.has(c)) out.push(`match rule uses ${c}, which is not one of the identifiers`);
  if (config.recordKey && !fields.has(config.recordKey)) out.push(`record key ${config.recordKey} is not a target field of this mapping`);
  if (fields.has(config.outputColumn)) out.push(`output column ${config.outputColumn} is already a target field`);
  return out;
}

function normalized(expr: string, id: IdentityIdentifier): string {
  let e = `CAST(${expr} AS TEXT)`;
  for (const n of id.normalize) {
    if (n === 'trim') e = `TRIM(${e})`;
    else if (n === 'lower') e = `LOWER(${e})`;
    else if (n === 'upper') e = `UPPER(${e})`;
    else e = `REGEXP_REPLACE(${e}, '[^0-9]', '', 'g')`;
  }
  if (id.ignoreValues.length === 0) return e;
  // Ignored values are compared after normalisation, lower-cased: "Anonymous" and "anonymous" are both ignored.
  const list = id.ignoreValues.map((v) => `'${v.toLowerCase().replace(/'/g, "''")}'`).join(', ');
  return `CASE WHEN LOWER(${e}) IN (${list}) THEN NULL ELSE ${e} END`;
}

/**
 * The statements, in PostgreSQL, that resolve identities in the loaded target
 * table `target` (run in the warehouse after the load, in order):
 *   1. `<target>__ir_nodes`: record key and normalised identifiers;
 *   2. `<target>__ir_edges`: one row per matching pair (both directions) plus a self-loop per record;
 *   3. `<target>__ir_labels_0..k`: each record's label, starting as its own key, then the minimum over
 *      its neighbours' labels, `maxIterations` times (connected components by iterated minimum);
 *   4. `<target>__ir_out`: the target rows with `<output_column>` = the label; it replaces `<target>`;
 *   5. the work tables are dropped.
 * Written in PostgreSQL with every name quoted; compileMapping translates them per dialect.
 */
export function identityStatements(target: string, config: IdentityResolution, recordKey: string): string[] {
  const q = (n: string) => quoteIdent(n, 'postgresql');
  const t = (suffix: string) => q(`${target}${suffix}`);
  const idCol = (i: number) => q(`id_${i}`);
  const nodes = t('__ir_nodes');
  const edges = t('__ir_edges');
  const labels = (i: number) => t(`__ir_labels_${i}`);
  const out = t('__ir_out');
  const index = new Map(config.identifiers.map((id, i) => [id.column, i]));
  const rules = config.matchRules.map((r) => {
    const cols = r.allOf.map((c) => idCol(index.get(c)!));
    const on = cols.map((c) => `a.${c} = b.${c}`).join(' AND ');
    const notNull = cols.map((c) => `a.${c} IS NOT NULL`).join(' AND ');
    return `SELECT a.node AS node, b.node AS other FROM ${nodes} AS a JOIN ${nodes} AS b ON ${on} WHERE ${notNull} AND a.node <> b.node`;
  });
  const statements: string[] = [];
  const drops = [nodes, edges, ...Array.from({ length: config.maxIterations + 1 }, (_, i) => labels(i)), out];
  for (const d of drops) statements.push(`DROP TABLE IF EXISTS ${d}`);
  statements.push(
    `CREATE TABLE ${nodes} AS SELECT ${q(recordKey)} AS node, ${config.identifiers.map((id, i) => `${normalized(q(id.column), id)} AS ${idCol(i)}`).join(', ')} FROM ${q(target)}`,
  );
  statements.push(`CREATE TABLE ${edges} AS SELECT DISTINCT node, other FROM (${[`SELECT node, node AS other FROM ${nodes}`, ...rules].join(' UNION ALL ')}) AS e`);
  statements.push(`CREATE TABLE ${labels(0)} AS SELECT node, node AS label FROM ${nodes}`);
  for (let i = 1; i <= config.maxIterations; i++) {
    statements.push(
      `CREATE TABLE ${labels(i)} AS SELECT e.node AS node, MIN(l.label) AS label FROM ${edges} AS e JOIN ${labels(i - 1)} AS l ON l.node = e.other GROUP BY e.node`,
    );
  }
  statements.push(
    `CREATE TABLE ${out} AS SELECT t.*, l.label AS ${q(config.outputColumn)} FROM ${q(target)} AS t LEFT JOIN ${labels(config.maxIterations)} AS l ON l.node = t.${q(recordKey)}`,
  );
  statements.push(`DROP TABLE ${q(target)}`);
  statements.push(`ALTER TABLE ${out} RENAME TO ${q(target)}`);
  for (const d of [nodes, edges, ...Array.from({ length: config.maxIterations + 1 }, (_, i) => labels(i))]) statements.push(`DROP TABLE ${d}`);
  return statements;
}
