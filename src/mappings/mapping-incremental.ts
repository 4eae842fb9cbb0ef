import { z } from 'zod';
import type { StoredDecorator, StoredFieldMappings, StoredIncremental } from '../db/tables/mappings.table.js';
import { ValidationError } from '../errors.js';
import { parseInput } from '../validation.js';

/**
 * A mapping's incremental-load settings: the cursor column (a target field
 * whose values only grow, e.g. updated_at) and the key columns (target fields
 * that identify a row of the target, upserted by). The high-water mark is not
 * stored here: it lives in the warehouse (src/warehouses/warehouse-load.dao.ts).
 */
export interface IncrementalConfig {
  cursorColumn: string;
  keyColumns: string[];
}

const field = z.string().trim().min(1).max(255);
const IncrementalInput = z
  .object({ cursorColumn: field, keyColumns: z.array(field).min(1, 'name at least one key column').max(20) })
  .refine((c) => new Set(c.keyColumns).size === c.keyColumns.length, { message: 'key columns must be unique', path: ['keyColumns'] });
export type IncrementalInput = z.input<typeof IncrementalInput>;

const PATH = ['input', 'incremental'] as const;

export function toStoredIncremental(input: IncrementalInput): StoredIncremental {
  const c = parseInput(IncrementalInput, input, [...PATH]);
  return { cursor_column: c.cursorColumn, key_columns: c.keyColumns };
}

export function toIncremental(stored: StoredIncremental | null | undefined): IncrementalConfig | null {
  if (!stored || typeof stored.cursor_column !== 'string' || !Array.isArray(stored.key_columns)) return null;
  return { cursorColumn: stored.cursor_column, keyColumns: stored.key_columns.map(String) };
}

/**
 * Checks the settings against the mapping they belong to (as it will be after
 * the change): every column named is a target field, and no decorator rebuilds
 * the target table (identity resolution replaces it, which an upsert cannot follow).
 */
export function checkIncremental(stored: StoredIncremental | null, fieldMappings: StoredFieldMappings, decorators: StoredDecorator[]): void {
  if (!stored) return;
  const fields = Object.keys(fieldMappings);
  const unknown = (name: string) => `${name} is not a target field of this mapping (its fields: ${fields.join(', ')})`;
  if (!fields.includes(stored.cursor_column)) throw new ValidationError(`Cursor column ${unknown(stored.cursor_column)}`, [...PATH, 'cursorColumn']);
  const key = stored.key_columns.find((k) => !fields.includes(k));
  if (key) throw new ValidationError(`Key column ${unknown(key)}`, [...PATH, 'keyColumns']);
  if (decorators.some((d) => d.type === 'identity_resolution')) {
    throw new ValidationError('Incremental loads cannot be combined with identity resolution (it rebuilds the whole table): load this mapping by full refresh', [...PATH]);
  }
}
