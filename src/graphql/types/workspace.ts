import { z } from 'zod';
import * as dataSources from '../../data-sources/data-source.manager.js';
import * as jobs from '../../jobs/pipeline-job.manager.js';
import * as mappings from '../../mappings/mapping.manager.js';
import * as workspaces from '../../workspaces/workspace.manager.js';
import { toWorkspaceSettings, type WorkspaceSettings } from '../../workspaces/workspace-settings.js';
import { builder, type SchemaTypes } from '../builder.js';
import { connectionComplexity, idOf, nestedConnection, scopeOf, toConnection } from '../relay.js';
import { MUTATION_ERRORS } from './error.js';
import { JobStatusEnum, JobTypeEnum } from './pipeline-job.js';
import { MappingStatusEnum } from './mapping.js';
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
  description: 'Workspace settings: the known keys typed, any others under `extra`.',
  fields: (t) => ({
    timezone: t.exposeString('timezone', { nullable: true, description: 'IANA time zone for schedules, e.g. Europe/Berlin.' }),
    defaultJobType: t.field({ type: JobTypeEnum, nullable: true, resolve: (s) => s.defaultJobType ?? null }),
    retentionDays: t.exposeInt('retentionDays', { nullable: true, description: 'How long job history is kept.' }),
    notificationEmails: t.exposeStringList('notificationEmails', { nullable: true }),
    extra: t.field({ type: 'JSONObject', resolve: (s) => s.extra }),
  }),
});

export const WorkspaceSettingsInput = builder.inputType('WorkspaceSettingsInput', {
  fields: (t) => ({
    timezone: t.string(),
    defaultJobType: t.field({ type: JobTypeEnum }),
    retentionDays: t.int(),
    notificationEmails: t.stringList(),
    extra: t.field({ type: 'JSONObject', description: 'Other keys, kept as given.' }),
  }),
});

type InputFields = PothosSchemaTypes.InputFieldBuilder<PothosSchemaTypes.ExtendDefaultTypes<SchemaTypes>, 'InputObject'>;

const url = z.url({ protocol: /^https?$/ }).max(500);

const workspaceFields = (t: InputFields) => ({
  description: t.string({ validate: z.string().max(10_000) }),
  targetSchemaId: t.id({ validate: z.uuid() }),
  githubRepoUrl: t.string({ validate: url }),
  repoSubdirectory: t.string({ validate: z.string().max(255) }),
  settings: t.field({ type: WorkspaceSettingsInput }),
});

const CreateWorkspaceInput = builder.inputType('CreateWorkspaceInput', {
  fields: (t) => ({ name: t.string({ required: true }), ...workspaceFields(t) }),
});

const UpdateWorkspaceInput = builder.inputType('UpdateWorkspaceInput', {
  fields: (t) => ({
    id: t.globalID({ required: true }),
    name: t.string(),
    ...workspaceFields(t),
  }),
});

WorkspaceRef.implement({
  description: 'A workspace groups the data sources, mappings and pipeline jobs of one integration project.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString('name'),
    description: t.exposeString('description', { nullable: true }),
    targetSchemaId: t.exposeID('target_schema_id', { nullable: true }),
    githubRepoUrl: t.exposeString('github_repo_url', { nullable: true }),
    repoSubdirectory: t.exposeString('repo_subdirectory', { nullable: true }),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
    updatedAt: t.expose('updated_at', { type: 'DateTime' }),
    settings: t.field({ type: WorkspaceSettingsRef, resolve: (w) => toWorkspaceSettings(w.settings) }),
    dataSources: t.connection(
      {
        type: DataSourceRef,
        args: { isActive: t.arg.boolean() },
        complexity: connectionComplexity,
        resolve: (w, args, ctx) =>
          nestedConnection(ctx, 'Workspace.dataSources', w.id, { isActive: args.isActive }, args, dataSources.dataSourcePagesByWorkspace, dataSources.dataSourceCountsByWorkspace),
      },
      DataSourceConnection,
    ),
    mappings: t.connection(
      {
        type: MappingRef,
        args: { status: t.arg({ type: MappingStatusEnum }) },
        complexity: connectionComplexity,
        resolve: (w, args, ctx) =>
          nestedConnection(ctx, 'Workspace.mappings', w.id, { status: args.status }, args, mappings.mappingPagesByWorkspace, mappings.mappingCountsByWorkspace),
      },
      MappingConnection,
    ),
    pipelineJobs: t.connection(
      {
        type: PipelineJobRef,
        description: 'Newest first.',
        args: { status: t.arg({ type: JobStatusEnum }), jobType: t.arg({ type: JobTypeEnum }) },
        complexity: connectionComplexity,
        resolve: (w, args, ctx) =>
          nestedConnection(ctx, 'Workspace.pipelineJobs', w.id, { status: args.status, jobType: args.jobType }, args, jobs.jobPagesByWorkspace, jobs.jobCountsByWorkspace),
      },
      PipelineJobConnection,
    ),
  }),
});

builder.queryFields((t) => ({
  workspace: t.field({
    type: WorkspaceRef,
    nullable: true,
    authScopes: { authenticated: true },
    args: { id: t.arg.globalID({ required: true }) },
    resolve: (_root, { id }) => idOf(id, 'Workspace'),
  }),
  workspaces: t.connection(
    {
      type: WorkspaceRef,
      authScopes: { authenticated: true },
      complexity: connectionComplexity,
      resolve: async (_root, args, ctx) => {
        const scope = scopeOf(ctx);
        return toConnection(await workspaces.listWorkspaces(scope, args), () => workspaces.countWorkspaces(scope));
      },
    },
    WorkspaceConnection,
  ),
}));

builder.mutationFields((t) => ({
  createWorkspace: t.field({
    type: WorkspaceRef,
    authScopes: { editor: true },
    args: { input: t.arg({ type: CreateWorkspaceInput, required: true }) },
    errors: { types: MUTATION_ERRORS, dataField: { name: 'workspace' } },
    resolve: (_root, { input }, ctx) => workspaces.createWorkspace(scopeOf(ctx), input),
  }),
  updateWorkspace: t.field({
    type: WorkspaceRef,
    authScopes: { editor: true },
    args: { input: t.arg({ type: UpdateWorkspaceInput, required: true }) },
    errors: { types: MUTATION_ERRORS, dataField: { name: 'workspace' } },
    resolve: (_root, { input: { id, ...input } }, ctx) => workspaces.updateWorkspace(scopeOf(ctx), idOf(id, 'Workspace'), input),
  }),
  deleteWorkspace: t.field({
    type: WorkspaceRef,
    description: 'Deletes the workspace with its data sources, mappings and job history; refused while a job is pending or running.',
    authScopes: { editor: true },
    args: { id: t.arg.globalID({ required: true }) },
    errors: { types: MUTATION_ERRORS, dataField: { name: 'workspace' } },
    resolve: (_root, { id }, ctx) => workspaces.deleteWorkspace(scopeOf(ctx), idOf(id, 'Workspace')),
  }),
}));
