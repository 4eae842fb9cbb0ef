import { sql } from 'kysely';
import {
  createServiceAccount,
  localId,
  login,
  newUser,
  PASSWORD,
  resetMfa,
  setPassword,
  signIn,
  totp,
  turnOnMfa,
  unique,
  type World,
} from '../../support/index.js';
import { admin, audit, fromCaller, fromResult, fromSubject, orgId, type Arranged, type MutationCase } from './types.js';

/** The mutations on people, service accounts and the organization, your own account, and signing in. */

/** The organization a sign-up created, found by its slug. */
async function signedUpOrganization({ arranged, world }: { arranged: Arranged; world: World }): Promise<string> {
  const slug = (arranged.variables.input as { slug: string }).slug;
  // test probe: the organization a sign-up created
  const { rows } = await sql<{ id: string }>`select id from datalinx_platform.organizations where slug = ${slug}`.execute(world.server.db.db);
  return rows[0]!.id;
}

async function serviceAccountOf(w: World) {
  return createServiceAccount(w.server, admin(w), 'VIEWER');
}

/** A user who signed in with a password and holds a refresh token. */
async function signedInUser(w: World) {
  const u = await newUser(w.server, w.org, 'viewer', PASSWORD);
  return { ...u, refreshToken: (await signIn(w.server, u.email, PASSWORD)).refreshToken };
}

export const ACCOUNT_MUTATIONS: Record<string, MutationCase> = {
  inviteUser: {
    access: 'admin',
    select: 'user { id }',
    arrange: async () => ({ variables: { input: { email: `${unique('invited')}@example.test`, displayName: 'Invited', role: 'EDITOR' } } }),
    audit: [audit('user.invite', 'User', fromResult('user', 'id'))],
  },
  createUser: {
    access: 'admin',
    select: 'user { id }',
    arrange: async () => ({ variables: { input: { email: `${unique('created')}@example.test`, displayName: 'Created', role: 'EDITOR', password: PASSWORD } } }),
    audit: [audit('user.create', 'User', fromResult('user', 'id'))],
  },
  updateUserRole: {
    access: 'admin',
    select: 'user { id role }',
    arrange: async (w) => {
      const u = await newUser(w.server, w.org, 'editor');
      return { variables: { userId: u.globalId, role: 'VIEWER' }, subject: u.id };
    },
    audit: [audit('user.updateRole', 'User', fromSubject)],
  },
  removeUser: {
    access: 'admin',
    select: 'user { id }',
    arrange: async (w) => {
      const u = await newUser(w.server, w.org, 'editor');
      return { variables: { userId: u.globalId }, subject: u.id };
    },
    audit: [audit('user.remove', 'User', fromSubject)],
  },
  transferOwnership: {
    access: 'owner',
    ownOrganization: true,
    select: 'user { id role }',
    arrange: async (w) => {
      const u = await newUser(w.server, w.org, 'admin');
      return { variables: { userId: u.globalId }, subject: u.id };
    },
    audit: [audit('organization.transferOwnership', 'User', fromSubject)],
  },
  updateOrganization: {
    access: 'admin',
    select: 'organization { id name }',
    arrange: async () => ({
      variables: { input: { name: unique('Renamed org'), settings: { timezone: 'Europe/Paris', defaultWarehouse: 'SNOWFLAKE', extra: { region: 'eu' } } } },
    }),
    audit: [audit('organization.update', 'Organization', orgId)],
  },
  deleteOrganization: {
    access: 'owner',
    ownOrganization: true,
    select: 'organization { id }',
    arrange: async (w) => ({ variables: { confirmSlug: w.org.slug } }),
    // Kept outside the organization: its own entries go with it.
    audit: [audit('organization.delete', 'Organization', orgId, 'caller', null)],
  },
  createServiceAccount: {
    access: 'admin',
    select: 'serviceAccount { id }',
    arrange: async () => ({ variables: { input: { name: unique('robot'), role: 'EDITOR' } } }),
    audit: [audit('serviceAccount.create', 'ServiceAccount', fromResult('serviceAccount', 'id'))],
  },
  createServiceAccountKey: {
    access: 'admin',
    select: 'serviceAccount { id }',
    arrange: async (w) => {
      const sa = await serviceAccountOf(w);
      return { variables: { serviceAccountId: sa.globalId }, subject: sa.id };
    },
    audit: [audit('serviceAccount.createKey', 'ServiceAccount', fromSubject)],
  },
  revokeServiceAccountKey: {
    access: 'admin',
    select: 'serviceAccount { id }',
    arrange: async (w) => {
      const sa = await serviceAccountOf(w);
      return { variables: { keyId: sa.keyId }, subject: sa.id };
    },
    audit: [audit('serviceAccount.revokeKey', 'ServiceAccount', fromSubject)],
  },
  revokeServiceAccount: {
    access: 'admin',
    select: 'serviceAccount { id revokedAt }',
    arrange: async (w) => {
      const sa = await serviceAccountOf(w);
      return { variables: { id: sa.globalId }, subject: sa.id };
    },
    audit: [audit('serviceAccount.revoke', 'ServiceAccount', fromSubject)],
  },
  updateMe: {
    access: 'self',
    select: 'user { id displayName }',
    arrange: async () => ({ variables: { displayName: unique('Me') } }),
    audit: [audit('user.updateMe', 'User', fromCaller)],
  },
  changePassword: {
    access: 'self',
    select: 'user { id }',
    arrange: async (w, c) => {
      if (c.userId) await setPassword(w.server, c.userId, PASSWORD);
      return { variables: { currentPassword: PASSWORD, newPassword: `${PASSWORD} 2` } };
    },
    audit: [audit('user.changePassword', 'User', fromCaller)],
  },
  enrollMfa: {
    access: 'self',
    select: 'otpauthUri',
    arrange: async (w, c) => {
      if (c.userId) await resetMfa(w.server, c.userId);
      return { variables: {} };
    },
    audit: [audit('user.enrollMfa', 'User', fromCaller)],
  },
  confirmMfa: {
    access: 'self',
    select: 'recoveryCodes',
    arrange: async (w, c) => {
      if (!c.userId) return { variables: { code: '000000' } };
      await resetMfa(w.server, c.userId);
      const res = await w.server.gql<{ enrollMfa: { secret: string } }>('mutation { enrollMfa { ... on MfaEnrollment { secret } } }', {}, c.token);
      return { variables: { code: totp(res.body.data!.enrollMfa.secret) } };
    },
    audit: [audit('user.confirmMfa', 'User', fromCaller)],
  },
  disableMfa: {
    access: 'self',
    select: 'user { id mfaEnabled }',
    arrange: async (w, c) => {
      if (!c.userId) return { variables: { code: '000000' } };
      await resetMfa(w.server, c.userId);
      const { secret } = await turnOnMfa(w.server, c.token);
      // The confirming code used this time step; the next one is still within the window.
      return { variables: { code: totp(secret, Date.now() + 30_000) } };
    },
    audit: [audit('user.disableMfa', 'User', fromCaller)],
  },
  signUp: {
    access: 'public',
    select: 'session { user { id } }',
    arrange: async () => ({
      variables: { input: { organizationName: 'Signed up', slug: unique('signup'), email: `${unique('founder')}@example.test`, password: PASSWORD, displayName: 'Founder' } },
    }),
    audit: [
      audit('organization.create', 'Organization', signedUpOrganization, 'system', signedUpOrganization),
      audit('user.signUp', 'User', fromResult('session', 'user', 'id'), 'subject', signedUpOrganization),
    ],
  },
  login: {
    access: 'public',
    select: 'mfaRequired session { user { id } }',
    arrange: async (w) => {
      const u = await newUser(w.server, w.org, 'viewer', PASSWORD);
      return { variables: { email: u.email, password: PASSWORD }, subject: u.id };
    },
    audit: [audit('auth.login', 'User', fromSubject, 'subject')],
  },
  verifyMfa: {
    access: 'public',
    select: 'session { user { id } }',
    arrange: async (w) => {
      const u = await newUser(w.server, w.org, 'viewer', PASSWORD);
      const { secret } = await turnOnMfa(w.server, u.token);
      const answer = await login(w.server, u.email, PASSWORD);
      if (!('mfaChallenge' in answer) || !answer.mfaChallenge) throw new Error(`login did not ask for MFA: ${JSON.stringify(answer)}`);
      return { variables: { challenge: answer.mfaChallenge.challenge, code: totp(secret, Date.now() + 30_000) }, subject: u.id };
    },
    audit: [audit('auth.login', 'User', fromSubject, 'subject')],
  },
  refreshToken: {
    access: 'public',
    select: 'session { user { id } }',
    arrange: async (w) => {
      const u = await signedInUser(w);
      return { variables: { refreshToken: u.refreshToken }, subject: u.id };
    },
    audit: [audit('auth.refresh', 'User', fromSubject, 'subject')],
  },
  logout: {
    access: 'public',
    select: '',
    arrange: async (w) => {
      const u = await signedInUser(w);
      return { variables: { refreshToken: u.refreshToken }, subject: u.id };
    },
    audit: [audit('auth.logout', 'User', fromSubject, 'subject')],
  },
  acceptInvitation: {
    access: 'public',
    select: 'session { user { id } }',
    arrange: async (w) => {
      const res = await w.server.gql<{ inviteUser: { invitationToken: string; user: { id: string } } }>(
        'mutation($i: InviteUserInput!) { inviteUser(input: $i) { ... on Invitation { invitationToken user { id } } } }',
        { i: { email: `${unique('invitee')}@example.test`, role: 'VIEWER' } },
        admin(w),
      );
      const { invitationToken, user } = res.body.data!.inviteUser;
      return { variables: { invitationToken, password: PASSWORD, displayName: 'Invitee' }, subject: localId(user.id) };
    },
    audit: [audit('user.acceptInvitation', 'User', fromSubject, 'subject')],
  },
};
