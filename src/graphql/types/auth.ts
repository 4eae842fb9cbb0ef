import type { UserRow } from '../../db/tables/users.table.js';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '../../errors.js';
import * as mfa from '../../sessions/mfa.manager.js';
import * as sessions from '../../sessions/session.manager.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { callerOf, scopeOf } from '../relay.js';
import { MUTATION_ERRORS } from './error.js';
import { UserRef } from './refs.js';

const SessionRef = builder.objectRef<sessions.SignedIn>('Session').implement({
  description: 'A signed-in session: send accessToken as "Authorization: Bearer …"; trade refreshToken for a new pair before it expires.',
  fields: (t) => ({
    accessToken: t.exposeString('accessToken'),
    expiresIn: t.exposeInt('expiresIn', { description: 'Seconds until accessToken expires.' }),
    refreshToken: t.exposeString('refreshToken', { description: 'Single use: each refresh returns a new one.' }),
    user: t.field({ type: UserRef, resolve: (s): UserRow => s.user }),
  }),
});

const MfaChallengeRef = builder.objectRef<{ challenge: string; expiresAt: Date }>('MfaChallenge').implement({
  description: 'The password was right; complete the login with verifyMfa and a code.',
  fields: (t) => ({ challenge: t.exposeString('challenge'), expiresAt: t.expose('expiresAt', { type: 'DateTime' }) }),
});

const LoginPayload = builder.objectRef<sessions.LoginResult>('LoginPayload').implement({
  fields: (t) => ({
    mfaRequired: t.boolean({ resolve: (r) => r.kind === 'mfaRequired' }),
    session: t.field({ type: SessionRef, nullable: true, resolve: (r) => (r.kind === 'signedIn' ? r : null) }),
    mfaChallenge: t.field({ type: MfaChallengeRef, nullable: true, resolve: (r) => (r.kind === 'mfaRequired' ? r : null) }),
  }),
});

const MfaEnrollmentRef = builder.objectRef<{ secret: string; otpauthUri: string }>('MfaEnrollment').implement({
  description: 'Add the secret to an authenticator app (or scan the otpauth:// URI), then call confirmMfa with a code.',
  fields: (t) => ({ secret: t.exposeString('secret'), otpauthUri: t.exposeString('otpauthUri') }),
});

const RecoveryCodesRef = builder.objectRef<{ recoveryCodes: string[] }>('MfaRecoveryCodes').implement({
  description: 'Single-use codes for when the authenticator is lost. Shown this once.',
  fields: (t) => ({ recoveryCodes: t.exposeStringList('recoveryCodes') }),
});

const SignUpInput = builder.inputType('SignUpInput', {
  fields: (t) => ({
    organizationName: t.string({ required: true }),
    slug: t.string({ required: true, description: '3–59 lowercase letters, digits and hyphens.' }),
    email: t.string({ required: true }),
    password: t.string({ required: true, description: '12 to 128 characters.' }),
    displayName: t.string(),
  }),
});

/**
 * One credential check per request: aliases cannot multiply password or
 * code guesses beyond what the per-account counters already see.
 */
function oneCredentialCheck(ctx: GraphQLContext): void {
  ctx.credentialChecks += 1;
  if (ctx.credentialChecks > 1) throw new ValidationError('Only one sign-in operation is allowed per request', []);
}

/** Lets the response of a sign-in show the user it signed in. */
async function signedIn<T extends { user: UserRow } | sessions.LoginResult>(ctx: GraphQLContext, result: Promise<T>): Promise<T> {
  const value = await result;
  if ('user' in value) ctx.signedInUserId = value.user.id;
  return value;
}

const AUTH_ERRORS = [ValidationError, UnauthenticatedError, ForbiddenError];

builder.mutationFields((t) => ({
  signUp: t.field({
    type: SessionRef,
    description: 'Creates an organization with you as its owner, and signs you in. Only when the server allows sign-up.',
    args: { input: t.arg({ type: SignUpInput, required: true }) },
    errors: { types: MUTATION_ERRORS, dataField: { name: 'session' } },
    resolve: (_root, { input }, ctx) => signedIn(ctx, sessions.signUp(callerOf(ctx), input)),
  }),
  login: t.field({
    type: LoginPayload,
    args: { email: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    errors: { types: AUTH_ERRORS, directResult: true },
    resolve: (_root, args, ctx) => {
      oneCredentialCheck(ctx);
      return signedIn(ctx, sessions.login(callerOf(ctx), args));
    },
  }),
  verifyMfa: t.field({
    type: SessionRef,
    description: 'Completes a login that returned an MFA challenge, with a TOTP code or a recovery code.',
    args: { challenge: t.arg.string({ required: true }), code: t.arg.string({ required: true }) },
    errors: { types: AUTH_ERRORS, dataField: { name: 'session' } },
    resolve: (_root, args, ctx) => {
      oneCredentialCheck(ctx);
      return signedIn(ctx, sessions.verifyMfa(callerOf(ctx), args));
    },
  }),
  refreshToken: t.field({
    type: SessionRef,
    description: 'Trades a refresh token for a new access and refresh token. A refresh token works once; reusing one ends its session.',
    args: { refreshToken: t.arg.string({ required: true }) },
    errors: { types: AUTH_ERRORS, dataField: { name: 'session' } },
    resolve: (_root, args, ctx) => signedIn(ctx, sessions.refreshSession(callerOf(ctx), args.refreshToken)),
  }),
  logout: t.boolean({
    description: 'Ends the session the refresh token belongs to. True when there was one.',
    args: { refreshToken: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => sessions.logout(callerOf(ctx), args.refreshToken),
  }),
  acceptInvitation: t.field({
    type: SessionRef,
    description: 'Sets the password of an invited user and signs them in.',
    args: { invitationToken: t.arg.string({ required: true }), password: t.arg.string({ required: true }), displayName: t.arg.string() },
    errors: { types: AUTH_ERRORS, dataField: { name: 'session' } },
    resolve: (_root, args, ctx) => signedIn(ctx, sessions.acceptInvitation(callerOf(ctx), args)),
  }),
  enrollMfa: t.field({
    type: MfaEnrollmentRef,
    authScopes: { authenticated: true },
    errors: { types: MUTATION_ERRORS, directResult: true },
    resolve: (_root, _args, ctx) => mfa.enrollMfa(scopeOf(ctx)),
  }),
  confirmMfa: t.field({
    type: RecoveryCodesRef,
    authScopes: { authenticated: true },
    args: { code: t.arg.string({ required: true }) },
    errors: { types: MUTATION_ERRORS, directResult: true },
    resolve: (_root, { code }, ctx) => {
      oneCredentialCheck(ctx);
      return mfa.confirmMfa(scopeOf(ctx), code);
    },
  }),
  disableMfa: t.field({
    type: UserRef,
    authScopes: { authenticated: true },
    args: { code: t.arg.string({ required: true }) },
    errors: { types: MUTATION_ERRORS, dataField: { name: 'user' } },
    resolve: async (_root, { code }, ctx) => {
      oneCredentialCheck(ctx);
      const scope = scopeOf(ctx);
      await mfa.disableMfa(scope, code);
      return scope.actor.kind === 'user' ? scope.actor.id : Promise.reject(new ForbiddenError());
    },
  }),
}));
