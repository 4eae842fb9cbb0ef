import { USER_ROLES, type UserRow } from '../../db/tables/users.table.js';
import * as users from '../../users/user.manager.js';
import * as sessions from '../../sessions/session.manager.js';
import { upperCaseEnum } from '../enum-values.js';
import { builder } from '../builder.js';
import { idOf, scopeOf } from '../relay.js';
import { directErrors, payloadErrors } from './error.js';
import { OrganizationRef, UserRef } from './refs.js';

export const RoleEnum = builder.enumType('Role', {
  description: 'What a member or service account may do. Each role includes everything the roles before it may do.',
  values: upperCaseEnum(USER_ROLES, {
    viewer: 'Reads everything in the organization except service accounts and the audit log.',
    editor: 'Also creates, changes and deletes workspaces, data sources and mappings, and runs and cancels pipeline jobs.',
    admin: 'Also manages users, service accounts and organization settings, and reads the audit log.',
    owner: 'Also transfers ownership and deletes the organization. An organization always has at least one owner; service accounts cannot be owners.',
  }),
});

UserRef.implement({
  description: 'A person who signs in to an organization. Any member may read the members of their own organization.',
  // The user a sign-in mutation just authenticated may be read in its response.
  authScopes: (user, ctx) => (ctx.signedInUserId === user.id ? true : { authenticated: true }),
  fields: (t) => ({
    email: t.exposeString('email', { description: 'Sign-in address, stored lower-case; unique across all organizations.' }),
    displayName: t.exposeString('display_name', { nullable: true, description: 'Name shown to other members; null when not set.' }),
    role: t.field({ type: RoleEnum, description: 'What this member may do.', resolve: (u) => u.role }),
    createdAt: t.expose('created_at', { type: 'DateTime', description: 'When the user was added (signed up, created or invited).' }),
    lastLoginAt: t.expose('last_login_at', {
      type: 'DateTime',
      nullable: true,
      description: 'Last successful sign-in (password, MFA or accepted invitation); null if never.',
    }),
    mfaEnabled: t.exposeBoolean('mfa_enabled', { description: 'Sign-in asks for a TOTP code after the password.' }),
    organization: t.field({ type: OrganizationRef, description: 'The organization the user belongs to.', resolve: (u) => u.organization_id! }),
  }),
});

builder.queryFields((t) => ({
  me: t.field({
    type: UserRef,
    description: 'The signed-in user. Any role; a service account gets a FORBIDDEN error (it has no user profile).',
    authScopes: { authenticated: true },
    resolve: (_root, _args, ctx) => users.getMe(scopeOf(ctx)),
  }),
}));

const InviteUserInput = builder.inputType('InviteUserInput', {
  description: 'A person to add without a password; they set one with `acceptInvitation`.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'Their email address (at most 255 characters); must not be registered yet.' }),
    displayName: t.string({ description: 'Name shown to other members.' }),
    role: t.field({ type: RoleEnum, required: true, description: 'Their role. Only an owner may invite an OWNER.' }),
  }),
});

const CreateUserInput = builder.inputType('CreateUserInput', {
  description: 'A person to add with a password set by the admin.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'Their email address (at most 255 characters); must not be registered yet.' }),
    displayName: t.string({ description: 'Name shown to other members.' }),
    role: t.field({ type: RoleEnum, required: true, description: 'Their role. Only an owner may create an OWNER.' }),
    password: t.string({ required: true, description: 'Their password: 12 to 128 characters.' }),
  }),
});

const InvitationRef = builder.objectRef<{ user: UserRow; invitationToken: string }>('Invitation').implement({
  description: 'An invited user and the token to hand them. Send the token to the person; `acceptInvitation` sets their password.',
  fields: (t) => ({
    user: t.field({ type: UserRef, description: 'The new member, without a password yet.', resolve: (i) => i.user }),
    invitationToken: t.exposeString('invitationToken', {
      description: 'Valid for 7 days and usable once (until a password is set). Shown only here: it is not stored.',
    }),
  }),
});

const errors = (mutation: string, user: string) => payloadErrors(mutation, { name: 'user', description: user });
const userId = (id: { typename: string; id: string }) => idOf(id, 'User');

builder.mutationFields((t) => ({
  inviteUser: t.field({
    type: InvitationRef,
    description:
      'Adds a member without a password and returns an invitation token for them. Admins and owners. Errors: ValidationError (email), ConflictError (email already registered), ForbiddenError (OWNER role by a non-owner).',
    authScopes: { admin: true },
    args: { input: t.arg({ type: InviteUserInput, required: true, description: 'Who to invite.' }) },
    errors: directErrors('inviteUser'),
    resolve: (_root, { input }, ctx) => users.inviteUser(scopeOf(ctx), input),
  }),
  createUser: t.field({
    type: UserRef,
    description:
      'Adds a member with a password. Admins and owners. Errors: ValidationError (email, password policy), ConflictError (email already registered), ForbiddenError (OWNER role by a non-owner).',
    authScopes: { admin: true },
    args: { input: t.arg({ type: CreateUserInput, required: true, description: 'The new member.' }) },
    errors: errors('createUser', 'The new member.'),
    resolve: (_root, { input }, ctx) => users.createUser(scopeOf(ctx), input),
  }),
  updateUserRole: t.field({
    type: UserRef,
    description:
      "Changes a member's role. Admins and owners; only an owner grants or removes OWNER. Errors: NotFoundError (no such member), ForbiddenError, ConflictError (the last owner cannot step down: transfer ownership first).",
    authScopes: { admin: true },
    args: {
      userId: t.arg.globalID({ required: true, description: 'Global ID of the member.' }),
      role: t.arg({ type: RoleEnum, required: true, description: 'The new role.' }),
    },
    errors: errors('updateUserRole', 'The member with the new role.'),
    resolve: (_root, args, ctx) => users.updateUserRole(scopeOf(ctx), userId(args.userId), args.role),
  }),
  removeUser: t.field({
    type: UserRef,
    description:
      'Deletes a member and ends their sessions. Admins and owners; only an owner removes an owner. Errors: NotFoundError, ForbiddenError, ConflictError (the last owner).',
    authScopes: { admin: true },
    args: { userId: t.arg.globalID({ required: true, description: 'Global ID of the member to remove.' }) },
    errors: errors('removeUser', 'The member as they were before removal.'),
    resolve: (_root, args, ctx) => users.removeUser(scopeOf(ctx), userId(args.userId)),
  }),
  transferOwnership: t.field({
    type: UserRef,
    description:
      'Makes another member the owner; you become an admin. Owners only, signed in as a user. Errors: ValidationError (yourself), NotFoundError (no such member), ForbiddenError.',
    authScopes: { owner: true },
    args: { userId: t.arg.globalID({ required: true, description: 'Global ID of the member who becomes owner.' }) },
    errors: errors('transferOwnership', 'The new owner.'),
    resolve: (_root, args, ctx) => users.transferOwnership(scopeOf(ctx), userId(args.userId)),
  }),
  updateMe: t.field({
    type: UserRef,
    description: 'Changes your own profile. Any signed-in user; a service account gets a ForbiddenError.',
    authScopes: { authenticated: true },
    args: { displayName: t.arg.string({ description: 'Your new display name; null or blank clears it.' }) },
    errors: errors('updateMe', 'You, updated.'),
    resolve: (_root, args, ctx) => users.updateMe(scopeOf(ctx), args),
  }),
  changePassword: t.field({
    type: UserRef,
    description:
      'Changes your password and ends all your sessions (refresh tokens); sign in again with the new one. Any signed-in user. Errors: UnauthenticatedError (current password wrong), ValidationError (policy).',
    authScopes: { authenticated: true },
    args: {
      currentPassword: t.arg.string({ required: true, description: 'Your password now.' }),
      newPassword: t.arg.string({ required: true, description: 'The new password: 12 to 128 characters.' }),
    },
    errors: errors('changePassword', 'You, with the new password set.'),
    resolve: (_root, args, ctx) => sessions.changePassword(scopeOf(ctx), args),
  }),
}));
