import { z } from 'zod';
import { parseInput } from '../validation.js';

/** The cached copy of a source's schema, as stored (snake_case JSON). */
const StoredColumn = z.object({ name: z.string().min(1).max(255), data_type: z.string().min(1).max(255), nullable: z.boolean() });
const StoredTable = z.object({
  schema: z.string().max(255).nullish(),
  name: z.string().min(1).max(255),
  columns: z.array(StoredColumn).max(5000),
});
export const StoredSourceSchema = z.object({ tables: z.array(StoredTable).max(10_000) });
export type StoredSourceSchema = z.infer<typeof StoredSourceSchema>;

export interface SourceSchema {
  tables: { schema: string | null; name: string; columns: { name: string; dataType: string; nullable: boolean }[] }[];
}

export function toSourceSchema(stored: unknown): SourceSchema | null {
  const parsed = StoredSourceSchema.safeParse(stored);
  if (!parsed.success) return null;
  return {
    tables: parsed.data.tables.map((t) => ({
      schema: t.schema ?? null,
      name: t.name,
      columns: t.columns.map((c) => ({ name: c.name, dataType: c.data_type, nullable: c.nullable })),
    })),
  };
}

export function fromSourceSchema(schema: SourceSchema): StoredSourceSchema {
  const stored = {
    tables: schema.tables.map((t) => ({
      ...(t.schema ? { schema: t.schema } : {}),
      name: t.name,
      columns: t.columns.map((c) => ({ name: c.name, data_type: c.dataType, nullable: c.nullable })),
    })),
  };
  return parseInput(StoredSourceSchema, stored, ['input', 'schemaCache']);
}
