import * as organizations from '../../organizations/organization.manager.js';
import { toOrganizationSettings, WAREHOUSE_TYPES, type OrganizationSettings } from '../../organizations/organization-settings.js';
import * as users from '../../users/user.manager.js';
import * as workspaces from '../../workspaces/workspace.manager.js';
import { upperCaseEnum } from '../enum-values.js';
import { builder } from '../builder.js';
import { connectionComplexity, scopeOf, toConnection } from '../relay.js';
import { MUTATION_ERRORS } from './error.js';
import { OrganizationRef, UserConnection, UserRef, WorkspaceConnection, WorkspaceRef } from './refs.js';

OrganizationRef.implement({
  description: "A tenant: its data lives in its own schema, and no one outside it sees any of it.",
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString('name'),
    slug: t.exposeString('slug'),
    schemaName: t.exposeString('schema_name', { description: 'The PostgreSQL schema holding its tables (org_<slug>).' }),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
    updatedAt: t.expose('updated_at', { type: 'DateTime' }),
    settings: t.field({ type: OrganizationSettingsRef, resolve: (o) => toOrganizationSettings(o.settings) }),
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

const WarehouseTypeEnum = builder.enumType('WarehouseType', {
  values: upperCaseEnum(WAREHOUSE_TYPES),
});

const OrganizationSettingsRef = builder.objectRef<OrganizationSettings>('OrganizationSettings').implement({
  description: 'Organization settings: the known keys typed, any others under `extra`.',
  fields: (t) => ({
    defaultWarehouse: t.field({ type: WarehouseTypeEnum, nullable: true, resolve: (s) => s.defaultWarehouse ?? null }),
    timezone: t.exposeString('timezone', { nullable: true }),
    extra: t.field({ type: 'JSONObject', resolve: (s) => s.extra }),
  }),
});

const OrganizationSettingsInput = builder.inputType('OrganizationSettingsInput', {
  fields: (t) => ({
    defaultWarehouse: t.field({ type: WarehouseTypeEnum }),
    timezone: t.string(),
    extra: t.field({ type: 'JSONObject' }),
  }),
});

const UpdateOrganizationInput = builder.inputType('UpdateOrganizationInput', {
  fields: (t) => ({ name: t.string(), settings: t.field({ type: OrganizationSettingsInput }) }),
});

builder.mutationFields((t) => ({
  updateOrganization: t.field({
    type: OrganizationRef,
    authScopes: { admin: true },
    args: { input: t.arg({ type: UpdateOrganizationInput, required: true }) },
    errors: { types: MUTATION_ERRORS, dataField: { name: 'organization' } },
    resolve: (_root, { input }, ctx) => organizations.updateOrganization(scopeOf(ctx), input),
  }),
  deleteOrganization: t.field({
    type: OrganizationRef,
    description: 'Deletes the organization with all its data. Owners only; pass its slug to confirm.',
    authScopes: { owner: true },
    args: { confirmSlug: t.arg.string({ required: true }) },
    errors: { types: MUTATION_ERRORS, dataField: { name: 'organization' } },
    resolve: (_root, { confirmSlug }, ctx) => organizations.deleteOwnOrganization(scopeOf(ctx), confirmSlug),
  }),
}));

builder.queryFields((t) => ({
  organization: t.field({
    type: OrganizationRef,
    description: "The caller's organization.",
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => scopeOf(ctx).tenant.organization,
  }),
}));
