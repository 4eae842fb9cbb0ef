import type { UserRow } from '../../db/tables/users.table.js';
import { ForbiddenError, UnauthenticatedError, ValidationError } from '../../errors.js';
import * as mfa from '../../sessions/mfa.manager.js';
import * as sessions from '../../sessions/session.manager.js';
import { builder } from '../builder.js';
import type { GraphQLContext } from '../context.js';
import { callerOf, scopeOf } from '../relay.js';
import { directErrors, payloadErrors } from './error.js';
import { UserRef } from './refs.js';

const SessionRef = builder.objectRef<sessions.SignedIn>('Session').implement({
  description: 'A signed-in session: send accessToken as "Authorization: Bearer …"; trade refreshToken for a new pair before it expires.',
  fields: (t) => ({
    accessToken: t.exposeString('accessToken', { description: 'A signed JWT naming you and your organization; valid for `expiresIn` seconds.' }),
    expiresIn: t.exposeInt('expiresIn', { description: 'Seconds until accessToken expires (900 unless the server is configured otherwise).' }),
    refreshToken: t.exposeString('refreshToken', {
      description: 'Single use: each refresh returns a new one. Valid for 30 days unless the server is configured otherwise; keep it secret.',
    }),
    user: t.field({ type: UserRef, description: 'Who is signed in.', resolve: (s): UserRow => s.user }),
  }),
});

const MfaChallengeRef = builder.objectRef<{ challenge: string; expiresAt: Date }>('MfaChallenge').implement({
  description: 'The password was right; complete the login with verifyMfa and a code.',
  fields: (t) => ({
    challenge: t.exposeString('challenge', { description: 'Pass to verifyMfa with the code. Single use; at most 5 wrong codes.' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', description: 'The challenge is void after this (5 minutes after the login).' }),
  }),
});

const LoginPayload = builder.objectRef<sessions.LoginResult>('LoginPayload').implement({
  description: 'A successful password check: either a session, or (with MFA on) a challenge to complete with verifyMfa.',
  fields: (t) => ({
    mfaRequired: t.boolean({ description: 'True when a second factor is needed: use `mfaChallenge`.', resolve: (r) => r.kind === 'mfaRequired' }),
    session: t.field({ type: SessionRef, nullable: true, description: 'The new session; null when MFA is required.', resolve: (r) => (r.kind === 'signedIn' ? r : null) }),
    mfaChallenge: t.field({
      type: MfaChallengeRef,
      nullable: true,
      description: 'The challenge to answer; null when no MFA is required.',
      resolve: (r) => (r.kind === 'mfaRequired' ? r : null),
    }),
  }),
});

const MfaEnrollmentRef = builder.objectRef<{ secret: string; otpauthUri: string }>('MfaEnrollment').implement({
  description: 'Add the secret to an authenticator app (or scan the otpauth:// URI), then call confirmMfa with a code.',
  fields: (t) => ({
    secret: t.exposeString('secret', { description: 'The TOTP secret in base32 (SHA-1, 6 digits, 30-second steps), for typing into an app.' }),
    otpauthUri: t.exposeString('otpauthUri', { description: 'The same secret as an otpauth:// URI, for a QR code.' }),
  }),
});

const RecoveryCodesRef = builder.objectRef<{ recoveryCodes: string[] }>('MfaRecoveryCodes').implement({
  description: 'Single-use codes for when the authenticator is lost. Shown this once.',
  fields: (t) => ({
    recoveryCodes: t.exposeStringList('recoveryCodes', { description: 'Ten codes like abcde-12345; each works once in place of a TOTP code.' }),
  }),
});

const SignUpInput = builder.inputType('SignUpInput', {
  description: 'A new organization and its first user, who becomes its owner.',
  fields: (t) => ({
    organizationName: t.string({ required: true, description: 'Display name of the organization, 1–255 characters after trimming.' }),
    slug: t.string({
      required: true,
      description: 'Unique, permanent name: 3–59 lowercase letters, digits and single hyphens, starting and ending with a letter or digit; some words are reserved.',
    }),
    email: t.string({ required: true, description: 'Your email address (at most 255 characters); must not be registered yet.' }),
    password: t.string({ required: true, description: '12 to 128 characters.' }),
    displayName: t.string({ description: 'Your name as other members see it.' }),
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
    description:
      'Creates an organization with you as its owner, and signs you in. No token needed. Errors: ForbiddenError (sign-up is off on this server), ValidationError, ConflictError (slug or email taken).',
    args: { input: t.arg({ type: SignUpInput, required: true, description: 'The organization and its owner.' }) },
    errors: payloadErrors('signUp', { name: 'session', description: 'Your new session.' }),
    resolve: (_root, { input }, ctx) => signedIn(ctx, sessions.signUp(callerOf(ctx), input)),
  }),
  login: t.field({
    type: LoginPayload,
    description:
      'Signs in with email and password. No token needed; one sign-in operation per request. Errors: UnauthenticatedError with the same message for an unknown email, a wrong password and a locked account (5 failures lock it for 1, 2, 4 … minutes, at most a day).',
    args: {
      email: t.arg.string({ required: true, description: 'Your email address (any case).' }),
      password: t.arg.string({ required: true, description: 'Your password.' }),
    },
    errors: directErrors('login', AUTH_ERRORS),
    resolve: (_root, args, ctx) => {
      oneCredentialCheck(ctx);
      return signedIn(ctx, sessions.login(callerOf(ctx), args));
    },
  }),
  verifyMfa: t.field({
    type: SessionRef,
    description:
      'Completes a login that returned an MFA challenge, with a TOTP code (each accepted once) or an unused recovery code. No token needed. Errors: UnauthenticatedError (wrong code, or the challenge is expired, used or past 5 wrong codes).',
    args: {
      challenge: t.arg.string({ required: true, description: '`mfaChallenge.challenge` from login.' }),
      code: t.arg.string({ required: true, description: 'The 6-digit code from the authenticator, or a recovery code.' }),
    },
    errors: payloadErrors('verifyMfa', { name: 'session', description: 'Your new session.' }, AUTH_ERRORS),
    resolve: (_root, args, ctx) => {
      oneCredentialCheck(ctx);
      return signedIn(ctx, sessions.verifyMfa(callerOf(ctx), args));
    },
  }),
  refreshToken: t.field({
    type: SessionRef,
    description:
      'Trades a refresh token for a new access and refresh token. No access token needed. A refresh token works once; presenting a spent one again ends its whole session. Errors: UnauthenticatedError (unknown, expired, revoked or spent token).',
    args: { refreshToken: t.arg.string({ required: true, description: 'The latest refresh token (dlxr_…) of the session.' }) },
    errors: payloadErrors('refreshToken', { name: 'session', description: 'The session with its new tokens.' }, AUTH_ERRORS),
    resolve: (_root, args, ctx) => signedIn(ctx, sessions.refreshSession(callerOf(ctx), args.refreshToken)),
  }),
  logout: t.boolean({
    description:
      'Ends the session the refresh token belongs to (every refresh token of it): its access tokens stop working at once, over HTTP and on open WebSocket connections (closed with 4403). No access token needed. True when there was such a session.',
    args: { refreshToken: t.arg.string({ required: true, description: 'Any refresh token of the session.' }) },
    resolve: (_root, args, ctx) => sessions.logout(callerOf(ctx), args.refreshToken),
  }),
  acceptInvitation: t.field({
    type: SessionRef,
    description:
      'Sets the password of an invited user and signs them in. No token needed. Errors: UnauthenticatedError (token invalid, expired or already used), ValidationError (password policy).',
    args: {
      invitationToken: t.arg.string({ required: true, description: 'The token from `inviteUser` (or the admin CLI).' }),
      password: t.arg.string({ required: true, description: 'The new password: 12 to 128 characters.' }),
      displayName: t.arg.string({ description: 'Your name as other members see it; keeps the one set at invitation when left out.' }),
    },
    errors: payloadErrors('acceptInvitation', { name: 'session', description: 'Your new session.' }, AUTH_ERRORS),
    resolve: (_root, args, ctx) => signedIn(ctx, sessions.acceptInvitation(callerOf(ctx), args)),
  }),
  enrollMfa: t.field({
    type: MfaEnrollmentRef,
    description:
      'Starts turning on MFA: returns a new TOTP secret (pending until confirmMfa; a second call replaces it). Any signed-in user. Errors: ConflictError (MFA is already on), ForbiddenError (a service account).',
    authScopes: { authenticated: true },
    errors: directErrors('enrollMfa'),
    resolve: (_root, _args, ctx) => mfa.enrollMfa(scopeOf(ctx)),
  }),
  confirmMfa: t.field({
    type: RecoveryCodesRef,
    description:
      'Turns MFA on once a code from the new authenticator proves it works, and returns recovery codes. Any signed-in user. Errors: UnauthenticatedError (wrong code), ConflictError (already on, or enrollMfa not called).',
    authScopes: { authenticated: true },
    args: { code: t.arg.string({ required: true, description: 'The current 6-digit code of the authenticator set up with enrollMfa.' }) },
    errors: directErrors('confirmMfa'),
    resolve: (_root, { code }, ctx) => {
      oneCredentialCheck(ctx);
      return mfa.confirmMfa(scopeOf(ctx), code);
    },
  }),
  disableMfa: t.field({
    type: UserRef,
    description:
      'Turns MFA off and deletes the recovery codes; needs a current code, so a stolen session alone cannot. Any signed-in user. Errors: UnauthenticatedError (wrong code), ConflictError (MFA is not on).',
    authScopes: { authenticated: true },
    args: { code: t.arg.string({ required: true, description: 'A current 6-digit code of your authenticator.' }) },
    errors: payloadErrors('disableMfa', { name: 'user', description: 'You, with MFA off.' }),
    resolve: async (_root, { code }, ctx) => {
      oneCredentialCheck(ctx);
      const scope = scopeOf(ctx);
      await mfa.disableMfa(scope, code);
      return scope.actor.kind === 'user' ? scope.actor.id : Promise.reject(new ForbiddenError());
    },
  }),
}));
