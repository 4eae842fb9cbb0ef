import type { WorkspaceScheduleRow } from '../../db/tables/workspace-schedules.table.js';
import * as schedules from '../../schedules/schedule.manager.js';
import { builder } from '../builder.js';
import { idOf, scopeOf } from '../relay.js';
import { payloadErrors } from './error.js';
import { JobTypeEnum } from './pipeline-job.js';
import { PipelineJobRef, WorkspaceRef } from './refs.js';

const WorkspaceScheduleRef = builder.objectRef<WorkspaceScheduleRow>('WorkspaceSchedule').implement({
  description:
    "When a workspace's pipeline runs by itself: a cron expression in a time zone and the job type each tick queues (for the workspace's active mappings). One worker fires each tick, whatever the number of workers.",
  fields: (t) => ({
    cron: t.exposeString('cron', { description: 'Five fields (minute hour day-of-month month day-of-week), e.g. "0 3 * * *", or a shorthand such as @daily.' }),
    timeZone: t.exposeString('time_zone', { description: 'The IANA time zone the expression is read in, e.g. Europe/Berlin.' }),
    jobType: t.field({ type: JobTypeEnum, description: 'The job type each tick queues.', resolve: (s) => s.job_type }),
    enabled: t.exposeBoolean('enabled', { description: 'False: kept, but not firing.' }),
    nextRunAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When it fires next (the scheduler checks every SCHEDULE_CHECK_SECONDS, so a run starts up to that much later); null while disabled.',
      resolve: (s) => schedules.nextRunAt(s),
    }),
    lastTickAt: t.expose('last_tick_at', { type: 'DateTime', nullable: true, description: 'When it last fired; null before its first tick.' }),
    lastJob: t.field({
      type: PipelineJobRef,
      nullable: true,
      description: 'The job its last tick queued; null before the first tick, when the last tick queued none (see lastProblem), or when that job was deleted.',
      resolve: (s) => s.last_job_id,
    }),
    lastProblem: t.exposeString('last_problem', {
      nullable: true,
      description: 'Why the last tick queued no job (e.g. a run of one of its mappings was still going, or no mapping is active); null when it queued one.',
    }),
    updatedAt: t.expose('updated_at', { type: 'DateTime', description: 'When it was last set.' }),
  }),
});

builder.objectFields(WorkspaceRef, (t) => ({
  schedule: t.field({
    type: WorkspaceScheduleRef,
    nullable: true,
    description: 'Its schedule; null when it has none (see setWorkspaceSchedule). Any role. Batched across workspaces.',
    resolve: async (w, _args, ctx) =>
      (await ctx.loaders
        .get<string, WorkspaceScheduleRow | null>('Workspace.schedule', null, async (ids) => {
          const rows = await schedules.schedulesOfWorkspaces(scopeOf(ctx), ids);
          const byWorkspace = new Map(rows.map((r) => [r.workspace_id, r]));
          return ids.map((id) => byWorkspace.get(id) ?? null);
        })
        .load(w.id)) ?? null,
  }),
}));

const SetWorkspaceScheduleInput = builder.inputType('SetWorkspaceScheduleInput', {
  description: "A workspace's schedule; replaces the one it has.",
  fields: (t) => ({
    workspaceId: t.globalID({ required: true, description: 'Global ID of the workspace.' }),
    cron: t.string({ required: true, description: 'Five fields (minute hour day-of-month month day-of-week), e.g. "*/15 * * * *", or @hourly, @daily, @weekly, @monthly, @yearly, @weekdays, @weekends. No seconds field.' }),
    timeZone: t.string({ description: "IANA time zone the expression is read in; default: the workspace's `timezone` setting." }),
    jobType: t.field({ type: JobTypeEnum, description: "The job type each tick queues; default: the workspace's `defaultJobType` setting. FULL_REFRESH and INCREMENTAL need the workspace's warehouse." }),
    enabled: t.boolean({ description: 'False keeps the schedule without firing it. Default true.' }),
  }),
});

builder.mutationFields((t) => ({
  setWorkspaceSchedule: t.field({
    type: WorkspaceRef,
    description:
      "Sets the workspace's schedule (replacing any it has): each tick queues a job of its type for the workspace's active mappings, as `createPipelineJob` would. Editors and above. Errors: ValidationError (cron expression, time zone, a loading job type without a warehouse), NotFoundError, ForbiddenError.",
    authScopes: { editor: true },
    args: { input: t.arg({ type: SetWorkspaceScheduleInput, required: true, description: 'The schedule.' }) },
    errors: payloadErrors('setWorkspaceSchedule', { name: 'workspace', description: 'The workspace, with its schedule.' }),
    resolve: (_root, { input: { workspaceId, ...input } }, ctx) => schedules.setWorkspaceSchedule(scopeOf(ctx), { ...input, workspaceId: idOf(workspaceId, 'Workspace') }),
  }),
  removeWorkspaceSchedule: t.field({
    type: WorkspaceRef,
    description: "Removes the workspace's schedule; jobs it already queued are not touched. Editors and above. Errors: NotFoundError (no such workspace, or it has no schedule), ForbiddenError.",
    authScopes: { editor: true },
    args: { workspaceId: t.arg.globalID({ required: true, description: 'Global ID of the workspace.' }) },
    errors: payloadErrors('removeWorkspaceSchedule', { name: 'workspace', description: 'The workspace, without a schedule.' }),
    resolve: (_root, { workspaceId }, ctx) => schedules.removeWorkspaceSchedule(scopeOf(ctx), idOf(workspaceId, 'Workspace')),
  }),
}));
