import { USER_ROLES, type UserRow } from '../../db/tables/users.table.js';
import * as users from '../../users/user.manager.js';
import * as sessions from '../../sessions/session.manager.js';
import { upperCaseEnum } from '../enum-values.js';
import { builder } from '../builder.js';
import { idOf, scopeOf } from '../relay.js';
import { MUTATION_ERRORS } from './error.js';
import { OrganizationRef, UserRef } from './refs.js';

export const RoleEnum = builder.enumType('Role', {
  description: 'viewer reads; editor changes workspaces, sources, mappings and jobs; admin manages users; owner the organization.',
  values: upperCaseEnum(USER_ROLES),
});

UserRef.implement({
  description: 'A person who signs in to an organization.',
  // The user a sign-in mutation just authenticated may be read in its response.
  authScopes: (user, ctx) => (ctx.signedInUserId === user.id ? true : { authenticated: true }),
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

const InviteUserInput = builder.inputType('InviteUserInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    displayName: t.string(),
    role: t.field({ type: RoleEnum, required: true }),
  }),
});

const CreateUserInput = builder.inputType('CreateUserInput', {
  fields: (t) => ({
    email: t.string({ required: true }),
    displayName: t.string(),
    role: t.field({ type: RoleEnum, required: true }),
    password: t.string({ required: true, description: '12 to 128 characters.' }),
  }),
});

const InvitationRef = builder.objectRef<{ user: UserRow; invitationToken: string }>('Invitation').implement({
  description: 'Send invitationToken to the person; acceptInvitation sets their password. Valid for 7 days, once.',
  fields: (t) => ({
    user: t.field({ type: UserRef, resolve: (i) => i.user }),
    invitationToken: t.exposeString('invitationToken'),
  }),
});

const errors = { types: MUTATION_ERRORS, dataField: { name: 'user' } };
const userId = (id: { typename: string; id: string }) => idOf(id, 'User');

builder.mutationFields((t) => ({
  inviteUser: t.field({
    type: InvitationRef,
    authScopes: { admin: true },
    args: { input: t.arg({ type: InviteUserInput, required: true }) },
    errors: { types: MUTATION_ERRORS, directResult: true },
    resolve: (_root, { input }, ctx) => users.inviteUser(scopeOf(ctx), input),
  }),
  createUser: t.field({
    type: UserRef,
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateUserInput, required: true }) },
    errors,
    resolve: (_root, { input }, ctx) => users.createUser(scopeOf(ctx), input),
  }),
  updateUserRole: t.field({
    type: UserRef,
    description: 'Admins change roles; only owners grant or remove the owner role; the last owner keeps it.',
    authScopes: { admin: true },
    args: { userId: t.arg.globalID({ required: true }), role: t.arg({ type: RoleEnum, required: true }) },
    errors,
    resolve: (_root, args, ctx) => users.updateUserRole(scopeOf(ctx), userId(args.userId), args.role),
  }),
  removeUser: t.field({
    type: UserRef,
    authScopes: { admin: true },
    args: { userId: t.arg.globalID({ required: true }) },
    errors,
    resolve: (_root, args, ctx) => users.removeUser(scopeOf(ctx), userId(args.userId)),
  }),
  transferOwnership: t.field({
    type: UserRef,
    description: 'Makes another member the owner; you become an admin.',
    authScopes: { owner: true },
    args: { userId: t.arg.globalID({ required: true }) },
    errors,
    resolve: (_root, args, ctx) => users.transferOwnership(scopeOf(ctx), userId(args.userId)),
  }),
  updateMe: t.field({
    type: UserRef,
    authScopes: { authenticated: true },
    args: { displayName: t.arg.string() },
    errors,
    resolve: (_root, args, ctx) => users.updateMe(scopeOf(ctx), args),
  }),
  changePassword: t.field({
    type: UserRef,
    description: 'Ends every session of yours; sign in again with the new password.',
    authScopes: { authenticated: true },
    args: { currentPassword: t.arg.string({ required: true }), newPassword: t.arg.string({ required: true }) },
    errors,
    resolve: (_root, args, ctx) => sessions.changePassword(scopeOf(ctx), args),
  }),
}));
