/**
 * Mapping SQL: validation with PostgreSQL's own parser, compiled SQL per
 * warehouse dialect, identity resolution. The stable API:
 *
 * - `compilerReady()` loads the parsers up front (they load on first use otherwise);
 * - `compileMapping(definition, dialect)` → `CompiledMapping` (`sql`: one SELECT over the source;
 *   `statements`: to run in the warehouse after loading, in order — see compile.ts);
 * - `mappingColumns(definition)` → the source table and the columns the mapping reads;
 * - `validateDefinition(definition, catalog)` → problems (see validate.ts);
 * - `definitionOfRow(row)` → a definition from a stored mapping row.
 */
export { compileMapping, compilerReady, mappingColumns, type CompiledMapping } from './compile.js';
export { definitionOfRow, MAPPING_PROBLEM_CODES, type MappingDefinition, type MappingProblem, type MappingProblemCode, type SourceCatalog } from './definition.js';
export { validateDefinition, nearNames } from './validate.js';
export { DEFAULT_IGNORED, fromLegacy, NORMALIZATIONS, readIdentityConfig, type IdentityResolution, type Normalization } from './identity-resolution.js';
