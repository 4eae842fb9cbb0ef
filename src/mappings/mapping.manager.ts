import { requireRole } from '../auth/actor.js';
import { changedColumns, isUnchanged } from '../db/changes.js';
import type { RequestScope } from '../auth/scope.js';
import { auditSource, recordAudit } from '../audit/audit.js';
import type { Page, PageArgs } from '../db/pagination.js';
import type { MappingRow, MappingStatus } from '../db/tables/mappings.table.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { findWorkspaceById } from '../workspaces/workspace.dao.js';
import { checkName } from '../validation.js';
import * as dao from './mapping.dao.js';
import { assertStaysValid, validateRow } from './mapping-sql.manager.js';
import { keepMappingVersion } from './mapping-version.manager.js';
import {
  toStoredCtes,
  toStoredDecorators,
  toStoredFieldMappings,
  type CteInput,
  type DecoratorInput,
  type FieldMappingInput,
} from './mapping-shapes.js';
import { checkIncremental, toStoredIncremental, type IncrementalInput } from './mapping-incremental.js';

export interface MappingInput {
  targetTable?: string | null;
  sourceTable?: string | null;
  fieldMappings?: FieldMappingInput[] | null;
  decorators?: DecoratorInput[] | null;
  cteDefinitions?: CteInput[] | null;
  /** Left out: kept; null: removed (the mapping loads by full refresh only). */
  incremental?: IncrementalInput | null;
}

/** The only status moves a mapping may make. */
const TRANSITIONS: Record<MappingStatus, MappingStatus[]> = { draft: ['active'], active: ['archived'], archived: [] };

const audited = (m: MappingRow | undefined) =>
  m && {
    target_table: m.target_table,
    source_table: m.source_table,
    field_mappings: m.field_mappings,
    decorators: m.decorators,
    cte_definitions: m.cte_definitions,
    incremental: m.incremental,
    status: m.status,
    version: m.version,
  };

const TABLE_LABELS = { targetTable: 'Target table', sourceTable: 'Source table' } as const;
const tableName = (value: string, field: keyof typeof TABLE_LABELS) => checkName(value, TABLE_LABELS[field], ['input', field]);

function toColumns(input: MappingInput) {
  return {
    target_table: input.targetTable == null ? undefined : tableName(input.targetTable, 'targetTable'),
    source_table: input.sourceTable == null ? undefined : tableName(input.sourceTable, 'sourceTable'),
    field_mappings: input.fieldMappings == null ? undefined : toStoredFieldMappings(input.fieldMappings),
    decorators: input.decorators == null ? undefined : toStoredDecorators(input.decorators),
    cte_definitions: input.cteDefinitions == null ? undefined : toStoredCtes(input.cteDefinitions),
    incremental: input.incremental === undefined ? undefined : input.incremental === null ? null : toStoredIncremental(input.incremental),
  };
}

export function findMappingsByIds(scope: RequestScope, ids: readonly string[]): Promise<MappingRow[]> {
  return dao.findMappingsByIds(scope.tenant.db, ids);
}

/** A mapping with its workspace, read together (`mapping(id)` when the query shows the workspace). */
export function findMappingWithWorkspace(scope: RequestScope, id: string): Promise<dao.MappingWithWorkspace | undefined> {
  return dao.findMappingWithWorkspace(scope.tenant.db, id);
}

export function listMappings(scope: RequestScope, filter: dao.MappingFilter, args: PageArgs): Promise<Page<MappingRow>> {
  return dao.listMappings(scope.tenant.db, filter, args);
}

export function countMappings(scope: RequestScope, filter: dao.MappingFilter): Promise<number> {
  return dao.countMappings(scope.tenant.db, filter);
}

export function mappingPagesByWorkspace(scope: RequestScope, workspaceIds: readonly string[], filter: dao.MappingFilter, args: PageArgs) {
  return dao.pagesByWorkspaceIds(scope.tenant.db, workspaceIds, filter, args);
}

export function mappingCountsByWorkspace(scope: RequestScope, workspaceIds: readonly string[], filter: dao.MappingFilter) {
  return dao.countsByWorkspaceIds(scope.tenant.db, workspaceIds, filter);
}

export async function createMapping(
  scope: RequestScope,
  input: MappingInput & { workspaceId: string; targetTable: string; sourceTable: string; fieldMappings: FieldMappingInput[] },
): Promise<MappingRow> {
  requireRole(scope.actor, 'editor', 'create mappings');
  const columns = toColumns(input);
  checkIncremental(columns.incremental ?? null, columns.field_mappings!, columns.decorators ?? []);
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    if (!(await findWorkspaceById(tenant, input.workspaceId))) throw new NotFoundError('Workspace', input.workspaceId);
    const row = await dao.insertMapping(tenant, {
      workspace_id: input.workspaceId,
      target_table: columns.target_table!,
      source_table: columns.source_table!,
      field_mappings: columns.field_mappings!,
      decorators: columns.decorators ?? [],
      cte_definitions: columns.cte_definitions ?? [],
      incremental: columns.incremental ?? null,
    });
    await keepMappingVersion(tenant, row, scope.actor);
    await recordAudit(platform, auditSource(scope), { action: 'mapping.create', entityType: 'Mapping', entityId: row.id, after: audited(row) });
    return row;
  });
}

/**
 * Optimistic concurrency: the update applies only at `expectedVersion` and
 * bumps the version; otherwise a ConflictError names the current version.
 */
export async function updateMapping(scope: RequestScope, id: string, expectedVersion: number, input: MappingInput): Promise<MappingRow> {
  requireRole(scope.actor, 'editor', 'change mappings');
  const columns = toColumns(input);
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const before = await dao.findMappingById(tenant, id);
    if (!before) throw new NotFoundError('Mapping', id);
    if (before.status === 'archived') throw new ConflictError('An archived mapping cannot be changed', { currentStatus: before.status });
    checkIncremental(
      columns.incremental === undefined ? before.incremental : columns.incremental,
      columns.field_mappings ?? before.field_mappings,
      columns.decorators ?? before.decorators,
    );
    const changes = changedColumns(before, columns);
    // Nothing to change: the mapping as it is (at a stale version, the same conflict as any update).
    if (isUnchanged(changes) && before.version === expectedVersion) return before;
    if (!isUnchanged(changes) && before.version === expectedVersion) await assertStaysValid(scope, before, changes);
    const after = isUnchanged(changes) ? undefined : await dao.updateMappingAtVersion(tenant, id, expectedVersion, changes);
    if (!after) {
      const current = await dao.findMappingById(tenant, id);
      throw new ConflictError(
        `Mapping was changed by someone else: expected version ${expectedVersion}, current version is ${current?.version ?? before.version}`,
        { currentVersion: current?.version ?? before.version },
      );
    }
    await keepMappingVersion(tenant, after, scope.actor);
    await recordAudit(platform, auditSource(scope), { action: 'mapping.update', entityType: 'Mapping', entityId: id, before: audited(before), after: audited(after) });
    return after;
  });
}

/** draft → active → archived; any other move is refused with the current status. */
export async function setMappingStatus(scope: RequestScope, id: string, status: MappingStatus): Promise<MappingRow> {
  requireRole(scope.actor, 'editor', 'change mapping status');
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const before = await dao.findMappingById(tenant, id);
    if (!before) throw new NotFoundError('Mapping', id);
    if (!TRANSITIONS[before.status].includes(status)) {
      throw new ConflictError(`A mapping cannot move from ${before.status} to ${status}`, { currentStatus: before.status });
    }
    if (status === 'active') {
      // Only a mapping that validates may be used by pipeline runs; drafts may be saved with problems.
      const { problems } = await validateRow(scope, before);
      if (problems.length) throw new ValidationError(`The mapping has ${problems.length} problem(s) and cannot be made active: ${problems[0]!.message}`, ['status'], problems);
    }
    const after = await dao.updateMappingStatus(tenant, id, before.status, status);
    if (!after) throw new ConflictError('Mapping status changed meanwhile; reload and try again', { currentStatus: before.status });
    await keepMappingVersion(tenant, after, scope.actor);
    await recordAudit(platform, auditSource(scope), { action: 'mapping.setStatus', entityType: 'Mapping', entityId: id, before: audited(before), after: audited(after) });
    return after;
  });
}

export async function deleteMapping(scope: RequestScope, id: string): Promise<MappingRow> {
  requireRole(scope.actor, 'editor', 'delete mappings');
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const before = await dao.findMappingById(tenant, id);
    if (!before) throw new NotFoundError('Mapping', id);
    await dao.deleteMapping(tenant, id);
    await recordAudit(platform, auditSource(scope), { action: 'mapping.delete', entityType: 'Mapping', entityId: id, before: audited(before) });
    return before;
  });
}
