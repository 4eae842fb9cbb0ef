import { z } from 'zod';
import { SOURCE_TABLE_KINDS, type DiscoveredSchema, type SourceTableKind } from './index.js';
import { parseInput } from '../validation.js';

/** The cached copy of a source's schema, as stored (snake_case JSON). Fields added later are optional. */
const StoredColumn = z.object({
  name: z.string().min(1).max(255),
  data_type: z.string().min(1).max(255),
  nullable: z.boolean(),
  is_primary_key: z.boolean().optional(),
  ordinal_position: z.number().int().min(1).optional(),
});
const StoredTable = z.object({
  schema: z.string().max(255).nullish(),
  name: z.string().min(1).max(255),
  kind: z.enum(SOURCE_TABLE_KINDS).optional(),
  columns: z.array(StoredColumn).max(5000),
});
export const StoredSourceSchema = z.object({ tables: z.array(StoredTable).max(10_000) });
export type StoredSourceSchema = z.infer<typeof StoredSourceSchema>;

export interface SourceColumn {
  name: string;
  dataType: string;
  nullable: boolean;
  isPrimaryKey: boolean;
  /** 1-based; the column's place in the list when it was stored without one. */
  ordinalPosition: number;
}

export interface SourceTable {
  schema: string | null;
  name: string;
  /** null when stored by hand without one. */
  kind: SourceTableKind | null;
  columns: SourceColumn[];
}

export interface SourceSchema {
  tables: SourceTable[];
}

/** What a client may store by hand (`schemaCache` input): primary keys and positions optional. */
export interface SourceSchemaInput {
  tables: {
    schema: string | null;
    name: string;
    columns: { name: string; dataType: string; nullable: boolean; isPrimaryKey?: boolean | null; ordinalPosition?: number | null }[];
  }[];
}

/** `crm.customers`, or the bare name for a table without a schema: how a mapping's sourceTable names it. */
export const qualifiedName = (t: { schema: string | null; name: string }) => (t.schema ? `${t.schema}.${t.name}` : t.name);

export function toSourceSchema(stored: unknown): SourceSchema | null {
  const parsed = StoredSourceSchema.safeParse(stored);
  if (!parsed.success) return null;
  return {
    tables: parsed.data.tables.map((t) => ({
      schema: t.schema ?? null,
      name: t.name,
      kind: t.kind ?? null,
      columns: t.columns.map((c, i) => ({
        name: c.name,
        dataType: c.data_type,
        nullable: c.nullable,
        isPrimaryKey: c.is_primary_key ?? false,
        ordinalPosition: c.ordinal_position ?? i + 1,
      })),
    })),
  };
}

export function fromSourceSchema(schema: SourceSchemaInput): StoredSourceSchema {
  const stored = {
    tables: schema.tables.map((t) => ({
      ...(t.schema ? { schema: t.schema } : {}),
      name: t.name,
      columns: t.columns.map((c) => ({
        name: c.name,
        data_type: c.dataType,
        nullable: c.nullable,
        ...(c.isPrimaryKey != null ? { is_primary_key: c.isPrimaryKey } : {}),
        ...(c.ordinalPosition != null ? { ordinal_position: c.ordinalPosition } : {}),
      })),
    })),
  };
  return parseInput(StoredSourceSchema, stored, ['input', 'schemaCache']);
}

/** The stored form of what discovery read. */
export function fromDiscovered(schema: DiscoveredSchema): StoredSourceSchema {
  return {
    tables: schema.tables.map((t) => ({
      schema: t.schema,
      name: t.name,
      kind: t.kind,
      columns: t.columns.map((c) => ({ name: c.name, data_type: c.dataType, nullable: c.nullable, is_primary_key: c.isPrimaryKey, ordinal_position: c.ordinalPosition })),
    })),
  };
}

/** Whether a schema has a table named `crm.customers` (schema and name) or a bare `customers`, ignoring case. */
export function schemaHasTable(schema: { tables: readonly { schema?: string | null; name: string }[] }, name: string): boolean {
  const [a, b] = name.toLowerCase().split('.');
  return schema.tables.some((t) => (b === undefined ? t.name.toLowerCase() === a : (t.schema ?? '').toLowerCase() === a && t.name.toLowerCase() === b));
}
