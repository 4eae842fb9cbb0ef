import type { MappingRow, StoredCteDefinition, StoredDecorator, StoredFieldMappings } from '../../db/tables/mappings.table.js';

/**
 * What the SQL module reads: a mapping in its stored (design) shape. A saved
 * row becomes one with `definitionOfRow`; the editor's unsaved input becomes
 * one through the same stored-shape converters the manager uses.
 */
export interface MappingDefinition {
  /** `crm.customers`, `customers`, or the name of one of the CTEs. */
  sourceTable: string;
  targetTable: string;
  fieldMappings: StoredFieldMappings;
  decorators: StoredDecorator[];
  cteDefinitions: StoredCteDefinition[];
}

export function definitionOfRow(row: Pick<MappingRow, 'source_table' | 'target_table' | 'field_mappings' | 'decorators' | 'cte_definitions'>): MappingDefinition {
  return {
    sourceTable: row.source_table,
    targetTable: row.target_table,
    fieldMappings: row.field_mappings ?? {},
    decorators: row.decorators ?? [],
    cteDefinitions: row.cte_definitions ?? [],
  };
}

/** The documented problem codes (GraphQL enum `MappingProblemCode`). */
export const MAPPING_PROBLEM_CODES = [
  'parse_error',
  'not_an_expression',
  'multiple_statements',
  'not_a_select',
  'forbidden_function',
  'forbidden_clause',
  'subquery_not_allowed',
  'comment_not_allowed',
  'unknown_column',
  'unknown_table',
  'missing_expression',
  'invalid_decorator',
  'untranslatable',
  'source_error',
  'timeout',
] as const;
export type MappingProblemCode = (typeof MAPPING_PROBLEM_CODES)[number];

export interface MappingProblem {
  /** Where: `["fieldMappings", "full_name", "transform"]`, `["cteDefinitions", "recent", "sql"]`, `["decorators", "0", "config"]`. */
  path: string[];
  code: MappingProblemCode;
  message: string;
  /** 1-based character offset in the checked text, when the parser knows it. */
  position: number | null;
  /** A near name or a fix, when there is one. */
  suggestion: string | null;
}

/** The columns of the source tables, as a data source's cached schema knows them. */
export interface SourceCatalog {
  tables: { schema: string | null; name: string; columns: { name: string }[] }[];
}
