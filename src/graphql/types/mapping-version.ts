import type { MappingVersionRow } from '../../db/tables/mapping-versions.table.js';
import type { MappingStatus } from '../../db/tables/mappings.table.js';
import type { MappingDiff } from '../../mappings/mapping-diff.js';
import * as versions from '../../mappings/mapping-version.manager.js';
import { toCteDefinitions, toDecorators, toFieldMappings, type CteDefinition, type Decorator, type FieldMapping } from '../../mappings/mapping-shapes.js';
import { builder } from '../builder.js';
import { connectionComplexity, idOf, nestedConnection, scopeOf } from '../relay.js';
import { payloadErrors } from './error.js';
import { CteDefinitionRef, DecoratorInterface, FieldMappingRef, MappingStatusEnum } from './mapping.js';
import { connectionOf, MappingRef, UserRef } from './refs.js';

/** Mapping.versions, Mapping.diff and restoreMappingVersion: a mapping's history. */

const MappingVersionRef = builder.objectRef<MappingVersionRow>('MappingVersion').implement({
  description:
    'One state a mapping has had: version 1 is its creation, the newest is its current state. Written by every createMapping, updateMapping, setMappingStatus and restoreMappingVersion.',
  fields: (t) => ({
    version: t.exposeInt('version', { description: 'The mapping version this state was (Mapping.version at the time).' }),
    changedBy: t.field({
      type: UserRef,
      nullable: true,
      description: 'The user who made this state; null when a service account or the operator did, the user was removed, or the state predates version history.',
      resolve: (v) => v.changed_by,
    }),
    changedAt: t.expose('changed_at', { type: 'DateTime', description: 'When this state was made.' }),
    targetTable: t.exposeString('target_table', { description: 'Warehouse table it filled.' }),
    sourceTable: t.exposeString('source_table', { description: 'Source table it read.' }),
    fieldMappings: t.field({ type: [FieldMappingRef], description: 'How each target column was filled.', resolve: (v) => toFieldMappings(v.field_mappings) }),
    decorators: t.field({ type: [DecoratorInterface], description: 'Steps applied to the mapped rows, in order.', resolve: (v) => toDecorators(v.decorators) }),
    cteDefinitions: t.field({ type: [CteDefinitionRef], description: 'Common table expressions, in order.', resolve: (v) => toCteDefinitions(v.cte_definitions) }),
    status: t.expose('status', { type: MappingStatusEnum, description: 'Its status at this version.' }),
  }),
});

const MappingVersionConnection = connectionOf(MappingVersionRef, 'MappingVersion');

const TextChangeRef = builder.objectRef<{ before: string; after: string }>('MappingTextChange').implement({
  description: 'A text field of a mapping (a table name) that differs between two versions.',
  fields: (t) => ({
    before: t.exposeString('before', { description: 'Its value at `fromVersion`.' }),
    after: t.exposeString('after', { description: 'Its value at `toVersion`.' }),
  }),
});

const StatusChangeRef = builder.objectRef<{ before: MappingStatus; after: MappingStatus }>('MappingStatusChange').implement({
  description: 'The status of a mapping, when it differs between two versions.',
  fields: (t) => ({
    before: t.field({ type: MappingStatusEnum, description: 'Its status at `fromVersion`.', resolve: (c) => c.before }),
    after: t.field({ type: MappingStatusEnum, description: 'Its status at `toVersion`.', resolve: (c) => c.after }),
  }),
});

const FieldMappingChangeRef = builder.objectRef<{ targetField: string; before: FieldMapping; after: FieldMapping }>('FieldMappingChange').implement({
  description: 'A field mapping present in both versions whose source or transform differs.',
  fields: (t) => ({
    targetField: t.exposeString('targetField', { description: 'The target field both versions fill.' }),
    before: t.field({ type: FieldMappingRef, description: 'It at `fromVersion`.', resolve: (c) => c.before }),
    after: t.field({ type: FieldMappingRef, description: 'It at `toVersion`.', resolve: (c) => c.after }),
  }),
});

const FieldMappingsDiffRef = builder.objectRef<MappingDiff['fieldMappings']>('FieldMappingsDiff').implement({
  description: 'How the field mappings differ, matched by target field.',
  fields: (t) => ({
    added: t.field({ type: [FieldMappingRef], description: 'Target fields only `toVersion` fills.', resolve: (d) => d.added }),
    removed: t.field({ type: [FieldMappingRef], description: 'Target fields only `fromVersion` fills.', resolve: (d) => d.removed }),
    changed: t.field({ type: [FieldMappingChangeRef], description: 'Target fields both fill, differently.', resolve: (d) => d.changed }),
  }),
});

const PositionedDecoratorRef = builder.objectRef<{ position: number; decorator: Decorator }>('PositionedDecorator').implement({
  description: 'A decorator and its place in the list.',
  fields: (t) => ({
    position: t.exposeInt('position', { description: 'Its index in the list, from 0.' }),
    decorator: t.field({ type: DecoratorInterface, description: 'The decorator.', resolve: (d) => d.decorator }),
  }),
});

const DecoratorChangeRef = builder.objectRef<{ position: number; before: Decorator; after: Decorator }>('DecoratorChange').implement({
  description: 'A place in the decorator list that holds a different decorator in the two versions.',
  fields: (t) => ({
    position: t.exposeInt('position', { description: 'The index in the list, from 0.' }),
    before: t.field({ type: DecoratorInterface, description: 'The decorator there at `fromVersion`.', resolve: (c) => c.before }),
    after: t.field({ type: DecoratorInterface, description: 'The decorator there at `toVersion`.', resolve: (c) => c.after }),
  }),
});

const DecoratorsDiffRef = builder.objectRef<MappingDiff['decorators']>('DecoratorsDiff').implement({
  description: 'How the decorators differ, compared by position (they apply in order and have no name).',
  fields: (t) => ({
    added: t.field({ type: [PositionedDecoratorRef], description: 'Positions only `toVersion` has (its list is longer).', resolve: (d) => d.added }),
    removed: t.field({ type: [PositionedDecoratorRef], description: 'Positions only `fromVersion` has (its list was longer).', resolve: (d) => d.removed }),
    changed: t.field({ type: [DecoratorChangeRef], description: 'Positions both have, holding different decorators.', resolve: (d) => d.changed }),
  }),
});

const CteDefinitionChangeRef = builder.objectRef<{ name: string; before: CteDefinition; after: CteDefinition }>('CteDefinitionChange').implement({
  description: 'A CTE both versions define (by name, ignoring case) whose SQL or spelling differs.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Its name at `toVersion`.' }),
    before: t.field({ type: CteDefinitionRef, description: 'It at `fromVersion`.', resolve: (c) => c.before }),
    after: t.field({ type: CteDefinitionRef, description: 'It at `toVersion`.', resolve: (c) => c.after }),
  }),
});

const CteDefinitionsDiffRef = builder.objectRef<MappingDiff['cteDefinitions']>('CteDefinitionsDiff').implement({
  description: 'How the CTEs differ, matched by name ignoring case.',
  fields: (t) => ({
    added: t.field({ type: [CteDefinitionRef], description: 'CTEs only `toVersion` defines.', resolve: (d) => d.added }),
    removed: t.field({ type: [CteDefinitionRef], description: 'CTEs only `fromVersion` defines.', resolve: (d) => d.removed }),
    changed: t.field({ type: [CteDefinitionChangeRef], description: 'CTEs both define, differently.', resolve: (d) => d.changed }),
    orderChanged: t.exposeBoolean('orderChanged', { description: 'Whether the CTEs both define come in a different order.' }),
  }),
});

const MappingDiffRef = builder.objectRef<MappingDiff>('MappingDiff').implement({
  description: 'What differs from one version of a mapping to another, field by field; a null or empty member is unchanged.',
  fields: (t) => ({
    fromVersion: t.exposeInt('fromVersion', { description: 'The version compared from.' }),
    toVersion: t.exposeInt('toVersion', { description: 'The version compared to.' }),
    changed: t.exposeBoolean('changed', { description: 'False when the two versions are the same in every field.' }),
    targetTable: t.field({ type: TextChangeRef, nullable: true, description: 'The warehouse table, when it differs.', resolve: (d) => d.targetTable }),
    sourceTable: t.field({ type: TextChangeRef, nullable: true, description: 'The source table, when it differs.', resolve: (d) => d.sourceTable }),
    status: t.field({ type: StatusChangeRef, nullable: true, description: 'The status, when it differs.', resolve: (d) => d.status }),
    fieldMappings: t.field({ type: FieldMappingsDiffRef, description: 'Field mappings added, removed and changed.', resolve: (d) => d.fieldMappings }),
    decorators: t.field({ type: DecoratorsDiffRef, description: 'Decorators added, removed and changed.', resolve: (d) => d.decorators }),
    cteDefinitions: t.field({ type: CteDefinitionsDiffRef, description: 'CTEs added, removed and changed.', resolve: (d) => d.cteDefinitions }),
  }),
});

builder.objectFields(MappingRef, (t) => ({
  versions: t.connection(
    {
      type: MappingVersionRef,
      description: 'Every state the mapping has had, newest version first (the first is its current state), at most 100 a page. Batched across mappings. Any role.',
      complexity: connectionComplexity,
      resolve: (m, args, ctx, info) => nestedConnection(ctx, info, 'Mapping.versions', m.id, null, args, versions.mappingVersionPages, versions.mappingVersionCounts),
    },
    MappingVersionConnection,
  ),
  diff: t.field({
    type: MappingDiffRef,
    description:
      'What changed from `fromVersion` to `toVersion` (any two stored versions, either order), field by field. Any role. Errors: NOT_FOUND when a version does not exist, VALIDATION for a number below 1.',
    args: {
      fromVersion: t.arg.int({ required: true, description: 'The version to compare from, 1 or more.' }),
      toVersion: t.arg.int({ required: true, description: 'The version to compare to, 1 or more.' }),
    },
    resolve: (m, { fromVersion, toVersion }, ctx) => versions.diffMappingVersions(scopeOf(ctx), m.id, fromVersion, toVersion),
  }),
}));

builder.mutationFields((t) => ({
  restoreMappingVersion: t.field({
    type: MappingRef,
    description:
      'Makes the content of an old version (tables, field mappings, decorators, CTEs) current again as a new version, if the mapping is still at `expectedVersion`. The status is kept (it only moves forward, through setMappingStatus). Restoring what is already current changes nothing. Editors and above. Errors: ConflictError (someone changed it first: `currentVersion`; or it is archived: `currentStatus`), NotFoundError (mapping or version), ValidationError, ForbiddenError.',
    authScopes: { editor: true },
    args: {
      id: t.arg.globalID({ required: true, description: 'Global ID of the mapping.' }),
      version: t.arg.int({ required: true, description: 'The stored version to restore (see Mapping.versions).' }),
      expectedVersion: t.arg.int({ required: true, description: 'The version the mapping was loaded at; a newer stored version is a ConflictError.' }),
    },
    errors: payloadErrors('restoreMappingVersion', { name: 'mapping', description: 'The mapping at its new version.' }),
    resolve: (_root, { id, version, expectedVersion }, ctx) => versions.restoreMappingVersion(scopeOf(ctx), idOf(id, 'Mapping'), version, expectedVersion),
  }),
}));
