import { requireRole } from '../auth/actor.js';
import type { RequestScope } from '../auth/scope.js';
import { auditSource as source, recordAudit } from '../audit/audit.js';
import { changedColumns, isUnchanged } from '../db/changes.js';
import type { Page, PageArgs } from '../db/pagination.js';
import type { WorkspaceRow, WorkspaceUpdate } from '../db/tables/workspaces.table.js';
import { ConflictError, NotFoundError } from '../errors.js';
import { checkName } from '../validation.js';
import * as dao from './workspace.dao.js';
import { DEFAULT_WORKSPACE_SETTINGS, mergeWorkspaceSettings, toWorkspaceSettings, type WorkspaceSettingsInput } from './workspace-settings.js';

export interface WorkspaceInput {
  name?: string | null;
  description?: string | null;
  targetSchemaId?: string | null;
  githubRepoUrl?: string | null;
  repoSubdirectory?: string | null;
  settings?: WorkspaceSettingsInput | null;
}

const audited = (w: WorkspaceRow | undefined) =>
  w && { name: w.name, description: w.description, target_schema_id: w.target_schema_id, github_repo_url: w.github_repo_url, repo_subdirectory: w.repo_subdirectory, settings: w.settings };

const checkWorkspaceName = (name: string) => checkName(name, 'Workspace name', ['input', 'name']);

function toColumns(input: WorkspaceInput) {
  return {
    name: input.name == null ? undefined : checkWorkspaceName(input.name),
    description: input.description,
    target_schema_id: input.targetSchemaId,
    github_repo_url: input.githubRepoUrl,
    repo_subdirectory: input.repoSubdirectory,
  };
}

export function findWorkspacesByIds(scope: RequestScope, ids: readonly string[]): Promise<WorkspaceRow[]> {
  return dao.findWorkspacesByIds(scope.tenant.db, ids);
}

export function listWorkspaces(scope: RequestScope, args: PageArgs): Promise<Page<WorkspaceRow>> {
  return dao.listWorkspaces(scope.tenant.db, args);
}

export function countWorkspaces(scope: RequestScope): Promise<number> {
  return dao.countWorkspaces(scope.tenant.db);
}

/** A new workspace starts with the default settings, overridden by any given. */
export async function createWorkspace(scope: RequestScope, input: WorkspaceInput & { name: string }): Promise<WorkspaceRow> {
  requireRole(scope.actor, 'editor', 'create workspaces');
  const settings = mergeWorkspaceSettings(DEFAULT_WORKSPACE_SETTINGS, input.settings ?? {});
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const row = await dao.insertWorkspace(tenant, { ...toColumns(input), name: checkWorkspaceName(input.name), settings });
    await recordAudit(platform, source(scope), { action: 'workspace.create', entityType: 'Workspace', entityId: row.id, after: audited(row) });
    return row;
  });
}

/**
 * Columns a higher layer owns (the warehouse, src/warehouses), changed in the
 * same transaction and audit entry as the rest of an update.
 */
export interface WorkspaceExtension {
  /** The columns to set, from the locked row as it is. */
  columns(before: WorkspaceRow): Pick<WorkspaceUpdate, 'warehouse'>;
  /** What the audit entry shows of those columns (no secrets). */
  audited(row: WorkspaceRow): Record<string, unknown>;
}

export async function updateWorkspace(scope: RequestScope, id: string, input: WorkspaceInput, extension?: WorkspaceExtension): Promise<WorkspaceRow> {
  requireRole(scope.actor, 'editor', 'change workspaces');
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const before = await dao.lockWorkspace(tenant, id);
    if (!before) throw new NotFoundError('Workspace', id);
    const settings = input.settings ? mergeWorkspaceSettings(toWorkspaceSettings(before.settings), input.settings) : undefined;
    const changes = changedColumns(before, { ...toColumns(input), settings, ...extension?.columns(before) });
    if (isUnchanged(changes)) return before;
    const after = await dao.updateWorkspace(tenant, id, changes);
    const auditedWith = (w: WorkspaceRow) => ({ ...audited(w), ...extension?.audited(w) });
    await recordAudit(platform, source(scope), { action: 'workspace.update', entityType: 'Workspace', entityId: id, before: auditedWith(before), after: auditedWith(after!) });
    return after!;
  });
}

/**
 * Deletes a workspace with its schedule, data sources, mappings and job history, in one
 * transaction; refused while one of its jobs is pending or running. The row
 * lock makes a job created concurrently wait, then fail on the missing workspace.
 */
export async function deleteWorkspace(scope: RequestScope, id: string): Promise<WorkspaceRow> {
  requireRole(scope.actor, 'editor', 'delete workspaces');
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const row = await dao.lockWorkspace(tenant, id);
    if (!row) throw new NotFoundError('Workspace', id);
    const active = await dao.countActiveJobsOfWorkspace(tenant, id);
    if (active > 0) {
      throw new ConflictError(`Workspace has ${active} pending or running job(s); cancel them or wait for them to finish`, { activeJobs: active });
    }
    const { hadSchedule } = await dao.deleteWorkspaceWithContents(tenant, id);
    if (hadSchedule) await scope.services.jobQueue.unschedule(platform, { organizationId: scope.tenant.organizationId, workspaceId: id });
    await recordAudit(platform, source(scope), { action: 'workspace.delete', entityType: 'Workspace', entityId: id, before: audited(row) });
    return row;
  });
}
