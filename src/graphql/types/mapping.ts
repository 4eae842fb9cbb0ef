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
import { upperCaseEnum } from '../enum-values.js';
import { builder } from '../builder.js';
import { connectionComplexity, idOf, scopeOf, toConnection } from '../relay.js';
import { MUTATION_ERRORS } from './error.js';
import { MappingConnection, MappingRef, WorkspaceRef } from './refs.js';

export const MappingStatusEnum = builder.enumType('MappingStatus', {
  description: 'draft → active → archived.',
  values: upperCaseEnum(MAPPING_STATUSES),
});

const FieldMappingRef = builder.objectRef<FieldMapping>('FieldMapping').implement({
  description: 'How one warehouse column is filled: from a source expression, optionally transformed.',
  fields: (t) => ({
    targetField: t.exposeString('targetField'),
    source: t.exposeString('source'),
    transform: t.exposeString('transform', { nullable: true }),
  }),
});

const IdentityStrategyEnum = builder.enumType('IdentityResolutionStrategy', {
  values: { EXACT: { value: 'exact' }, FUZZY: { value: 'fuzzy' } } as const,
});

const IdentityResolutionConfigRef = builder.objectRef<IdentityResolutionConfig>('IdentityResolutionConfig').implement({
  fields: (t) => ({
    matchKeys: t.exposeStringList('matchKeys'),
    strategy: t.field({ type: IdentityStrategyEnum, resolve: (c) => c.strategy }),
    targetIdField: t.exposeString('targetIdField', { nullable: true }),
    confidenceThreshold: t.exposeFloat('confidenceThreshold', { nullable: true }),
  }),
});

const DecoratorInterface = builder.interfaceRef<Decorator>('Decorator').implement({
  description: 'A step applied to the mapped rows. Known kinds are typed; others are GenericDecorator.',
  resolveType: (d) => ('generic' in d ? 'GenericDecorator' : 'IdentityResolutionDecorator'),
  fields: (t) => ({ type: t.exposeString('type', { description: 'The stored kind, e.g. identity_resolution.' }) }),
});

builder.objectRef<Extract<Decorator, { type: 'identity_resolution' }>>('IdentityResolutionDecorator').implement({
  interfaces: [DecoratorInterface],
  fields: (t) => ({ identityResolution: t.field({ type: IdentityResolutionConfigRef, resolve: (d) => d.config }) }),
});

builder.objectRef<Extract<Decorator, { generic: true }>>('GenericDecorator').implement({
  interfaces: [DecoratorInterface],
  fields: (t) => ({ config: t.field({ type: 'JSON', nullable: true, resolve: (d) => d.config }) }),
});

const CteDefinitionRef = builder.objectRef<CteDefinition>('CteDefinition').implement({
  description: 'A named common table expression the mapping query starts with.',
  fields: (t) => ({ name: t.exposeString('name'), sql: t.exposeString('sql') }),
});

const FieldMappingInput = builder.inputType('FieldMappingInput', {
  fields: (t) => ({
    targetField: t.string({ required: true }),
    source: t.string({ required: true }),
    transform: t.string(),
  }),
});

const IdentityResolutionConfigInput = builder.inputType('IdentityResolutionConfigInput', {
  fields: (t) => ({
    matchKeys: t.stringList({ required: true }),
    strategy: t.field({ type: IdentityStrategyEnum }),
    targetIdField: t.string(),
    confidenceThreshold: t.float(),
  }),
});

const GenericDecoratorInput = builder.inputType('GenericDecoratorInput', {
  fields: (t) => ({ type: t.string({ required: true }), config: t.field({ type: 'JSON' }) }),
});

const DecoratorInput = builder.inputType('DecoratorInput', {
  description: 'Set exactly one field: the kind of decorator.',
  fields: (t) => ({
    identityResolution: t.field({ type: IdentityResolutionConfigInput }),
    generic: t.field({ type: GenericDecoratorInput }),
  }),
});

const CteDefinitionInput = builder.inputType('CteDefinitionInput', {
  fields: (t) => ({ name: t.string({ required: true }), sql: t.string({ required: true }) }),
});

const CreateMappingInput = builder.inputType('CreateMappingInput', {
  fields: (t) => ({
    workspaceId: t.globalID({ required: true }),
    targetTable: t.string({ required: true }),
    sourceTable: t.string({ required: true }),
    fieldMappings: t.field({ type: [FieldMappingInput], required: true }),
    decorators: t.field({ type: [DecoratorInput] }),
    cteDefinitions: t.field({ type: [CteDefinitionInput] }),
  }),
});

const UpdateMappingInput = builder.inputType('UpdateMappingInput', {
  fields: (t) => ({
    id: t.globalID({ required: true }),
    expectedVersion: t.int({ required: true, description: 'The version the change was made on; a newer stored version is a ConflictError.' }),
    targetTable: t.string(),
    sourceTable: t.string(),
    fieldMappings: t.field({ type: [FieldMappingInput] }),
    decorators: t.field({ type: [DecoratorInput] }),
    cteDefinitions: t.field({ type: [CteDefinitionInput] }),
  }),
});

const FieldMappingsContainInput = builder.inputType('FieldMappingContainsInput', {
  description: 'Matches mappings whose field mappings include this target field with these values (JSONB containment).',
  fields: (t) => ({
    targetField: t.string({ required: true }),
    source: t.string(),
    transform: t.string(),
  }),
});

MappingRef.implement({
  description: "How a source table's columns become a warehouse table.",
  authScopes: { authenticated: true },
  fields: (t) => ({
    workspace: t.field({ type: WorkspaceRef, resolve: (m) => m.workspace_id }),
    targetTable: t.exposeString('target_table'),
    sourceTable: t.exposeString('source_table'),
    fieldMappings: t.field({ type: [FieldMappingRef], resolve: (m) => toFieldMappings(m.field_mappings) }),
    decorators: t.field({ type: [DecoratorInterface], resolve: (m) => toDecorators(m.decorators) }),
    cteDefinitions: t.field({ type: [CteDefinitionRef], resolve: (m) => toCteDefinitions(m.cte_definitions) }),
    status: t.field({ type: MappingStatusEnum, resolve: (m) => m.status }),
    version: t.exposeInt('version', { description: 'Bumped by every change; send it back as expectedVersion.' }),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
    updatedAt: t.expose('updated_at', { type: 'DateTime' }),
  }),
});

builder.queryFields((t) => ({
  mapping: t.field({
    type: MappingRef,
    nullable: true,
    authScopes: { authenticated: true },
    args: { id: t.arg.globalID({ required: true }) },
    resolve: (_root, { id }) => idOf(id, 'Mapping'),
  }),
  mappings: t.connection(
    {
      type: MappingRef,
      description: 'Mappings of the organization, newest first. hasTargetField and fieldMappingsContain are answered by the GIN index on field_mappings.',
      authScopes: { authenticated: true },
      complexity: connectionComplexity,
      args: {
        workspaceId: t.arg.globalID(),
        status: t.arg({ type: MappingStatusEnum }),
        sourceTable: t.arg.string(),
        targetTable: t.arg.string(),
        hasTargetField: t.arg.string(),
        fieldMappingsContain: t.arg({ type: FieldMappingsContainInput }),
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

const errors = { types: MUTATION_ERRORS, dataField: { name: 'mapping' } };

builder.mutationFields((t) => ({
  createMapping: t.field({
    type: MappingRef,
    authScopes: { editor: true },
    args: { input: t.arg({ type: CreateMappingInput, required: true }) },
    errors,
    resolve: (_root, { input }, ctx) =>
      mappings.createMapping(scopeOf(ctx), { ...input, workspaceId: idOf(input.workspaceId, 'Workspace') }),
  }),
  updateMapping: t.field({
    type: MappingRef,
    authScopes: { editor: true },
    args: { input: t.arg({ type: UpdateMappingInput, required: true }) },
    errors,
    resolve: (_root, { input: { id, expectedVersion, ...input } }, ctx) =>
      mappings.updateMapping(scopeOf(ctx), idOf(id, 'Mapping'), expectedVersion, input),
  }),
  setMappingStatus: t.field({
    type: MappingRef,
    description: 'Moves draft → active or active → archived; other moves are a ConflictError.',
    authScopes: { editor: true },
    args: { id: t.arg.globalID({ required: true }), status: t.arg({ type: MappingStatusEnum, required: true }) },
    errors,
    resolve: (_root, { id, status }, ctx) => mappings.setMappingStatus(scopeOf(ctx), idOf(id, 'Mapping'), status),
  }),
  deleteMapping: t.field({
    type: MappingRef,
    authScopes: { editor: true },
    args: { id: t.arg.globalID({ required: true }) },
    errors,
    resolve: (_root, { id }, ctx) => mappings.deleteMapping(scopeOf(ctx), idOf(id, 'Mapping')),
  }),
}));
