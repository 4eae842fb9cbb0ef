import * as organizations from '../../organizations/organization.manager.js';
import { toOrganizationSettings, WAREHOUSE_TYPES, type OrganizationSettings } from '../../organizations/organization-settings.js';
import * as users from '../../users/user.manager.js';
import * as workspaces from '../../workspaces/workspace.manager.js';
import { upperCaseEnum } from '../enum-values.js';
import { builder } from '../builder.js';
import { connectionComplexity, listPageArgs, scopeOf, toConnection } from '../relay.js';
import { payloadErrors } from './error.js';
import { OrganizationRef, UserConnection, UserRef, WorkspaceConnection, WorkspaceRef } from './refs.js';
import { WORKSPACE_FIELD_COLUMNS } from './workspace.js';

OrganizationRef.implement({
  description: 'A tenant: its data lives in its own schema, and no one outside it sees any of it. Members read their own organization.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Display name, 1–255 characters.' }),
    slug: t.exposeString('slug', {
      description: 'URL-safe unique name chosen at sign-up: 3–59 lowercase letters, digits and single hyphens. Never changes.',
    }),
    schemaName: t.exposeString('schema_name', {
      description: 'The PostgreSQL schema holding its tables: org_ + the slug with hyphens as underscores.',
    }),
    createdAt: t.expose('created_at', { type: 'DateTime', description: 'When the organization was created.' }),
    updatedAt: t.expose('updated_at', { type: 'DateTime', description: 'When its name or settings last changed.' }),
    settings: t.field({ type: OrganizationSettingsRef, description: 'Organization-wide settings.', resolve: (o) => toOrganizationSettings(o.settings) }),
    users: t.connection(
      {
        type: UserRef,
        description: 'Its members (including invited ones who have not set a password yet), newest first.',
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
        description: 'Its workspaces, newest first (the same list as `Query.workspaces`).',
        complexity: connectionComplexity,
        resolve: async (_o, args, ctx, info) => {
          const scope = scopeOf(ctx);
          const page = await workspaces.listWorkspaces(scope, listPageArgs(info, args, WORKSPACE_FIELD_COLUMNS));
          return toConnection(page, () => workspaces.countWorkspaces(scope));
        },
      },
      WorkspaceConnection,
    ),
  }),
});

const WarehouseTypeEnum = builder.enumType('WarehouseType', {
  description: "A kind of data warehouse, where the customer's transformed data lives.",
  values: upperCaseEnum(WAREHOUSE_TYPES, {
    databricks: 'Databricks.',
    snowflake: 'Snowflake.',
    bigquery: 'Google BigQuery.',
    postgresql: 'PostgreSQL.',
  }),
});

const OrganizationSettingsRef = builder.objectRef<OrganizationSettings>('OrganizationSettings').implement({
  description: 'Organization settings: the known keys typed, any others under `extra`.',
  fields: (t) => ({
    defaultWarehouse: t.field({
      type: WarehouseTypeEnum,
      nullable: true,
      description: 'The kind of warehouse the organization writes to; null when not set.',
      resolve: (s) => s.defaultWarehouse ?? null,
    }),
    timezone: t.exposeString('timezone', { nullable: true, description: 'IANA time zone, e.g. Europe/Berlin; null when not set.' }),
    extra: t.field({ type: 'JSONObject', description: 'Stored keys this API does not type, as given; {} when none.', resolve: (s) => s.extra }),
  }),
});

const OrganizationSettingsInput = builder.inputType('OrganizationSettingsInput', {
  description: 'Settings to change; keys left out or null keep their stored value.',
  fields: (t) => ({
    defaultWarehouse: t.field({ type: WarehouseTypeEnum, description: 'The kind of warehouse the organization writes to.' }),
    timezone: t.string({ description: 'IANA time zone such as Europe/Berlin, at most 64 characters.' }),
    extra: t.field({ type: 'JSONObject', description: 'Replaces all untyped keys; may not contain defaultWarehouse or timezone.' }),
  }),
});

const UpdateOrganizationInput = builder.inputType('UpdateOrganizationInput', {
  description: "Changes to the caller's organization; omitted fields stay as they are.",
  fields: (t) => ({
    name: t.string({ description: 'New display name, 1–255 characters after trimming.' }),
    settings: t.field({ type: OrganizationSettingsInput, description: 'Settings to change.' }),
  }),
});

builder.mutationFields((t) => ({
  updateOrganization: t.field({
    type: OrganizationRef,
    description: "Changes the name or settings of the caller's organization. Admins and owners. Errors: ValidationError, ForbiddenError.",
    authScopes: { admin: true },
    args: { input: t.arg({ type: UpdateOrganizationInput, required: true, description: 'What to change.' }) },
    errors: payloadErrors('updateOrganization', { name: 'organization', description: 'The organization as changed.' }),
    resolve: (_root, { input }, ctx) => organizations.updateOrganization(scopeOf(ctx), input),
  }),
  deleteOrganization: t.field({
    type: OrganizationRef,
    description:
      'Deletes the organization with all its data (its schema, users, service accounts, sessions and audit entries), at once and for good. Owners only. Errors: ValidationError (wrong confirmSlug), ForbiddenError.',
    authScopes: { owner: true },
    args: { confirmSlug: t.arg.string({ required: true, description: "The organization's slug, typed again to confirm." }) },
    errors: payloadErrors('deleteOrganization', { name: 'organization', description: 'The organization as it was before deletion.' }),
    resolve: (_root, { confirmSlug }, ctx) => organizations.deleteOwnOrganization(scopeOf(ctx), confirmSlug),
  }),
}));

builder.queryFields((t) => ({
  organization: t.field({
    type: OrganizationRef,
    description: "The caller's organization. Any role.",
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => scopeOf(ctx).tenant.organization,
  }),
}));
