import { JOB_STATUSES, JOB_TYPES } from '../../db/tables/pipeline-jobs.table.js';
import * as jobs from '../../jobs/pipeline-job.manager.js';
import { toRunMetadata, type RunMetadata } from '../../jobs/run-metadata.js';
import { upperCaseEnum } from '../enum-values.js';
import { builder } from '../builder.js';
import { connectionComplexity, idOf, scopeOf, toConnection } from '../relay.js';
import { MUTATION_ERRORS } from './error.js';
import { PipelineJobConnection, PipelineJobRef, UserRef, WorkspaceRef } from './refs.js';

export const JobTypeEnum = builder.enumType('JobType', { values: upperCaseEnum(JOB_TYPES) });
export const JobStatusEnum = builder.enumType('JobStatus', {
  description: 'pending → running → completed | failed; pending or running → cancelled.',
  values: upperCaseEnum(JOB_STATUSES),
});

const RunMetadataRef = builder.objectRef<RunMetadata>('RunMetadata').implement({
  description: 'What the runner reported; known keys typed, the rest under `extra`.',
  fields: (t) => ({
    rowsProcessed: t.exposeInt('rowsProcessed', { nullable: true }),
    rowsFailed: t.exposeInt('rowsFailed', { nullable: true }),
    durationMs: t.exposeInt('durationMs', { nullable: true }),
    warehouseQueryId: t.exposeString('warehouseQueryId', { nullable: true }),
    cancelledBy: t.exposeString('cancelledBy', { nullable: true, description: 'Id of who cancelled the job.' }),
    extra: t.field({ type: 'JSONObject', resolve: (m) => m.extra }),
  }),
});

PipelineJobRef.implement({
  description: 'One run of a workspace pipeline.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    workspace: t.field({ type: WorkspaceRef, resolve: (j) => j.workspace_id }),
    jobType: t.field({ type: JobTypeEnum, resolve: (j) => j.job_type }),
    status: t.field({ type: JobStatusEnum, resolve: (j) => j.status }),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
    startedAt: t.expose('started_at', { type: 'DateTime', nullable: true }),
    completedAt: t.expose('completed_at', { type: 'DateTime', nullable: true }),
    errorMessage: t.exposeString('error_message', { nullable: true }),
    runMetadata: t.field({ type: RunMetadataRef, resolve: (j) => toRunMetadata(j.run_metadata) }),
    createdBy: t.field({ type: UserRef, nullable: true, resolve: (j) => j.created_by }),
  }),
});

builder.queryFields((t) => ({
  pipelineJob: t.field({
    type: PipelineJobRef,
    nullable: true,
    authScopes: { authenticated: true },
    args: { id: t.arg.globalID({ required: true }) },
    resolve: (_root, { id }) => idOf(id, 'PipelineJob'),
  }),
  pipelineJobs: t.connection(
    {
      type: PipelineJobRef,
      description: 'Jobs of the organization, newest first.',
      authScopes: { authenticated: true },
      complexity: connectionComplexity,
      args: {
        workspaceId: t.arg.globalID(),
        status: t.arg({ type: JobStatusEnum }),
        jobType: t.arg({ type: JobTypeEnum }),
        createdAfter: t.arg({ type: 'DateTime' }),
        createdBefore: t.arg({ type: 'DateTime' }),
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

const errors = { types: MUTATION_ERRORS, dataField: { name: 'pipelineJob' } };

builder.mutationFields((t) => ({
  createPipelineJob: t.field({
    type: PipelineJobRef,
    description: 'Queues a job (pending) for the workspace.',
    authScopes: { editor: true },
    args: { workspaceId: t.arg.globalID({ required: true }), jobType: t.arg({ type: JobTypeEnum, required: true }) },
    errors,
    resolve: (_root, { workspaceId, jobType }, ctx) =>
      jobs.createPipelineJob(scopeOf(ctx), idOf(workspaceId, 'Workspace'), jobType),
  }),
  cancelPipelineJob: t.field({
    type: PipelineJobRef,
    description: 'Cancels a pending or running job; a finished one is a ConflictError.',
    authScopes: { editor: true },
    args: { id: t.arg.globalID({ required: true }) },
    errors,
    resolve: (_root, { id }, ctx) => jobs.cancelPipelineJob(scopeOf(ctx), idOf(id, 'PipelineJob')),
  }),
}));
