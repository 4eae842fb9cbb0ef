import type { OrganizationRow } from '../../db/tables/organizations.table.js';
import * as users from '../../users/user.manager.js';
import * as workspaces from '../../workspaces/workspace.manager.js';
import { builder } from '../builder.js';
import { connectionComplexity, scopeOf, toConnection } from '../relay.js';
import { OrganizationRef, UserConnection, UserRef, WorkspaceConnection, WorkspaceRef } from './refs.js';

OrganizationRef.implement({
  description: "A tenant: its data lives in its own schema, and no one outside it sees any of it.",
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString('name'),
    slug: t.exposeString('slug'),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
    updatedAt: t.expose('updated_at', { type: 'DateTime' }),
    settings: t.field({ type: 'JSONObject', resolve: (o) => o.settings ?? {} }),
    users: t.connection(
      {
        type: UserRef,
        complexity: connectionComplexity,
        resolve: async (_o, args, ctx) => {
          const scope = scopeOf(ctx);
          return toConnection(await users.listUsers(scope, args), () => users.countUsers(scope));
        },
      },
      UserConnection,
    ),
    workspaces: t.connection(
      {
        type: WorkspaceRef,
        complexity: connectionComplexity,
        resolve: async (_o, args, ctx) => {
          const scope = scopeOf(ctx);
          return toConnection(await workspaces.listWorkspaces(scope, args), () => workspaces.countWorkspaces(scope));
        },
      },
      WorkspaceConnection,
    ),
  }),
});

builder.queryFields((t) => ({
  organization: t.field({
    type: OrganizationRef,
    description: "The caller's organization.",
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => scopeOf(ctx).tenant.organization as OrganizationRow,
  }),
}));
