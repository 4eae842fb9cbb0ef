import { requireRole, SYSTEM_ACTOR } from '../auth/actor.js';
import type { AppServices, RequestScope, ScheduleMessage } from '../auth/scope.js';
import { auditSource, recordAudit } from '../audit/audit.js';
import type { JobType } from '../db/tables/pipeline-jobs.table.js';
import type { WorkspaceScheduleRow } from '../db/tables/workspace-schedules.table.js';
import type { WorkspaceRow } from '../db/tables/workspaces.table.js';
import { DomainError, NotFoundError, ValidationError } from '../errors.js';
import { createPipelineJob } from '../jobs/pipeline-job.manager.js';
import type { Logger } from '../logger.js';
import { findOrganizationById } from '../organizations/organization.dao.js';
import { Tenant } from '../tenancy/tenant.js';
import { lockWorkspace } from '../workspaces/workspace.dao.js';
import { toWorkspaceSettings } from '../workspaces/workspace-settings.js';
import * as dao from './schedule.dao.js';
import { checkCron, checkTimeZone, nextRun, previousRun } from './schedule-rules.js';

export interface ScheduleInput {
  workspaceId: string;
  cron: string;
  /** Default: the workspace's `timezone` setting. */
  timeZone?: string | null;
  /** Default: the workspace's `defaultJobType` setting. */
  jobType?: JobType | null;
  /** Default: true. */
  enabled?: boolean | null;
}

const audited = (s: WorkspaceScheduleRow | undefined) => s && { cron: s.cron, time_zone: s.time_zone, job_type: s.job_type, enabled: s.enabled };

export function schedulesOfWorkspaces(scope: RequestScope, workspaceIds: readonly string[]): Promise<WorkspaceScheduleRow[]> {
  return dao.findSchedulesByWorkspaceIds(scope.tenant.db, workspaceIds);
}

/** When an enabled schedule fires next (null when disabled). */
export function nextRunAt(schedule: WorkspaceScheduleRow, now = new Date()): Date | null {
  return schedule.enabled ? nextRun(schedule.cron, schedule.time_zone, now) : null;
}

/**
 * Sets (creates or replaces) a workspace's schedule. The row users see and the
 * queue scheduler's copy are written by one transaction, so a schedule is
 * never shown that will not fire, nor fires after it was removed. A disabled
 * schedule is kept but taken out of the scheduler. A schedule whose job type
 * loads data is refused while the workspace has no warehouse.
 */
export async function setWorkspaceSchedule(scope: RequestScope, input: ScheduleInput): Promise<WorkspaceRow> {
  requireRole(scope.actor, 'editor', 'schedule jobs');
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const workspace = await lockWorkspace(tenant, input.workspaceId);
    if (!workspace) throw new NotFoundError('Workspace', input.workspaceId);
    const settings = toWorkspaceSettings(workspace.settings);
    const timeZone = checkTimeZone(input.timeZone ?? settings.timezone ?? 'UTC');
    const cron = checkCron(input.cron, timeZone);
    const jobType = input.jobType ?? settings.defaultJobType ?? 'mapping_test';
    if (jobType !== 'mapping_test' && !workspace.warehouse) {
      throw new ValidationError(`The workspace has no warehouse to load into: set one with updateWorkspace before scheduling ${jobType.toUpperCase()} jobs`, ['input', 'jobType']);
    }
    const before = await dao.findSchedule(tenant, workspace.id);
    const after = await dao.upsertSchedule(tenant, {
      workspace_id: workspace.id,
      cron,
      time_zone: timeZone,
      job_type: jobType,
      enabled: input.enabled ?? true,
      created_by: scope.actor.kind === 'user' ? scope.actor.id : null,
    });
    const message: ScheduleMessage = { organizationId: scope.tenant.organizationId, workspaceId: workspace.id };
    if (after.enabled) await scope.services.jobQueue.schedule(platform, message, { cron, timeZone });
    else await scope.services.jobQueue.unschedule(platform, message);
    await recordAudit(platform, auditSource(scope), { action: 'workspace.schedule.set', entityType: 'Workspace', entityId: workspace.id, before: audited(before), after: audited(after) });
    return workspace;
  });
}

/** Removes a workspace's schedule (refused with NotFoundError when it has none). */
export async function removeWorkspaceSchedule(scope: RequestScope, workspaceId: string): Promise<WorkspaceRow> {
  requireRole(scope.actor, 'editor', 'schedule jobs');
  return scope.tenant.transaction(async ({ platform, tenant }) => {
    const workspace = await lockWorkspace(tenant, workspaceId);
    if (!workspace) throw new NotFoundError('Workspace', workspaceId);
    const removed = await dao.deleteSchedule(tenant, workspaceId);
    if (!removed) throw new NotFoundError('WorkspaceSchedule', workspaceId);
    await scope.services.jobQueue.unschedule(platform, { organizationId: scope.tenant.organizationId, workspaceId });
    await recordAudit(platform, auditSource(scope), { action: 'workspace.schedule.remove', entityType: 'Workspace', entityId: workspaceId, before: audited(removed) });
    return workspace;
  });
}

export type TickOutcome = { outcome: 'queued'; jobId: string } | { outcome: 'skipped'; problem: string } | { outcome: 'stale' };

/**
 * One tick of a schedule, as a worker receives it from the scheduler (once per
 * tick across all workers): queues the scheduled job as the system, through
 * the same rules as any other create. A tick the rules refuse (no active
 * mapping, a run still going, the warehouse removed) queues nothing and says
 * why on the schedule (`lastProblem`). A tick for a schedule that no longer
 * exists (its organization or workspace deleted) removes the scheduler's copy.
 */
export async function runScheduleTick(services: AppServices, message: ScheduleMessage, logger: Logger): Promise<TickOutcome> {
  const db = services.system.db;
  const org = await findOrganizationById(db, message.organizationId);
  const tenant = org ? new Tenant(db, org) : null;
  const schedule = tenant ? await dao.findSchedule(tenant.db, message.workspaceId) : undefined;
  if (!tenant || !schedule) {
    await db.transaction().execute((trx) => services.jobQueue.unschedule(trx, message));
    logger.info(message, 'schedule tick for a schedule that no longer exists: removed from the scheduler');
    return { outcome: 'stale' };
  }
  if (!schedule.enabled) return { outcome: 'skipped', problem: 'disabled' };
  // The scheduler sends an occurrence up to a minute after it was due, so a schedule set just
  // after one would fire for it at once; its first tick is the first occurrence after it was set
  // (what nextRunAt showed).
  if (previousRun(schedule.cron, schedule.time_zone) < schedule.updated_at) return { outcome: 'skipped', problem: 'due before the schedule was set' };
  const scope: RequestScope = { services, actor: SYSTEM_ACTOR, requestId: null, clientAddress: null, tenant };
  try {
    const job = await createPipelineJob(scope, { workspaceId: message.workspaceId, jobType: schedule.job_type, trigger: 'schedule' });
    await dao.recordTick(tenant.db, message.workspaceId, { last_job_id: job.id, last_problem: null });
    return { outcome: 'queued', jobId: job.id };
  } catch (err) {
    if (!(err instanceof DomainError)) throw err;
    await dao.recordTick(tenant.db, message.workspaceId, { last_job_id: null, last_problem: err.message });
    logger.info({ ...message, problem: err.message }, 'schedule tick skipped');
    return { outcome: 'skipped', problem: err.message };
  }
}
