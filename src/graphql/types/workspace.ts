import { z } from 'zod';
import * as dataSources from '../../data-sources/data-source.manager.js';
import * as jobs from '../../jobs/pipeline-job.manager.js';
import * as mappings from '../../mappings/mapping.manager.js';
import * as warehouses from '../../warehouses/warehouse.manager.js';
import * as workspaces from '../../workspaces/workspace.manager.js';
import { toWorkspaceSettings, type WorkspaceSettings } from '../../workspaces/workspace-settings.js';
import { builder, type SchemaTypes } from '../builder.js';
import type { WorkspaceRow } from '../../db/tables/workspaces.table.js';
import { connectionComplexity, idOf, listPageArgs, nestedConnection, scopeOf, toConnection, type FieldColumns } from '../relay.js';
import { payloadErrors } from './error.js';
import { DATA_SOURCE_FIELD_COLUMNS } from './data-source.js';
import { JOB_FIELD_COLUMNS, JobStatusEnum, JobTypeEnum } from './pipeline-job.js';
import { MAPPING_FIELD_COLUMNS, MappingStatusEnum } from './mapping.js';
import { WarehouseInput } from './workspace-warehouse.js';
import {
  DataSourceConnection,
  DataSourceRef,
  MappingConnection,
  MappingRef,
  PipelineJobConnection,
  PipelineJobRef,
  WorkspaceConnection,
  WorkspaceRef,
} from './refs.js';

const WorkspaceSettingsRef = builder.objectRef<WorkspaceSettings>('WorkspaceSettings').implement({
  description:
    'Workspace settings: the known keys typed (null when not stored), any others under `extra`. A new workspace starts with timezone UTC, defaultJobType INCREMENTAL, retentionDays 30 and no notificationEmails.',
  fields: (t) => ({
    timezone: t.exposeString('timezone', { nullable: true, description: 'IANA time zone for schedules, e.g. Europe/Berlin.' }),
    defaultJobType: t.field({
      type: JobTypeEnum,
      nullable: true,
      description: 'Job type for runs that do not choose one (schedules, the app); `createPipelineJob` itself always takes a jobType.',
      resolve: (s) => s.defaultJobType ?? null,
    }),
    retentionDays: t.exposeInt('retentionDays', { nullable: true, description: 'How long job history is kept, in days (1–3650).' }),
    notificationEmails: t.exposeStringList('notificationEmails', { nullable: true, description: 'Addresses told about job outcomes (at most 50).' }),
    extra: t.field({ type: 'JSONObject', description: 'Stored keys this API does not type, as given; {} when none.', resolve: (s) => s.extra }),
  }),
});

export const WorkspaceSettingsInput = builder.inputType('WorkspaceSettingsInput', {
  description: 'Settings to change; keys left out or null keep their stored (or default) value.',
  fields: (t) => ({
    timezone: t.string({ description: 'IANA time zone such as Europe/Berlin, at most 64 characters.' }),
    defaultJobType: t.field({ type: JobTypeEnum, description: 'Job type for runs that do not choose one.' }),
    retentionDays: t.int({ description: 'Days of job history to keep, 1–3650.' }),
    notificationEmails: t.stringList({ description: 'Valid email addresses, at most 50; replaces the stored list.' }),
    extra: t.field({ type: 'JSONObject', description: 'Other keys, kept as given; replaces the stored ones and may not repeat a typed key.' }),
  }),
});

type InputFields = PothosSchemaTypes.InputFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<SchemaTypes>, 'InputObject'>;

const url = z.url({ protocol: /^https?$/ }).max(500);

const workspaceFields = (t: InputFields) => ({
  description: t.string({ validate: z.string().max(10_000), description: 'Free text, at most 10,000 characters.' }),
  targetSchemaId: t.id({ validate: z.uuid(), description: 'UUID of the warehouse target schema the workspace writes to.' }),
  githubRepoUrl: t.string({ validate: url, description: 'http(s) URL of the Git repository holding its project files, at most 500 characters.' }),
  repoSubdirectory: t.string({ validate: z.string().max(255), description: 'Folder within that repository, at most 255 characters.' }),
  settings: t.field({ type: WorkspaceSettingsInput, description: 'Settings to set; the others keep their value.' }),
});

const CreateWorkspaceInput = builder.inputType('CreateWorkspaceInput', {
  description: 'A new workspace; settings not given take the defaults.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Display name, 1–255 characters after trimming.' }),
    ...workspaceFields(t),
  }),
});

const UpdateWorkspaceInput = builder.inputType('UpdateWorkspaceInput', {
  description: 'Changes to a workspace; omitted fields stay as they are.',
  fields: (t) => ({
    id: t.globalID({ required: true, description: 'Global ID of the workspace.' }),
    name: t.string({ description: 'New display name, 1–255 characters after trimming.' }),
    ...workspaceFields(t),
    warehouse: t.field({ type: WarehouseInput, description: 'The target warehouse: replaces the stored one; null removes it; left out keeps it.' }),
  }),
});

/** The columns each Workspace field below reads: lists read only those their nodes show (FieldColumns). */
export const WORKSPACE_FIELD_COLUMNS: FieldColumns<WorkspaceRow> = {
  id: ['id'],
  name: ['name'],
  description: ['description'],
  targetSchemaId: ['target_schema_id'],
  githubRepoUrl: ['github_repo_url'],
  repoSubdirectory: ['repo_subdirectory'],
  createdAt: ['created_at'],
  updatedAt: ['updated_at'],
  settings: ['settings'],
  dataSources: ['id'],
  mappings: ['id'],
  pipelineJobs: ['id'],
};

WorkspaceRef.implement({
  description: 'A workspace groups the data sources, mappings and pipeline jobs of one integration project. Any member may read it.',
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name.' }),
    description: t.exposeString('description', { nullable: true, description: 'Free text; null when not set.' }),
    targetSchemaId: t.exposeID('target_schema_id', { nullable: true, description: 'UUID of the warehouse target schema it writes to; null when not set.' }),
    githubRepoUrl: t.exposeString('github_repo_url', { nullable: true, description: 'URL of the Git repository holding its project files; null when not set.' }),
    repoSubdirectory: t.exposeString('repo_subdirectory', { nullable: true, description: 'Folder within that repository; null for its root.' }),
    createdAt: t.expose('created_at', { type: 'DateTime', description: 'When the workspace was created.' }),
    updatedAt: t.expose('updated_at', { type: 'DateTime', description: 'When it last changed.' }),
    settings: t.field({ type: WorkspaceSettingsRef, description: 'Its settings.', resolve: (w) => toWorkspaceSettings(w.settings) }),
    dataSources: t.connection(
      {
        type: DataSourceRef,
        description: 'Its data sources, newest first. Batched: one query serves this field for every workspace in the response.',
        args: { isActive: t.arg.boolean({ description: 'Only active (true) or only deactivated (false) sources; both when left out.' }) },
        complexity: connectionComplexity,
        resolve: (w, args, ctx, info) =>
          nestedConnection(
            ctx,
            info,
            'Workspace.dataSources',
            w.id,
            { isActive: args.isActive },
            args,
            dataSources.dataSourcePagesByWorkspace,
            dataSources.dataSourceCountsByWorkspace,
            DATA_SOURCE_FIELD_COLUMNS,
          ),
      },
      DataSourceConnection,
    ),
    mappings: t.connection(
      {
        type: MappingRef,
        description: 'Its mappings, newest first. Batched across workspaces like `dataSources`.',
        args: { status: t.arg({ type: MappingStatusEnum, description: 'Only mappings with this status.' }) },
        complexity: connectionComplexity,
        resolve: (w, args, ctx, info) =>
          nestedConnection(
            ctx,
            info,
            'Workspace.mappings',
            w.id,
            { status: args.status },
            args,
            mappings.mappingPagesByWorkspace,
            mappings.mappingCountsByWorkspace,
            MAPPING_FIELD_COLUMNS,
          ),
      },
      MappingConnection,
    ),
    pipelineJobs: t.connection(
      {
        type: PipelineJobRef,
        description: 'Its pipeline jobs, newest first. Batched across workspaces like `dataSources`.',
        args: {
          status: t.arg({ type: JobStatusEnum, description: 'Only jobs with this status.' }),
          jobType: t.arg({ type: JobTypeEnum, description: 'Only jobs of this type.' }),
        },
        complexity: connectionComplexity,
        resolve: (w, args, ctx, info) =>
          nestedConnection(
            ctx,
            info,
            'Workspace.pipelineJobs',
            w.id,
            { status: args.status, jobType: args.jobType },
            args,
            jobs.jobPagesByWorkspace,
            jobs.jobCountsByWorkspace,
            JOB_FIELD_COLUMNS,
          ),
      },
      PipelineJobConnection,
    ),
  }),
});

builder.queryFields((t) => ({
  workspace: t.field({
    type: WorkspaceRef,
    nullable: true,
    description: 'A workspace by global ID; null when it does not exist or belongs to another organization. Any role.',
    authScopes: { authenticated: true },
    args: { id: t.arg.globalID({ required: true, description: 'Global ID of the workspace.' }) },
    resolve: (_root, { id }) => idOf(id, 'Workspace'),
  }),
  workspaces: t.connection(
    {
      type: WorkspaceRef,
      description: "The organization's workspaces, newest first, at most 100 a page. Any role.",
      authScopes: { authenticated: true },
      complexity: connectionComplexity,
      resolve: async (_root, args, ctx, info) => {
        const scope = scopeOf(ctx);
        const page = await workspaces.listWorkspaces(scope, listPageArgs(info, args, WORKSPACE_FIELD_COLUMNS));
        return toConnection(page, () => workspaces.countWorkspaces(scope));
      },
    },
    WorkspaceConnection,
  ),
}));

builder.mutationFields((t) => ({
  createWorkspace: t.field({
    type: WorkspaceRef,
    description: 'Creates a workspace with the default settings, overridden by any given. Editors and above. Errors: ValidationError, ForbiddenError.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: CreateWorkspaceInput, required: true, description: 'The new workspace.' }) },
    errors: payloadErrors('createWorkspace', { name: 'workspace', description: 'The new workspace.' }),
    resolve: (_root, { input }, ctx) => workspaces.createWorkspace(scopeOf(ctx), input),
  }),
  updateWorkspace: t.field({
    type: WorkspaceRef,
    description:
      'Changes a workspace; settings given are merged into the stored ones; `warehouse` replaces (or, null, removes) its target warehouse. Editors and above. Errors: ValidationError, NotFoundError, ForbiddenError.',
    authScopes: { editor: true },
    args: { input: t.arg({ type: UpdateWorkspaceInput, required: true, description: 'What to change.' }) },
    errors: payloadErrors('updateWorkspace', { name: 'workspace', description: 'The workspace as changed.' }),
    resolve: (_root, { input: { id, ...input } }, ctx) => warehouses.updateWorkspace(scopeOf(ctx), idOf(id, 'Workspace'), input),
  }),
  deleteWorkspace: t.field({
    type: WorkspaceRef,
    description:
      'Deletes the workspace with its data sources, mappings and job history, in one transaction. Editors and above. Errors: ConflictError (a job is pending or running: cancel it or wait), NotFoundError, ForbiddenError.',
    authScopes: { editor: true },
    args: { id: t.arg.globalID({ required: true, description: 'Global ID of the workspace.' }) },
    errors: payloadErrors('deleteWorkspace', { name: 'workspace', description: 'The workspace as it was before deletion.' }),
    resolve: (_root, { id }, ctx) => workspaces.deleteWorkspace(scopeOf(ctx), idOf(id, 'Workspace')),
  }),
}));
