import { ValidationError } from '../../errors.js';
import * as mappingSql from '../../mappings/mapping-sql.manager.js';
import { MAPPING_PROBLEM_CODES, type CompiledMapping, type MappingProblem } from '../../mappings/sql/index.js';
import { builder } from '../builder.js';
import { upperCaseEnum } from '../enum-values.js';
import { idOf, scopeOf } from '../relay.js';
import { CteDefinitionInput, DecoratorInput, FieldMappingInput } from './mapping.js';
import { MappingRef } from './refs.js';
import { WarehouseDialectEnum } from './warehouse-dialect.js';

const MappingProblemCodeEnum = builder.enumType('MappingProblemCode', {
  description: 'What is wrong with a part of a mapping. New codes may be added; treat an unknown one as a generic problem.',
  values: upperCaseEnum(MAPPING_PROBLEM_CODES, {
    parse_error: 'The text is not valid PostgreSQL; `position` points at the error.',
    not_an_expression: 'A transform is not one expression (a statement, a list, or a clause such as FROM).',
    multiple_statements: 'Several statements where one expression (transform) or one SELECT (CTE) is allowed, e.g. `x; DROP TABLE t`.',
    not_a_select: 'A CTE is a statement other than SELECT.',
    forbidden_function: 'A call to a function outside the allowlist (pg_sleep, dblink, lo_import, set_config, any schema-qualified function …).',
    forbidden_clause: 'A data-changing (INSERT, UPDATE, DELETE, MERGE) or locking clause (FOR UPDATE/SHARE), SELECT INTO, or a function in FROM.',
    subquery_not_allowed: 'A sub-select inside a transform (allowed in CTEs only).',
    comment_not_allowed: 'A comment in mapping SQL (refused: other dialects end comments differently, so they could hide statements).',
    unknown_column: "A column the source table (as its cached schema knows it) or the CTE does not have; `suggestion` names near ones.",
    unknown_table: "A table the source's cached schema does not have; `suggestion` names near ones.",
    missing_expression: 'A field with neither a source column nor a transform.',
    invalid_decorator: 'A decorator whose config does not fit its kind (e.g. identity resolution naming a field the mapping does not fill).',
    untranslatable: 'A construct this dialect cannot express with the same meaning; no SQL is emitted rather than wrong SQL.',
    source_error: "A preview's query failed on the source (e.g. a cast that real data does not fit); the message is the source's, without secrets.",
    timeout: 'A preview ran longer than SOURCE_PREVIEW_TIMEOUT_MS and was cancelled on the source.',
  }),
});

export const MappingProblemRef = builder.objectRef<MappingProblem>('MappingProblem').implement({
  description: 'One problem found in a mapping.',
  fields: (t) => ({
    path: t.stringList({ description: 'Where, e.g. ["fieldMappings", "full_name", "transform"] or ["cteDefinitions", "recent", "sql"].', resolve: (p) => p.path }),
    code: t.field({ type: MappingProblemCodeEnum, description: 'What kind of problem.', resolve: (p) => p.code }),
    message: t.exposeString('message', { description: 'In words, e.g. "unknown column first_nam; crm.customers has first_name, last_name".' }),
    position: t.exposeInt('position', { nullable: true, description: '1-based character offset in the text at `path`, when known.' }),
    suggestion: t.exposeString('suggestion', { nullable: true, description: 'A fix or near name, e.g. "did you mean first_name?"; null when none.' }),
  }),
});

const MappingValidationRef = builder.objectRef<mappingSql.MappingValidation>('MappingValidation').implement({
  description: 'The result of checking a mapping: its SQL parsed by PostgreSQL\'s parser, its columns against the cached source schema, its decorators.',
  fields: (t) => ({
    valid: t.exposeBoolean('valid', { description: 'True when there are no problems (the mapping may be made ACTIVE).' }),
    problems: t.field({ type: [MappingProblemRef], description: 'Every problem found, in the order of the mapping.', resolve: (v) => v.problems }),
  }),
});

const CompiledMappingRef = builder.objectRef<CompiledMapping>('CompiledMapping').implement({
  description:
    'A mapping compiled for one warehouse dialect. `sql` is one SELECT over the source (for a full refresh the POSTGRESQL one runs on the PostgreSQL source and its rows are loaded into the warehouse table `targetTable`); `statements` run in the warehouse, in order, after loading (identity resolution). When `problems` is not empty nothing is emitted.',
  fields: (t) => ({
    dialect: t.field({ type: WarehouseDialectEnum, description: 'The dialect compiled for.', resolve: (c) => c.dialect }),
    sql: t.exposeString('sql', { nullable: true, description: '`WITH <ctes> SELECT <expr> AS <target>, … FROM <source>`, identifiers quoted per dialect; null when there are problems.' }),
    statements: t.exposeStringList('statements', { description: 'Statements to run in the warehouse after the load, in order; empty when no decorator needs any.' }),
    referencedColumns: t.exposeStringList('referencedColumns', { description: 'The source-table columns the mapping reads, sorted.' }),
    checksum: t.exposeString('checksum', { nullable: true, description: 'SHA-256 (hex) of dialect, sql and statements; null when there are problems.' }),
    problems: t.field({ type: [MappingProblemRef], description: 'Why nothing was emitted: invalid SQL or an UNTRANSLATABLE construct.', resolve: (c) => c.problems }),
  }),
});

builder.objectField(ValidationError, 'problems', (t) =>
  t.field({
    type: [MappingProblemRef],
    description: 'When a whole mapping was checked (setMappingStatus to ACTIVE): every problem found; empty otherwise.',
    resolve: (e) => e.problems.map((p) => ({ ...p, path: [...p.path], code: p.code as MappingProblem['code'] })),
  }),
);

export const MappingDraftInput = builder.inputType('MappingDraftInput', {
  description: "An unsaved mapping (the editor's state), checked or compiled without storing it.",
  fields: (t) => ({
    workspaceId: t.globalID({ required: true, description: 'Global ID of the workspace whose data sources hold the cached source schema.' }),
    targetTable: t.string({ required: true, description: 'Warehouse table it fills.' }),
    sourceTable: t.string({ required: true, description: 'Source table it reads, e.g. crm.customers, or the name of one of its CTEs.' }),
    fieldMappings: t.field({ type: [FieldMappingInput], required: true, description: 'How each target column is filled (the same rules as createMapping).' }),
    decorators: t.field({ type: [DecoratorInput], description: 'Steps applied to the mapped rows. Default none.' }),
    cteDefinitions: t.field({ type: [CteDefinitionInput], description: 'Common table expressions. Default none.' }),
  }),
});

builder.objectFields(MappingRef, (t) => ({
  validation: t.field({
    type: MappingValidationRef,
    description: 'The mapping checked now against the cached source schema (a DRAFT may be saved with problems; ACTIVE needs none).',
    resolve: (m, _args, ctx) => mappingSql.validateRow(scopeOf(ctx), m),
  }),
  compiled: t.field({
    type: CompiledMappingRef,
    description: 'The mapping compiled for a warehouse dialect.',
    args: { dialect: t.arg({ type: WarehouseDialectEnum, required: true, description: 'The dialect to compile for.' }) },
    resolve: (m, { dialect }) => mappingSql.compileRow(m, dialect),
  }),
}));


builder.queryFields((t) => ({
  validateMapping: t.field({
    type: MappingValidationRef,
    description: 'Checks a saved mapping. Any role. Errors (in `errors`): NOT_FOUND for an unknown mapping or one of another organization.',
    authScopes: { authenticated: true },
    args: { id: t.arg.globalID({ required: true, description: 'Global ID of the mapping.' }) },
    resolve: (_root, { id }, ctx) => mappingSql.validateMapping(scopeOf(ctx), idOf(id, 'Mapping')),
  }),
  validateMappingInput: t.field({
    type: MappingValidationRef,
    description: "Checks an unsaved mapping (the editor's state). Any role. Errors: VALIDATION for a malformed shape (with a path), NOT_FOUND for the workspace.",
    authScopes: { authenticated: true },
    args: { input: t.arg({ type: MappingDraftInput, required: true, description: 'The mapping to check.' }) },
    resolve: (_root, { input }, ctx) => mappingSql.validateMappingInput(scopeOf(ctx), { ...input, workspaceId: idOf(input.workspaceId, 'Workspace') }),
  }),
  compileMappingInput: t.field({
    type: CompiledMappingRef,
    description: 'Compiles an unsaved mapping for a dialect. Any role. Errors: VALIDATION for a malformed shape, NOT_FOUND for the workspace.',
    authScopes: { authenticated: true },
    args: {
      input: t.arg({ type: MappingDraftInput, required: true, description: 'The mapping to compile.' }),
      dialect: t.arg({ type: WarehouseDialectEnum, required: true, description: 'The dialect to compile for.' }),
    },
    resolve: (_root, { input, dialect }, ctx) =>
      mappingSql.compileMappingInput(scopeOf(ctx), { ...input, workspaceId: idOf(input.workspaceId, 'Workspace') }, dialect),
  }),
}));
