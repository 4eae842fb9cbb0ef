import type { DataSourceSummary } from '../../db/tables/data-sources.table.js';
import type { MappingRow } from '../../db/tables/mappings.table.js';
import type { OrganizationRow } from '../../db/tables/organizations.table.js';
import type { PipelineJobRow } from '../../db/tables/pipeline-jobs.table.js';
import type { UserRow } from '../../db/tables/users.table.js';
import type { WorkspaceRow } from '../../db/tables/workspaces.table.js';
import * as dataSources from '../../data-sources/data-source.manager.js';
import * as jobs from '../../jobs/pipeline-job.manager.js';
import * as mappings from '../../mappings/mapping.manager.js';
import * as users from '../../users/user.manager.js';
import * as workspaces from '../../workspaces/workspace.manager.js';
import { builder } from '../builder.js';
import { idColumn } from '../sync-global-id.js';
import { scopeOf } from '../relay.js';

/**
 * The node types, declared once with their batched loaders so that type files
 * can point at each other without import cycles. Every loader reads through
 * the caller's tenant handle, so an id of another organization loads nothing.
 */

export const OrganizationRef = builder.loadableNodeRef('Organization', {
  id: { resolve: idColumn<OrganizationRow>('id') },
  load: async (ids: string[], ctx) => {
    const scope = scopeOf(ctx);
    const own = scope.tenant.organization;
    return ids.map((id) => (id === own.id ? own : null));
  },
});

export const UserRef = builder.loadableNodeRef('User', {
  id: { resolve: idColumn<UserRow>('id') },
  load: (ids: string[], ctx) => users.findUsersByIds(scopeOf(ctx), ids),
  sort: (u) => u.id,
});

export const WorkspaceRef = builder.loadableNodeRef('Workspace', {
  id: { resolve: idColumn<WorkspaceRow>('id') },
  load: (ids: string[], ctx) => workspaces.findWorkspacesByIds(scopeOf(ctx), ids),
  sort: (w) => w.id,
});

export const DataSourceRef = builder.loadableNodeRef('DataSource', {
  id: { resolve: idColumn<DataSourceSummary>('id') },
  load: (ids: string[], ctx) => dataSources.findDataSourcesByIds(scopeOf(ctx), ids),
  sort: (d) => d.id,
});

export const MappingRef = builder.loadableNodeRef('Mapping', {
  id: { resolve: idColumn<MappingRow>('id') },
  load: (ids: string[], ctx) => mappings.findMappingsByIds(scopeOf(ctx), ids),
  sort: (m) => m.id,
});

export const PipelineJobRef = builder.loadableNodeRef('PipelineJob', {
  id: { resolve: idColumn<PipelineJobRow>('id') },
  load: (ids: string[], ctx) => jobs.findPipelineJobsByIds(scopeOf(ctx), ids),
  sort: (j) => j.id,
});

type Counted = { totalCount: () => Promise<number> };

/** A connection type with `totalCount`, shared by every field that lists this type. */
export function connectionOf<Ref extends Parameters<typeof builder.connectionObject>[0]['type']>(ref: Ref, name: string) {
  return builder.connectionObject(
    {
      type: ref,
      name: `${name}Connection`,
      description: `A page of ${name} items, newest first, with the total count and the cursors to page on.`,
      fields: (t) => ({
        totalCount: t.int({
          description: 'How many items match the filters, across all pages. Costs a count query: ask only when needed.',
          resolve: (c) => (c as unknown as Counted).totalCount(),
        }),
      }),
    },
    { name: `${name}Edge`, description: `A ${name} in a page, with its cursor.` },
  );
}

export const UserConnection = connectionOf(UserRef, 'User');
export const WorkspaceConnection = connectionOf(WorkspaceRef, 'Workspace');
export const DataSourceConnection = connectionOf(DataSourceRef, 'DataSource');
export const MappingConnection = connectionOf(MappingRef, 'Mapping');
export const PipelineJobConnection = connectionOf(PipelineJobRef, 'PipelineJob');
