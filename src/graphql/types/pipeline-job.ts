import DataLoader from 'dataloader';
import type { PipelineJobAttemptRow } from '../../db/tables/pipeline-job-attempts.table.js';
import { LOG_LEVELS, type PipelineJobLogRow } from '../../db/tables/pipeline-job-logs.table.js';
import { JOB_STATUSES, JOB_TYPES, type PipelineJobRow, type StoredFailure } from '../../db/tables/pipeline-jobs.table.js';
import * as jobs from '../../jobs/pipeline-job.manager.js';
import { toRunMetadata, type RunMetadata } from '../../jobs/run-metadata.js';
import { upperCaseEnum } from '../enum-values.js';
import { builder } from '../builder.js';
import { connectionComplexity, idOf, listPageArgs, scopeOf, toConnection, type FieldColumns } from '../relay.js';
import { payloadErrors } from './error.js';
import { MappingRef, PipelineJobConnection, PipelineJobRef, UserRef, WorkspaceRef } from './refs.js';

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
    triggeredBy: t.exposeString('triggeredBy', {
      nullable: true,
      description: 'What queued the job when nobody asked for it directly: "schedule" for a tick of the workspace schedule; null otherwise.',
    }),
    extra: t.field({
      type: 'JSONObject',
      description: 'Other reported keys as stored (also a typed key whose value does not fit its type); {} when none.',
      resolve: (m) => m.extra,
    }),
  }),
});

export const FailureOriginEnum = builder.enumType('FailureOrigin', {
  description: 'Which side a failure came from.',
  values: upperCaseEnum(['source', 'warehouse', 'mapping', 'platform'] as const, {
    source: 'The data source: its connection, permissions or data.',
    warehouse: 'The target warehouse.',
    mapping: 'The mapping itself: its SQL does not compile, or its result lacks columns.',
    platform: 'Datalinx: a worker lost, a bug, a cancellation.',
  }),
});
export const FailureTypeEnum = builder.enumType('FailureType', {
  description: 'What kind of failure it was.',
  values: upperCaseEnum(['config_error', 'system_error', 'transient_error', 'cancelled', 'worker_lost', 'timeout'] as const, {
    config_error: 'Settings or SQL that will fail the same way again until changed (bad credentials, missing table, unsupported target).',
    system_error: 'An unexpected error inside the worker.',
    transient_error: 'A passing problem (connection refused or reset, deadlock); retried with backoff.',
    cancelled: 'Cancelled by a user.',
    worker_lost: 'The worker running it stopped answering (killed, crashed); retried.',
    timeout: 'A statement or the whole attempt ran past its time limit.',
  }),
});
export const LogLevelEnum = builder.enumType('LogLevel', {
  description: 'How important a log line is.',
  values: upperCaseEnum(LOG_LEVELS, { debug: 'Detail.', info: 'Progress.', warn: 'Something to look at.', error: 'A failure.' }),
});

const JobFailureRef = builder.objectRef<StoredFailure>('JobFailure').implement({
  description: 'A typed failure of a job or of one attempt. Its message never holds a secret.',
  fields: (t) => ({
    origin: t.field({ type: FailureOriginEnum, description: 'Where it came from.', resolve: (f) => f.origin }),
    type: t.field({ type: FailureTypeEnum, description: 'What kind it was.', resolve: (f) => f.type }),
    retryable: t.exposeBoolean('retryable', { description: 'Whether trying again may succeed (the worker retries these itself, up to its limit).' }),
    message: t.exposeString('message', { description: 'What happened, for people; at most 500 characters.' }),
  }),
});

const AttemptRef = builder.objectRef<PipelineJobAttemptRow>('PipelineJobAttempt').implement({
  description: 'One execution of a job by a worker.',
  fields: (t) => ({
    number: t.exposeInt('number', { description: '1 for the first attempt, then 2, 3 …' }),
    worker: t.exposeString('worker', { description: 'The worker that ran it (host and process id).' }),
    startedAt: t.expose('started_at', { type: 'DateTime', description: 'When the worker started it.' }),
    endedAt: t.expose('ended_at', { type: 'DateTime', nullable: true, description: 'When it ended; null while it runs.' }),
    failure: t.field({ type: JobFailureRef, nullable: true, description: 'Why it failed; null when it succeeded, runs, or was handed back.', resolve: (a) => a.failure }),
  }),
});

const LogLineRef = builder.objectRef<PipelineJobLogRow>('PipelineJobLogLine').implement({
  description: 'One line of a job log. Never holds a secret.',
  fields: (t) => ({
    level: t.field({ type: LogLevelEnum, description: 'How important it is.', resolve: (l) => l.level }),
    time: t.expose('created_at', { type: 'DateTime', description: 'When it was written.' }),
    message: t.exposeString('message', { description: 'What happened.' }),
    mapping: t.field({ type: MappingRef, nullable: true, description: 'The mapping it is about; null for the whole job.', resolve: (l) => l.mapping_id }),
  }),
});

// One statement for the attempts of every job in a response.
const attemptLoaders = new WeakMap<object, DataLoader<string, PipelineJobAttemptRow[]>>();
function attemptLoader(ctx: object) {
  let loader = attemptLoaders.get(ctx);
  if (!loader) {
    loader = new DataLoader(async (ids: readonly string[]) => {
      const rows = await jobs.attemptsOfJobs(scopeOf(ctx as never), ids);
      return ids.map((id) => rows.filter((r) => r.job_id === id));
    });
    attemptLoaders.set(ctx, loader);
  }
  return loader;
}

/** The columns each PipelineJob field below reads: lists read only those their nodes show (FieldColumns). */
export const JOB_FIELD_COLUMNS: FieldColumns<PipelineJobRow> = {
  id: ['id'],
  workspace: ['workspace_id'],
  jobType: ['job_type'],
  status: ['status'],
  createdAt: ['created_at'],
  startedAt: ['started_at'],
  completedAt: ['completed_at'],
  errorMessage: ['error_message'],
  runMetadata: ['run_metadata'],
  progress: ['progress'],
  failure: ['failure'],
  mappings: ['mapping_ids'],
  retryOf: ['retry_of'],
  attempts: ['id'],
  logs: ['id'],
  createdBy: ['created_by'],
};

PipelineJobRef.implement({
  description: 'One run of a workspace pipeline, from queued to finished. Any member may read it.',
  fields: (t) => ({
    workspace: t.field({ type: WorkspaceRef, description: 'The workspace it runs for.', resolve: (j) => j.workspace_id }),
    jobType: t.expose('job_type', { type: JobTypeEnum, description: 'What it does.' }),
    status: t.expose('status', { type: JobStatusEnum, description: 'Where it is.' }),
    createdAt: t.expose('created_at', { type: 'DateTime', description: 'When it was queued. Lists are ordered by this.' }),
    startedAt: t.expose('started_at', { type: 'DateTime', nullable: true, description: 'When a runner started it; null while pending.' }),
    completedAt: t.expose('completed_at', {
      type: 'DateTime',
      nullable: true,
      description: 'When it completed, failed or was cancelled; null until then.',
    }),
    errorMessage: t.exposeString('error_message', { nullable: true, description: 'Why it failed; null unless FAILED.' }),
    runMetadata: t.field({ type: RunMetadataRef, description: 'What the runner reported.', resolve: (j) => toRunMetadata(j.run_metadata) }),
    progress: t.exposeInt('progress', { description: 'How far the run is, 0–100 (percent of its mappings done); 100 once completed.' }),
    failure: t.field({
      type: JobFailureRef,
      nullable: true,
      description: 'Why it failed or was cancelled, typed; null otherwise.',
      resolve: (j) => j.failure,
    }),
    mappings: t.field({
      type: [MappingRef],
      description: 'The mappings it runs (chosen when it was queued); a mapping deleted since is left out.',
      resolve: (j) => j.mapping_ids,
    }),
    retryOf: t.field({
      type: PipelineJobRef,
      nullable: true,
      description: 'The failed or cancelled job this one retries (`retryPipelineJob`); null for a first run.',
      resolve: (j) => j.retry_of,
    }),
    attempts: t.field({
      type: [AttemptRef],
      description: 'Each execution by a worker, first to last; empty while it waits for its first.',
      resolve: (j, _args, ctx) => attemptLoader(ctx).load(j.id),
    }),
    logs: t.connection(
      {
        type: LogLineRef,
        description: 'Its log lines, newest first, at most 100 a page.',
        complexity: connectionComplexity,
        resolve: async (j, args, ctx) => toConnection(await jobs.logsOfJob(scopeOf(ctx), j.id, args), () => Promise.resolve(0)),
      },
      { name: 'PipelineJobLogConnection', description: 'A page of log lines, newest first.' },
      { name: 'PipelineJobLogEdge', description: 'A log line in a page, with its cursor.' },
    ),
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
      resolve: async (_root, args, ctx, info) => {
        const scope = scopeOf(ctx);
        const filter = {
          workspaceId: args.workspaceId ? idOf(args.workspaceId, 'Workspace') : null,
          status: args.status,
          jobType: args.jobType,
          createdAfter: args.createdAfter,
          createdBefore: args.createdBefore,
        };
        const page = await jobs.listPipelineJobs(scope, filter, listPageArgs(info, args, JOB_FIELD_COLUMNS));
        return toConnection(page, () => jobs.countPipelineJobs(scope, filter));
      },
    },
    PipelineJobConnection,
  ),
}));

const CreatePipelineJobInput = builder.inputType('CreatePipelineJobInput', {
  description: 'A run to queue.',
  fields: (t) => ({
    workspaceId: t.globalID({ required: true, description: 'Global ID of the workspace to run.' }),
    jobType: t.field({ type: JobTypeEnum, required: true, description: 'What the job does.' }),
    mappingIds: t.globalIDList({ description: 'Global IDs of the (active) mappings to run; default every active mapping of the workspace.' }),
  }),
});

const errors = (mutation: string, job: string) => payloadErrors(mutation, { name: 'pipelineJob', description: job });

builder.mutationFields((t) => ({
  createPipelineJob: t.field({
    type: PipelineJobRef,
    description:
      "Queues a job (PENDING) for the workspace's active mappings (or those named); a worker runs it. Editors and above. Errors: ValidationError (no active mapping to run; a named mapping not active), ConflictError (a named or active mapping already has a PENDING or RUNNING job: `mappingId`, `jobId`), NotFoundError (workspace or mapping), ForbiddenError.",
    authScopes: { editor: true },
    args: { input: t.arg({ type: CreatePipelineJobInput, required: true, description: 'What to run.' }) },
    errors: errors('createPipelineJob', 'The queued job.'),
    resolve: (_root, { input }, ctx) =>
      jobs.createPipelineJob(scopeOf(ctx), {
        workspaceId: idOf(input.workspaceId, 'Workspace'),
        jobType: input.jobType,
        mappingIds: input.mappingIds?.map((m) => idOf(m, 'Mapping')) ?? null,
      }),
  }),
  retryPipelineJob: t.field({
    type: PipelineJobRef,
    description:
      'Starts a new job with the workspace, type and mappings of a FAILED or CANCELLED one, linked to it by `retryOf`. Editors and above. Errors: ConflictError (the job is not failed or cancelled: `currentStatus`; or a mapping is busy: `mappingId`), ValidationError, NotFoundError, ForbiddenError.',
    authScopes: { editor: true },
    args: { id: t.arg.globalID({ required: true, description: 'Global ID of the failed or cancelled job.' }) },
    errors: errors('retryPipelineJob', 'The new job.'),
    resolve: (_root, { id }, ctx) => jobs.retryPipelineJob(scopeOf(ctx), idOf(id, 'PipelineJob')),
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
