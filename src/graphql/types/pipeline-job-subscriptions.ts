import type { PipelineJobRow } from '../../db/tables/pipeline-jobs.table.js';
import { ValidationError } from '../../errors.js';
import * as live from '../../live/job-watch.manager.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { idOf, scopeOf } from '../relay.js';
import { PipelineJobRef } from './refs.js';

/** The job events of a WebSocket connection; HTTP requests have none (and refuse subscriptions at validation). */
function jobEventsOf(ctx: GraphQLContext) {
  if (!ctx.jobEvents) throw new ValidationError('Subscriptions are served over WebSocket (graphql-ws protocol) on /graphql');
  return ctx.jobEvents;
}

builder.subscriptionFields((t) => ({
  pipelineJobUpdated: t.field({
    type: PipelineJobRef,
    description:
      "The workspace's jobs, live: first its PENDING and RUNNING jobs, then a job each time one of the workspace is queued or changes (status, progress, logs), in the order the changes were announced, always in its latest state. After the server lost and regained its event feed, every job that may have changed meanwhile is sent again. Any role. Errors: NOT_FOUND (workspace does not exist or is another organization's).",
    authScopes: { viewer: true },
    args: { workspaceId: t.arg.globalID({ required: true, description: 'Global ID of the workspace to watch.' }) },
    subscribe: async (_root, { workspaceId }, ctx) => live.watchWorkspaceJobs(scopeOf(ctx), jobEventsOf(ctx), idOf(workspaceId, 'Workspace')),
    resolve: (job: PipelineJobRow) => job,
  }),
  pipelineJobChanged: t.field({
    type: PipelineJobRef,
    description:
      'One job, live: its current state at once, then again after every change (status, progress, logs) and after the server regained a lost event feed. Changes that come faster than they are read may arrive as one (the latest state). Any role. Errors: NOT_FOUND (job does not exist or is another organization\'s).',
    authScopes: { viewer: true },
    args: { id: t.arg.globalID({ required: true, description: 'Global ID of the job to watch.' }) },
    subscribe: async (_root, { id }, ctx) => live.watchPipelineJob(scopeOf(ctx), jobEventsOf(ctx), idOf(id, 'PipelineJob')),
    resolve: (job: PipelineJobRow) => job,
  }),
}));
