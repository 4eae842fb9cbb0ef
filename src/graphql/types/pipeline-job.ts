import { JOB_STATUSES, JOB_TYPES } from '../../db/tables/pipeline-jobs.table.js';
import * as jobs from '../../jobs/pipeline-job.manager.js';
import { toRunMetadata, type RunMetadata } from '../../jobs/run-metadata.js';
import { upperCaseEnum } from '../enum-values.js';
import { builder } from '../builder.js';
import { connectionComplexity, idOf, scopeOf, toConnection } from '../relay.js';
import { payloadErrors } from './error.js';
import { PipelineJobConnection, PipelineJobRef, UserRef, WorkspaceRef } from './refs.js';

export const JobTypeEnum = builder.enumType('JobType', {
  description: 'What a pipeline job does.',
  values: upperCaseEnum(JOB_TYPES, {
    full_refresh: "Rebuilds the workspace's warehouse tables from all source data.",
    incremental: 'Loads only what changed in the sources since the last run. The default job type of a new workspace.',
    mapping_test: 'Runs the mappings as a dry run to check them, without writing to the warehouse.',
  }),
});
export const JobStatusEnum = builder.enumType('JobStatus', {
  description: 'Where a job is: pending → running → completed | failed; pending or running → cancelled.',
  values: upperCaseEnum(JOB_STATUSES, {
    pending: 'Queued, waiting for a runner. Every job starts here.',
    running: 'A runner is working on it since `startedAt`.',
    completed: 'Finished successfully at `completedAt`.',
    failed: 'Finished with an error; see `errorMessage`.',
    cancelled: 'Stopped by `cancelPipelineJob` before it finished; `runMetadata.cancelledBy` says who.',
  }),
});

const RunMetadataRef = builder.objectRef<RunMetadata>('RunMetadata').implement({
  description: 'What the runner reported about a job; known keys typed (null when not reported), the rest under `extra`.',
  fields: (t) => ({
    rowsProcessed: t.exposeInt('rowsProcessed', { nullable: true, description: 'Rows read and written.' }),
    rowsFailed: t.exposeInt('rowsFailed', { nullable: true, description: 'Rows that could not be loaded.' }),
    durationMs: t.exposeInt('durationMs', { nullable: true, description: 'Run time in milliseconds.' }),
    warehouseQueryId: t.exposeString('warehouseQueryId', { nullable: true, description: "The warehouse's ID of the query that ran, for its own logs." }),
    cancelledBy: t.exposeString('cancelledBy', {
      nullable: true,
      description: 'Who cancelled the job: the local UUID of a user or service account, or "system".',
    }),
    extra: t.field({
      type: 'JSONObject',
      description: 'Other reported keys as stored (also a typed key whose value does not fit its type); {} when none.',
      resolve: (m) => m.extra,
    }),
  }),
});

PipelineJobRef.implement({
  description: 'One run of a workspace pipeline, from queued to finished. Any member may read it.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    workspace: t.field({ type: WorkspaceRef, description: 'The workspace it runs for.', resolve: (j) => j.workspace_id }),
    jobType: t.field({ type: JobTypeEnum, description: 'What it does.', resolve: (j) => j.job_type }),
    status: t.field({ type: JobStatusEnum, description: 'Where it is.', resolve: (j) => j.status }),
    createdAt: t.expose('created_at', { type: 'DateTime', description: 'When it was queued. Lists are ordered by this.' }),
    startedAt: t.expose('started_at', { type: 'DateTime', nullable: true, description: 'When a runner started it; null while pending.' }),
    completedAt: t.expose('completed_at', {
      type: 'DateTime',
      nullable: true,
      description: 'When it completed, failed or was cancelled; null until then.',
    }),
    errorMessage: t.exposeString('error_message', { nullable: true, description: 'Why it failed; null unless FAILED.' }),
    runMetadata: t.field({ type: RunMetadataRef, description: 'What the runner reported.', resolve: (j) => toRunMetadata(j.run_metadata) }),
    createdBy: t.field({
      type: UserRef,
      nullable: true,
      description: 'The user who queued it; null when a service account did, or the user was removed.',
      resolve: (j) => j.created_by,
    }),
  }),
});

builder.queryFields((t) => ({
  pipelineJob: t.field({
    type: PipelineJobRef,
    nullable: true,
    description: 'A pipeline job by global ID; null when it does not exist or belongs to another organization. Any role.',
    authScopes: { authenticated: true },
    args: { id: t.arg.globalID({ required: true, description: 'Global ID of the job.' }) },
    resolve: (_root, { id }) => idOf(id, 'PipelineJob'),
  }),
  pipelineJobs: t.connection(
    {
      type: PipelineJobRef,
      description:
        'Jobs of the organization, newest first (by createdAt), at most 100 a page; the filters combine with AND. Any role. A createdAfter not before createdBefore is a VALIDATION error.',
      authScopes: { authenticated: true },
      complexity: connectionComplexity,
      args: {
        workspaceId: t.arg.globalID({ description: 'Only jobs of this workspace.' }),
        status: t.arg({ type: JobStatusEnum, description: 'Only jobs with this status.' }),
        jobType: t.arg({ type: JobTypeEnum, description: 'Only jobs of this type.' }),
        createdAfter: t.arg({ type: 'DateTime', description: 'Only jobs queued after this instant (exclusive).' }),
        createdBefore: t.arg({ type: 'DateTime', description: 'Only jobs queued before this instant (exclusive).' }),
      },
      resolve: async (_root, args, ctx) => {
        const scope = scopeOf(ctx);
        const filter = {
          workspaceId: args.workspaceId ? idOf(args.workspaceId, 'Workspace') : null,
          status: args.status,
          jobType: args.jobType,
          createdAfter: args.createdAfter,
          createdBefore: args.createdBefore,
        };
        return toConnection(await jobs.listPipelineJobs(scope, filter, args), () => jobs.countPipelineJobs(scope, filter));
      },
    },
    PipelineJobConnection,
  ),
}));

const errors = (mutation: string, job: string) => payloadErrors(mutation, { name: 'pipelineJob', description: job });

builder.mutationFields((t) => ({
  createPipelineJob: t.field({
    type: PipelineJobRef,
    description:
      'Queues a job (PENDING) for the workspace; the caller is recorded as its creator. Editors and above. Errors: NotFoundError (workspace), ForbiddenError.',
    authScopes: { editor: true },
    args: {
      workspaceId: t.arg.globalID({ required: true, description: 'Global ID of the workspace to run.' }),
      jobType: t.arg({ type: JobTypeEnum, required: true, description: 'What the job does.' }),
    },
    errors: errors('createPipelineJob', 'The queued job.'),
    resolve: (_root, { workspaceId, jobType }, ctx) =>
      jobs.createPipelineJob(scopeOf(ctx), idOf(workspaceId, 'Workspace'), jobType),
  }),
  cancelPipelineJob: t.field({
    type: PipelineJobRef,
    description:
      'Cancels a pending or running job and records who did. Editors and above. Errors: ConflictError (already finished: `currentStatus`), NotFoundError, ForbiddenError.',
    authScopes: { editor: true },
    args: { id: t.arg.globalID({ required: true, description: 'Global ID of the job.' }) },
    errors: errors('cancelPipelineJob', 'The cancelled job.'),
    resolve: (_root, { id }, ctx) => jobs.cancelPipelineJob(scopeOf(ctx), idOf(id, 'PipelineJob')),
  }),
}));
