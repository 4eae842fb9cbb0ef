import { USER_ROLES } from '../../db/tables/users.table.js';
import * as users from '../../users/user.manager.js';
import { builder } from '../builder.js';
import { scopeOf } from '../relay.js';
import { OrganizationRef, UserRef } from './refs.js';

export const RoleEnum = builder.enumType('Role', {
  description: 'viewer reads; editor changes workspaces, sources, mappings and jobs; admin manages users; owner the organization.',
  values: Object.fromEntries(USER_ROLES.map((r) => [r.toUpperCase(), { value: r }])) as Record<
    Uppercase<(typeof USER_ROLES)[number]>,
    { value: (typeof USER_ROLES)[number] }
  >,
});

UserRef.implement({
  description: 'A person who signs in to an organization.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    email: t.exposeString('email'),
    displayName: t.exposeString('display_name', { nullable: true }),
    role: t.field({ type: RoleEnum, resolve: (u) => u.role }),
    createdAt: t.expose('created_at', { type: 'DateTime' }),
    lastLoginAt: t.expose('last_login_at', { type: 'DateTime', nullable: true }),
    mfaEnabled: t.exposeBoolean('mfa_enabled'),
    organization: t.field({ type: OrganizationRef, resolve: (u) => u.organization_id! }),
  }),
});

builder.queryFields((t) => ({
  me: t.field({
    type: UserRef,
    description: 'The signed-in user.',
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => users.getMe(scopeOf(ctx)),
  }),
}));
