import type { RequestScope } from '../auth/scope.js';
import type { MappingRow } from '../db/tables/mappings.table.js';
import { schemaHasTable, toSourceSchema } from '../connectors/source-schema.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { WarehouseDialect } from '../workspaces/warehouse-dialects.js';
import { findWorkspaceById } from '../workspaces/workspace.dao.js';
import * as dao from './mapping.dao.js';
import { activeSourcesOfWorkspace, type MappingSourceRow } from './mapping-source.dao.js';
import { toStoredCtes, toStoredDecorators, toStoredFieldMappings, type CteInput, type DecoratorInput, type FieldMappingInput } from './mapping-shapes.js';
import { compileMapping, definitionOfRow, validateDefinition, type CompiledMapping, type MappingDefinition, type MappingProblem, type SourceCatalog } from './sql/index.js';

/**
 * Validation and compilation of mappings, saved or not (the editor's state).
 * Reading is open to every member, as reading a mapping is.
 *
 * Which cached schema a mapping is checked against: among the workspace's
 * active data sources (oldest first), the first whose cached schema has the
 * mapping's source table (`crm.customers`, or a bare `customers`). When none
 * has it but some have a cached schema, the union of those schemas is used,
 * so the source table is reported as UNKNOWN_TABLE with near names. When no
 * source has a cached schema, only the SQL itself is checked.
 */

export interface MappingValidation { valid: boolean; problems: MappingProblem[] }

/** The editor's unsaved mapping. */
export interface MappingDraftInput {
  workspaceId: string;
  sourceTable: string;
  targetTable: string;
  fieldMappings: FieldMappingInput[];
  decorators?: DecoratorInput[] | null;
  cteDefinitions?: CteInput[] | null;
}

const catalogOf = (source: Pick<MappingSourceRow, 'schema_cache'>) => toSourceSchema(source.schema_cache);

/** The first of `sources` (oldest first) whose cached schema has `sourceTable`, or null. */
export function sourceWithTable<S extends Pick<MappingSourceRow, 'schema_cache'>>(sources: readonly S[], sourceTable: string): S | null {
  return sources.find((s) => {
    const catalog = catalogOf(s);
    return catalog != null && schemaHasTable(catalog, sourceTable);
  }) ?? null;
}

/** The catalog for a mapping's source table among `sources`, per the rule above; null when nothing is cached. */
export function catalogAmong(sources: MappingSourceRow[], sourceTable: string): SourceCatalog | null {
  const withTable = sourceWithTable(sources, sourceTable);
  if (withTable) return catalogOf(withTable);
  const catalogs = sources.map(catalogOf).filter((c): c is NonNullable<typeof c> => c != null);
  return catalogs.length === 0 ? null : { tables: catalogs.flatMap((c) => c.tables) };
}

/** The catalog for a mapping's source table in a workspace; null when nothing is cached. */
export async function catalogFor(scope: RequestScope, workspaceId: string, sourceTable: string): Promise<SourceCatalog | null> {
  return catalogAmong(await activeSourcesOfWorkspace(scope.tenant.db, workspaceId), sourceTable);
}

export async function loadMapping(scope: RequestScope, id: string): Promise<MappingRow> {
  const row = await dao.findMappingById(scope.tenant.db, id);
  if (!row) throw new NotFoundError('Mapping', id);
  return row;
}

/** The stored-shape definition of unsaved input (shape errors are ValidationErrors with a path, as on create). */
export function definitionOfInput(input: Omit<MappingDraftInput, 'workspaceId'>): MappingDefinition {
  return {
    sourceTable: input.sourceTable,
    targetTable: input.targetTable,
    fieldMappings: toStoredFieldMappings(input.fieldMappings),
    decorators: toStoredDecorators(input.decorators ?? []),
    cteDefinitions: toStoredCtes(input.cteDefinitions ?? []),
  };
}

export async function validateRow(scope: RequestScope, row: MappingRow): Promise<MappingValidation> {
  const problems = await validateDefinition(definitionOfRow(row), await catalogFor(scope, row.workspace_id, row.source_table));
  return { valid: problems.length === 0, problems };
}

export async function validateMapping(scope: RequestScope, id: string): Promise<MappingValidation> {
  return validateRow(scope, await loadMapping(scope, id));
}

export async function validateMappingInput(scope: RequestScope, input: MappingDraftInput): Promise<MappingValidation> {
  const def = definitionOfInput(input);
  if (!(await findWorkspaceById(scope.tenant.db, input.workspaceId))) throw new NotFoundError('Workspace', input.workspaceId);
  const problems = await validateDefinition(def, await catalogFor(scope, input.workspaceId, def.sourceTable));
  return { valid: problems.length === 0, problems };
}

export function compileRow(row: MappingRow, dialect: WarehouseDialect): Promise<CompiledMapping> {
  return compileMapping(definitionOfRow(row), dialect);
}

export async function compileMappingInput(scope: RequestScope, input: MappingDraftInput, dialect: WarehouseDialect): Promise<CompiledMapping> {
  const def = definitionOfInput(input);
  if (!(await findWorkspaceById(scope.tenant.db, input.workspaceId))) throw new NotFoundError('Workspace', input.workspaceId);
  return compileMapping(def, dialect);
}

/**
 * An ACTIVE mapping stays valid: a change (an update, a restored version) that
 * would give it problems is refused with a ValidationError carrying them, so
 * pipeline runs never meet an active mapping that does not compile. Drafts may
 * be saved with problems.
 */
export async function assertStaysValid(scope: RequestScope, before: MappingRow, changes: Partial<MappingRow>): Promise<void> {
  if (before.status !== 'active') return;
  const { problems } = await validateRow(scope, { ...before, ...changes });
  if (problems.length) {
    throw new ValidationError(`The mapping is ACTIVE and the change would give it ${problems.length} problem(s): ${problems[0]!.message}`, ['input'], problems);
  }
}
