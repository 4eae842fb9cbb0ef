import { MAPPING_STATUSES, type MappingRow } from '../../db/tables/mappings.table.js';
import { inSlice } from '../../event-loop.js';
import * as mappings from '../../mappings/mapping.manager.js';
import {
  toCteDefinitions,
  toDecorators,
  toFieldMappings,
  type CteDefinition,
  type Decorator,
  type FieldMapping,
  type IdentityResolutionConfig,
} from '../../mappings/mapping-shapes.js';
import { toIncremental, type IncrementalConfig } from '../../mappings/mapping-incremental.js';
import { upperCaseEnum } from '../enum-values.js';
import { builder } from '../builder.js';
import { connectionComplexity, idOf, listPageArgs, scopeOf, selectsField, toConnection, type FieldColumns } from '../relay.js';
import { payloadErrors } from './error.js';
import { MappingConnection, MappingRef, WorkspaceRef } from './refs.js';

export const MappingStatusEnum = builder.enumType('MappingStatus', {
  description: 'Where a mapping is in its life: draft → active → archived, one way only.',
  values: upperCaseEnum(MAPPING_STATUSES, {
    draft: 'Being written; not used by pipeline runs yet. Every mapping starts here.',
    active: 'In use by pipeline runs; still editable (each change bumps `version`).',
    archived: 'Retired: kept for history, no longer changeable.',
  }),
});

export const FieldMappingRef = builder.objectRef<FieldMapping>('FieldMapping').implement({
  description: 'How one warehouse column is filled: from a source expression, optionally transformed.',
  fields: (t) => ({
    targetField: t.exposeString('targetField', { description: 'The warehouse column; unique within the mapping.' }),
    source: t.exposeString('source', { nullable: true, description: 'The source column it is read from, e.g. cust_id; null when the transform computes the field.' }),
    transform: t.exposeString('transform', { nullable: true, description: 'SQL applied to the value, e.g. DATE(created_at); null for none.' }),
  }),
});

const IdentityStrategyEnum = builder.enumType('IdentityResolutionStrategy', {
  description: 'How records were matched in the legacy shape (matchKeys). Deprecated with it: identifiers and match rules say how records match.',
  values: {
    EXACT: { value: 'exact', description: 'Values compared after trimming and lower-casing. The only strategy the new shape has.' },
    FUZZY: { value: 'fuzzy', description: 'Similar values: stored as given, but not compiled (a mapping with it is not valid); use normalisations instead.' },
  } as const,
});

const IdentityNormalizationEnum = builder.enumType('IdentityNormalization', {
  description: "How an identifier's value is normalised before values are compared, applied in the order given.",
  values: {
    TRIM: { value: 'trim', description: 'Leading and trailing spaces removed.' },
    LOWER: { value: 'lower', description: 'Lower-cased.' },
    UPPER: { value: 'upper', description: 'Upper-cased.' },
    DIGITS_ONLY: { value: 'digits_only', description: 'Everything but the digits removed (phone numbers).' },
  } as const,
});

const IdentityIdentifierRef = builder.objectRef<IdentityResolutionConfig['identifiers'][number]>('IdentityIdentifier').implement({
  description: 'A target field that identifies a record (an email, a phone number), and how its values are compared.',
  fields: (t) => ({
    column: t.exposeString('column', { description: 'The target field, e.g. email.' }),
    normalize: t.field({ type: [IdentityNormalizationEnum], description: 'Normalisations, in order; default TRIM then LOWER.', resolve: (i) => i.normalize }),
    ignoreValues: t.exposeStringList('ignoreValues', {
      description: 'Values (compared lower-cased, after normalising) that identify nobody and never match, e.g. "", "null", "anonymous".',
    }),
  }),
});

const IdentityMatchRuleRef = builder.objectRef<IdentityResolutionConfig['matchRules'][number]>('IdentityMatchRule').implement({
  description: 'Two records are the same entity when all these identifiers are equal (and none is empty or ignored).',
  fields: (t) => ({ allOf: t.exposeStringList('allOf', { description: 'Identifier columns, e.g. ["phone", "last_name"].' }) }),
});

const legacyShape = 'Legacy shape: use identifiers, matchRules and outputColumn.';

const IdentityResolutionConfigRef = builder.objectRef<IdentityResolutionConfig>('IdentityResolutionConfig').implement({
  description:
    'Settings of identity resolution: records that share identifiers (by any match rule, transitively: a–b by email and b–c by phone put a, b and c together) get one entity id in `outputColumn`.',
  fields: (t) => ({
    identifiers: t.field({ type: [IdentityIdentifierRef], description: 'The fields that identify a record, with their normalisation and ignored values.', resolve: (c) => c.identifiers }),
    matchRules: t.field({ type: [IdentityMatchRuleRef], description: 'Any rule matching makes two records one entity.', resolve: (c) => c.matchRules }),
    recordKey: t.exposeString('recordKey', { nullable: true, description: 'A target field unique per record; the entity id is the smallest key of its records. Null: the first field in stored order (shorter names first); set it explicitly.' }),
    outputColumn: t.exposeString('outputColumn', { description: 'The warehouse column that receives the entity id, e.g. entity_id.' }),
    maxIterations: t.exposeInt('maxIterations', { description: 'Rounds of label propagation (a chain of n records needs n − 1), 1 to 100.' }),
    matchKeys: t.exposeStringList('matchKeys', { deprecationReason: legacyShape, description: 'The identifier columns.' }),
    strategy: t.field({ type: IdentityStrategyEnum, deprecationReason: legacyShape, description: 'EXACT unless stored as FUZZY in the legacy shape.', resolve: (c) => c.strategy }),
    targetIdField: t.exposeString('targetIdField', { nullable: true, deprecationReason: legacyShape, description: 'The output column (null when a legacy config named none).' }),
    confidenceThreshold: t.exposeFloat('confidenceThreshold', { nullable: true, deprecationReason: legacyShape, description: 'As stored in the legacy shape; unused.' }),
  }),
});

export const DecoratorInterface = builder.interfaceRef<Decorator>('Decorator').implement({
  description: 'A step applied to the mapped rows. Known kinds are typed; others are GenericDecorator.',
  resolveType: (d) => ('generic' in d ? 'GenericDecorator' : 'IdentityResolutionDecorator'),
  fields: (t) => ({ type: t.exposeString('type', { description: 'The stored kind, e.g. identity_resolution.' }) }),
});

builder.objectRef<Extract<Decorator, { type: 'identity_resolution' }>>('IdentityResolutionDecorator').implement({
  description: 'Merges records that describe the same entity (a customer seen in several sources) by their match keys.',
  interfaces: [DecoratorInterface],
  fields: (t) => ({
    identityResolution: t.field({ type: IdentityResolutionConfigRef, description: 'Its settings.', resolve: (d) => d.config }),
  }),
});

builder.objectRef<Extract<Decorator, { generic: true }>>('GenericDecorator').implement({
  description: 'A decorator of a kind this API does not type (or a stored one that does not fit its type): `type` and its raw `config`.',
  interfaces: [DecoratorInterface],
  fields: (t) => ({ config: t.field({ type: 'JSON', nullable: true, description: 'Its settings, as stored.', resolve: (d) => d.config }) }),
});

export const CteDefinitionRef = builder.objectRef<CteDefinition>('CteDefinition').implement({
  description: 'A named common table expression the mapping query starts with.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Name the mapping query refers to it by.' }),
    sql: t.exposeString('sql', { description: 'The SELECT that defines it.' }),
  }),
});

const IncrementalLoadRef = builder.objectRef<IncrementalConfig>('IncrementalLoad').implement({
  description: 'How an INCREMENTAL job loads the mapping: rows whose cursor column reached the stored high-water mark, upserted by the key columns.',
  fields: (t) => ({
    cursorColumn: t.exposeString('cursorColumn', { description: 'Target field whose values only grow (e.g. updated_at); its largest loaded value is the high-water mark.' }),
    keyColumns: t.exposeStringList('keyColumns', { description: 'Target fields identifying a row of the target table; loaded rows are upserted by them.' }),
  }),
});

export const IncrementalLoadInput = builder.inputType('IncrementalLoadInput', {
  description: 'Incremental-load settings of a mapping. Both name target fields of the mapping; not allowed with identity resolution.',
  fields: (t) => ({
    cursorColumn: t.string({ required: true, description: 'Target field whose values only grow, e.g. updated_at.' }),
    keyColumns: t.stringList({ required: true, description: 'Target fields identifying a row (1 to 20, unique), e.g. ["customer_id"].' }),
  }),
});

const identifierRule = 'letters, digits and underscores, not starting with a digit, at most 255 characters';

export const FieldMappingInput = builder.inputType('FieldMappingInput', {
  description: 'How one warehouse column is filled.',
  fields: (t) => ({
    targetField: t.string({ required: true, description: `The warehouse column: ${identifierRule}; unique within the mapping.` }),
    source: t.string({ description: 'Source column, 1–1000 characters; may be omitted when `transform` computes the field (at least one of the two is required).' }),
    transform: t.string({ description: 'One PostgreSQL expression computing the field, at most 10,000 characters, e.g. DATE(created_at); TRY_CAST(x AS t) (or SAFE_CAST) gives NULL where a value does not fit. Checked on save (see validateMappingInput).' }),
  }),
});

const IdentityIdentifierInput = builder.inputType('IdentityIdentifierInput', {
  description: 'A target field that identifies a record.',
  fields: (t) => ({
    column: t.string({ required: true, description: `A target field of the mapping: ${identifierRule}.` }),
    normalize: t.field({ type: [IdentityNormalizationEnum], description: 'Normalisations, in order, at most 4; default [TRIM, LOWER].' }),
    ignoreValues: t.stringList({ description: 'Values that identify nobody, at most 100; default "", "null", "none", "n/a", "anonymous", "unknown".' }),
  }),
});

const IdentityMatchRuleInput = builder.inputType('IdentityMatchRuleInput', {
  description: 'Two records are the same entity when all these identifiers are equal.',
  fields: (t) => ({ allOf: t.stringList({ required: true, description: 'Identifier columns, 1 to 20.' }) }),
});

const IdentityResolutionConfigInput = builder.inputType('IdentityResolutionConfigInput', {
  description: 'Settings of an identity resolution decorator: identifiers (required), match rules, record key, output column. The legacy fields cannot be mixed with them.',
  fields: (t) => ({
    identifiers: t.field({ type: [IdentityIdentifierInput], description: 'The fields that identify a record, 1 to 20.' }),
    matchRules: t.field({ type: [IdentityMatchRuleInput], description: 'Rules, 1 to 20, any of which makes two records one entity; default one rule per identifier.' }),
    recordKey: t.string({ description: 'A target field unique per record; default the first field in stored order (shorter names first), so set it explicitly.' }),
    outputColumn: t.string({ description: `The warehouse column for the entity id: ${identifierRule}, not a target field; default entity_id.` }),
    maxIterations: t.int({ description: 'Rounds of label propagation, 1 to 100; default 20.' }),
    matchKeys: t.stringList({ deprecationReason: legacyShape, description: 'Fields that identify an entity: 1 to 20.' }),
    strategy: t.field({ type: IdentityStrategyEnum, deprecationReason: legacyShape, description: 'Default EXACT; FUZZY is stored but cannot be compiled.' }),
    targetIdField: t.string({ deprecationReason: legacyShape, description: `Warehouse column for the resolved entity ID: ${identifierRule}.` }),
    confidenceThreshold: t.float({ deprecationReason: legacyShape, description: 'Stored, unused.' }),
  }),
});

const GenericDecoratorInput = builder.inputType('GenericDecoratorInput', {
  description: 'A decorator of another kind, stored as given.',
  fields: (t) => ({
    type: t.string({ required: true, description: 'Its kind: lowercase letters, digits and underscores, starting with a letter, at most 100 characters.' }),
    config: t.field({ type: 'JSON', description: 'Its settings, any JSON.' }),
  }),
});

export const DecoratorInput = builder.inputType('DecoratorInput', {
  description: 'Set exactly one field: the kind of decorator.',
  fields: (t) => ({
    identityResolution: t.field({ type: IdentityResolutionConfigInput, description: 'An identity resolution decorator.' }),
    generic: t.field({ type: GenericDecoratorInput, description: 'A decorator of any other kind.' }),
  }),
});

export const CteDefinitionInput = builder.inputType('CteDefinitionInput', {
  description: 'A named common table expression.',
  fields: (t) => ({
    name: t.string({ required: true, description: `Its name: ${identifierRule}; unique (ignoring case) within the mapping.` }),
    sql: t.string({ required: true, description: 'The SELECT that defines it, 1–100,000 characters.' }),
  }),
});

const fieldMappingsRule = '1 to 2000, target fields unique';
const decoratorsRule = 'at most 50, applied in order';
const ctesRule = 'at most 100, in the order the query defines them';

const CreateMappingInput = builder.inputType('CreateMappingInput', {
  description: 'A new mapping; it starts as DRAFT at version 1.',
  fields: (t) => ({
    workspaceId: t.globalID({ required: true, description: 'Global ID of the workspace it belongs to.' }),
    targetTable: t.string({ required: true, description: 'Warehouse table it fills, 1–255 characters after trimming.' }),
    sourceTable: t.string({ required: true, description: 'Source table it reads, e.g. crm.customers; 1–255 characters after trimming.' }),
    fieldMappings: t.field({ type: [FieldMappingInput], required: true, description: `How each target column is filled: ${fieldMappingsRule}.` }),
    decorators: t.field({ type: [DecoratorInput], description: `Steps applied to the mapped rows: ${decoratorsRule}. Default none.` }),
    cteDefinitions: t.field({ type: [CteDefinitionInput], description: `Common table expressions: ${ctesRule}. Default none.` }),
    incremental: t.field({ type: IncrementalLoadInput, description: 'Incremental-load settings; default none (INCREMENTAL jobs are refused for the mapping).' }),
  }),
});

const UpdateMappingInput = builder.inputType('UpdateMappingInput', {
  description: 'Changes to a mapping; omitted fields stay as they are, given lists replace the stored ones.',
  fields: (t) => ({
    id: t.globalID({ required: true, description: 'Global ID of the mapping.' }),
    expectedVersion: t.int({ required: true, description: 'The version the change was made on; a newer stored version is a ConflictError.' }),
    targetTable: t.string({ description: 'New warehouse table, 1–255 characters after trimming.' }),
    sourceTable: t.string({ description: 'New source table, 1–255 characters after trimming.' }),
    fieldMappings: t.field({ type: [FieldMappingInput], description: `Replaces all field mappings: ${fieldMappingsRule}.` }),
    decorators: t.field({ type: [DecoratorInput], description: `Replaces all decorators: ${decoratorsRule}.` }),
    cteDefinitions: t.field({ type: [CteDefinitionInput], description: `Replaces all CTEs: ${ctesRule}.` }),
    incremental: t.field({ type: IncrementalLoadInput, description: 'Replaces the incremental-load settings; null removes them; omitted keeps them.' }),
  }),
});

const FieldMappingsContainInput = builder.inputType('FieldMappingContainsInput', {
  description: 'Matches mappings whose field mappings include this target field with these values (JSONB containment).',
  fields: (t) => ({
    targetField: t.string({ required: true, description: 'The target field that must be present.' }),
    source: t.string({ description: 'Its source must be exactly this.' }),
    transform: t.string({ description: 'Its transform must be exactly this.' }),
  }),
});

/** The columns each Mapping field below reads: lists read only those their nodes show (FieldColumns). */
export const MAPPING_FIELD_COLUMNS: FieldColumns<MappingRow> = {
  id: ['id'],
  workspace: ['workspace_id'],
  targetTable: ['target_table'],
  sourceTable: ['source_table'],
  fieldMappings: ['field_mappings'],
  decorators: ['decorators'],
  cteDefinitions: ['cte_definitions'],
  incremental: ['incremental'],
  status: ['status'],
  version: ['version'],
  createdAt: ['created_at'],
  updatedAt: ['updated_at'],
};

MappingRef.implement({
  description: "How a source table's columns become a warehouse table: field mappings, decorators and CTEs, versioned. Any member may read it.",
  fields: (t) => ({
    workspace: t.field({ type: WorkspaceRef, description: 'The workspace it belongs to.', resolve: (m) => m.workspace_id }),
    targetTable: t.exposeString('target_table', { description: 'Warehouse table it fills.' }),
    sourceTable: t.exposeString('source_table', { description: 'Source table it reads.' }),
    // Parsed and built per mapping: a long list's are spread over turns of the event loop (inSlice).
    fieldMappings: t.field({ type: [FieldMappingRef], description: 'How each target column is filled.', resolve: (m) => inSlice(() => toFieldMappings(m.field_mappings)) }),
    decorators: t.field({ type: [DecoratorInterface], description: 'Steps applied to the mapped rows, in order.', resolve: (m) => inSlice(() => toDecorators(m.decorators)) }),
    cteDefinitions: t.field({
      type: [CteDefinitionRef],
      description: 'Common table expressions the query starts with, in order.',
      resolve: (m) => inSlice(() => toCteDefinitions(m.cte_definitions)),
    }),
    incremental: t.field({
      type: IncrementalLoadRef,
      nullable: true,
      description: 'How INCREMENTAL jobs load it; null when it is loaded by full refresh only.',
      resolve: (m) => toIncremental(m.incremental),
    }),
    status: t.expose('status', { type: MappingStatusEnum, description: 'Where it is in its life.' }),
    version: t.exposeInt('version', { description: 'Starts at 1, bumped by every change; send it back as expectedVersion.' }),
    createdAt: t.expose('created_at', { type: 'DateTime', description: 'When the mapping was created.' }),
    updatedAt: t.expose('updated_at', { type: 'DateTime', description: 'When it last changed (content or status).' }),
  }),
});

builder.queryFields((t) => ({
  mapping: t.field({
    type: MappingRef,
    nullable: true,
    description: 'A mapping by global ID; null when it does not exist or belongs to another organization. Any role.',
    authScopes: { authenticated: true },
    args: { id: t.arg.globalID({ required: true, description: 'Global ID of the mapping.' }) },
    resolve: async (_root, { id }, ctx, info) => {
      const mappingId = idOf(id, 'Mapping');
      if (!selectsField(info, 'workspace')) return mappingId;
      // The editor shows the workspace too: one statement reads both, and the loaders are primed with them.
      const found = await mappings.findMappingWithWorkspace(scopeOf(ctx), mappingId);
      if (!found) return null;
      MappingRef.getDataloader(ctx).prime(mappingId, found.mapping);
      WorkspaceRef.getDataloader(ctx).prime(found.workspace.id, found.workspace);
      return found.mapping;
    },
  }),
  mappings: t.connection(
    {
      type: MappingRef,
      description:
        'Mappings of the organization, newest first, at most 100 a page; the filters combine with AND. hasTargetField is answered by the GIN index on field_mappings, fieldMappingsContain by the indexes of its field mappings (mapping_field_sources). Any role.',
      authScopes: { authenticated: true },
      complexity: connectionComplexity,
      args: {
        workspaceId: t.arg.globalID({ description: 'Only mappings of this workspace.' }),
        status: t.arg({ type: MappingStatusEnum, description: 'Only mappings with this status.' }),
        sourceTable: t.arg.string({ description: 'Only mappings reading exactly this source table.' }),
        targetTable: t.arg.string({ description: 'Only mappings filling exactly this warehouse table.' }),
        hasTargetField: t.arg.string({ description: 'Only mappings that fill this target field.' }),
        fieldMappingsContain: t.arg({ type: FieldMappingsContainInput, description: 'Only mappings with a field mapping like this one.' }),
      },
      resolve: async (_root, args, ctx, info) => {
        const scope = scopeOf(ctx);
        const filter = {
          workspaceId: args.workspaceId ? idOf(args.workspaceId, 'Workspace') : null,
          status: args.status,
          sourceTable: args.sourceTable,
          targetTable: args.targetTable,
          hasTargetField: args.hasTargetField,
          fieldMappingsContain: args.fieldMappingsContain,
        };
        // With totalCount asked for, the page's statement counts too.
        const page = await mappings.listMappings(scope, filter, listPageArgs(info, args, MAPPING_FIELD_COLUMNS));
        return toConnection(page, () => mappings.countMappings(scope, filter));
      },
    },
    MappingConnection,
  ),
}));

const errors = (mutation: string, mapping: string) => payloadErrors(mutation, { name: 'mapping', description: mapping });

builder.mutationFields((t) => ({
  createMapping: t.field({
    type: MappingRef,
    description:
      'Creates a mapping in a workspace, as DRAFT at version 1. Editors and above. Errors: ValidationError (with the path of the bad field), NotFoundError (workspace), ForbiddenError.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: CreateMappingInput, required: true, description: 'The new mapping.' }) },
    errors: errors('createMapping', 'The new mapping.'),
    resolve: (_root, { input }, ctx) =>
      mappings.createMapping(scopeOf(ctx), { ...input, workspaceId: idOf(input.workspaceId, 'Workspace') }),
  }),
  updateMapping: t.field({
    type: MappingRef,
    description:
      'Changes a mapping if it is still at `expectedVersion`, and bumps the version. Editors and above. Errors: ConflictError (someone changed it first: `currentVersion`; or it is archived: `currentStatus`), ValidationError, NotFoundError, ForbiddenError.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: UpdateMappingInput, required: true, description: 'What to change, and the version it was loaded at.' }) },
    errors: errors('updateMapping', 'The mapping at its new version.'),
    resolve: (_root, { input: { id, expectedVersion, ...input } }, ctx) =>
      mappings.updateMapping(scopeOf(ctx), idOf(id, 'Mapping'), expectedVersion, input),
  }),
  setMappingStatus: t.field({
    type: MappingRef,
    description:
      'Moves draft → active or active → archived; any other move is a ConflictError with `currentStatus`. Editors and above. Errors: ConflictError, NotFoundError, ForbiddenError.',
    authScopes: { editor: true },
    args: {
      id: t.arg.globalID({ required: true, description: 'Global ID of the mapping.' }),
      status: t.arg({ type: MappingStatusEnum, required: true, description: 'The status to move to.' }),
    },
    errors: errors('setMappingStatus', 'The mapping with its new status.'),
    resolve: (_root, { id, status }, ctx) => mappings.setMappingStatus(scopeOf(ctx), idOf(id, 'Mapping'), status),
  }),
  deleteMapping: t.field({
    type: MappingRef,
    description: 'Deletes a mapping, whatever its status. Editors and above. Errors: NotFoundError, ForbiddenError.',
    authScopes: { editor: true },
    args: { id: t.arg.globalID({ required: true, description: 'Global ID of the mapping.' }) },
    errors: errors('deleteMapping', 'The mapping as it was before deletion.'),
    resolve: (_root, { id }, ctx) => mappings.deleteMapping(scopeOf(ctx), idOf(id, 'Mapping')),
  }),
}));
