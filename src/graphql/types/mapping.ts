import { MAPPING_STATUSES } from '../../db/tables/mappings.table.js';
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
import { connectionComplexity, idOf, scopeOf, toConnection } from '../relay.js';
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
  description: 'How records are matched on their match keys.',
  values: {
    EXACT: { value: 'exact', description: 'Records are the same entity when all match keys are equal. The default.' },
    FUZZY: { value: 'fuzzy', description: 'Records are the same entity when their match keys are similar enough (see `confidenceThreshold`).' },
  } as const,
});

const IdentityResolutionConfigRef = builder.objectRef<IdentityResolutionConfig>('IdentityResolutionConfig').implement({
  description: 'Settings of identity resolution: which fields identify an entity, and how they are compared.',
  fields: (t) => ({
    matchKeys: t.exposeStringList('matchKeys', { description: 'Fields compared to decide that two records are the same entity, e.g. ["email"].' }),
    strategy: t.field({ type: IdentityStrategyEnum, description: 'How the match keys are compared.', resolve: (c) => c.strategy }),
    targetIdField: t.exposeString('targetIdField', { nullable: true, description: 'Warehouse column that receives the resolved entity ID; null for none.' }),
    confidenceThreshold: t.exposeFloat('confidenceThreshold', {
      nullable: true,
      description: 'For FUZZY: the lowest match score (0 to 1) taken as the same entity; null for the runner default.',
    }),
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
    transform: t.string({ description: 'SQL applied to the value, at most 10,000 characters.' }),
  }),
});

const IdentityResolutionConfigInput = builder.inputType('IdentityResolutionConfigInput', {
  description: 'Settings of an identity resolution decorator.',
  fields: (t) => ({
    matchKeys: t.stringList({ required: true, description: 'Fields that identify an entity: 1 to 20, each 1–255 characters.' }),
    strategy: t.field({ type: IdentityStrategyEnum, description: 'How they are compared; default EXACT.' }),
    targetIdField: t.string({ description: `Warehouse column for the resolved entity ID: ${identifierRule}.` }),
    confidenceThreshold: t.float({ description: 'For FUZZY: the lowest match score taken as a match, 0 to 1.' }),
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

MappingRef.implement({
  description: "How a source table's columns become a warehouse table: field mappings, decorators and CTEs, versioned. Any member may read it.",
  authScopes: { authenticated: true },
  fields: (t) => ({
    workspace: t.field({ type: WorkspaceRef, description: 'The workspace it belongs to.', resolve: (m) => m.workspace_id }),
    targetTable: t.exposeString('target_table', { description: 'Warehouse table it fills.' }),
    sourceTable: t.exposeString('source_table', { description: 'Source table it reads.' }),
    fieldMappings: t.field({ type: [FieldMappingRef], description: 'How each target column is filled.', resolve: (m) => toFieldMappings(m.field_mappings) }),
    decorators: t.field({ type: [DecoratorInterface], description: 'Steps applied to the mapped rows, in order.', resolve: (m) => toDecorators(m.decorators) }),
    cteDefinitions: t.field({ type: [CteDefinitionRef], description: 'Common table expressions the query starts with, in order.', resolve: (m) => toCteDefinitions(m.cte_definitions) }),
    incremental: t.field({
      type: IncrementalLoadRef,
      nullable: true,
      description: 'How INCREMENTAL jobs load it; null when it is loaded by full refresh only.',
      resolve: (m) => toIncremental(m.incremental),
    }),
    status: t.field({ type: MappingStatusEnum, description: 'Where it is in its life.', resolve: (m) => m.status }),
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
    resolve: (_root, { id }) => idOf(id, 'Mapping'),
  }),
  mappings: t.connection(
    {
      type: MappingRef,
      description:
        'Mappings of the organization, newest first, at most 100 a page; the filters combine with AND. hasTargetField and fieldMappingsContain are answered by the GIN index on field_mappings. Any role.',
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
      resolve: async (_root, args, ctx) => {
        const scope = scopeOf(ctx);
        const filter = {
          workspaceId: args.workspaceId ? idOf(args.workspaceId, 'Workspace') : null,
          status: args.status,
          sourceTable: args.sourceTable,
          targetTable: args.targetTable,
          hasTargetField: args.hasTargetField,
          fieldMappingsContain: args.fieldMappingsContain,
        };
        return toConnection(await mappings.listMappings(scope, filter, args), () => mappings.countMappings(scope, filter));
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
