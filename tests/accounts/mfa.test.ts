import { currentTotp, openTotpSecret } from '../../src/auth/mfa.js';
import { platform } from '../../src/db/database.js';
import {
  ERROR_FIELDS,
  globalId,
  login,
  mutate,
  PASSWORD,
  type Session,
  SESSION_FIELDS,
  setPassword,
  tableText,
  type TypedError,
  userRow,
  useTestApi,
} from '../support/index.js';

const { server, org } = useTestApi();
/** Codes are made for this instant's 30-second step and the next: both stay valid for the whole file. */
const t0 = Date.now();

beforeAll(async () => {
  for (const role of ['editor', 'admin', 'owner'] as const) await setPassword(server, org.users[role].id);
});

const ENROLL = `mutation { enrollMfa { __typename ... on MfaEnrollment { secret otpauthUri } ${ERROR_FIELDS} } }`;
const CONFIRM = `mutation($code: String!) { confirmMfa(code: $code) { __typename ... on MfaRecoveryCodes { recoveryCodes } ${ERROR_FIELDS} } }`;
const VERIFY = `mutation($challenge: String!, $code: String!) {
  verifyMfa(challenge: $challenge, code: $code) { __typename ... on VerifyMfaPayload { session { ${SESSION_FIELDS} } } ${ERROR_FIELDS} }
}`;
const DISABLE = `mutation($code: String!) { disableMfa(code: $code) { __typename ... on DisableMfaPayload { user { mfaEnabled } } ${ERROR_FIELDS} } }`;

const INVALID_CODE = { __typename: 'UnauthenticatedError', code: 'UNAUTHENTICATED', message: 'Invalid code' };
const BURNT = { __typename: 'UnauthenticatedError', code: 'UNAUTHENTICATED', message: 'The MFA challenge is invalid or expired; sign in again' };

/** Enrols and confirms MFA for a user with the code of step t0; returns the secret and recovery codes. */
async function turnOnMfa(token: string): Promise<{ secret: string; recoveryCodes: string[] }> {
  const { secret } = await mutate<{ secret: string }>(server, ENROLL, {}, token);
  const { recoveryCodes } = await mutate<{ recoveryCodes: string[] }>(server, CONFIRM, { code: currentTotp(secret, t0) }, token);
  return { secret, recoveryCodes };
}

async function challengeFor(email: string): Promise<string> {
  const r = await login(server, email, PASSWORD);
  if (!('mfaChallenge' in r) || !r.mfaChallenge) throw new Error(`expected an MFA challenge: ${JSON.stringify(r)}`);
  return r.mfaChallenge.challenge;
}

const verify = (challenge: string, code: string) => mutate<{ __typename: string; session?: Session } | TypedError>(server, VERIFY, { challenge, code });

/** A six-digit code that is not valid in any step near now. */
function wrongCode(secret: string): string {
  const valid = new Set([-2, -1, 0, 1, 2, 3].map((s) => currentTotp(secret, t0 + s * 30_000)));
  for (let n = 100_000; ; n++) if (!valid.has(String(n))) return String(n);
}

describe('MFA with an authenticator app', () => {
  const user = () => org.users.editor;
  let secret: string;
  let recoveryCodes: string[];

  it('enrolMfa returns a secret and its otpauth:// URI; MFA stays off until confirmed', async () => {
    const r = await mutate<{ secret: string; otpauthUri: string }>(server, ENROLL, {}, user().token);

    expect(r).toEqual({ __typename: 'MfaEnrollment', secret: expect.stringMatching(/^[A-Z2-7]{32}$/), otpauthUri: expect.any(String) });
    const uri = new URL(r.otpauthUri);
    expect(`${uri.protocol}//${uri.host}`).toBe('otpauth://totp');
    expect(uri.searchParams.get('secret')).toBe(r.secret);
    expect(uri.searchParams.get('issuer')).toBe('Datalinx');
    expect((await userRow(server, user().id)).mfa_enabled).toBe(false);
  });

  it('confirmMfa refuses a wrong code and keeps MFA off', async () => {
    const { secret: s } = await mutate<{ secret: string }>(server, ENROLL, {}, user().token);
    expect(await mutate(server, CONFIRM, { code: wrongCode(s) }, user().token)).toEqual(INVALID_CODE);
    expect((await userRow(server, user().id)).mfa_enabled).toBe(false);
  });

  it('confirmMfa with a valid code turns MFA on and returns ten recovery codes', async () => {
    ({ secret, recoveryCodes } = await turnOnMfa(user().token));

    expect(recoveryCodes).toHaveLength(10);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect((await userRow(server, user().id)).mfa_enabled).toBe(true);
  });

  it('keeps the TOTP secret and the recovery codes only encrypted or hashed', async () => {
    const row = await userRow(server, user().id);
    expect(row.mfa_secret_encrypted).not.toContain(secret);
    expect(openTotpSecret(server.services.keyring, user().id, row.mfa_secret_encrypted!)).toBe(secret);
    const stored = await tableText(server, 'mfa_recovery_codes');
    for (const code of recoveryCodes) expect(stored).not.toContain(code);
  });

  it('login then asks for a code instead of returning a session', async () => {
    const r = await login(server, user().email, PASSWORD);
    expect(r).toEqual({ __typename: 'LoginPayload', mfaRequired: true, session: null, mfaChallenge: { challenge: expect.stringMatching(/^dlxm_/), expiresAt: expect.any(String) } });
  });

  it('verifyMfa with a fresh code completes the login', async () => {
    const r = await verify(await challengeFor(user().email), currentTotp(secret, t0 + 30_000));
    expect(r).toMatchObject({ __typename: 'VerifyMfaPayload', session: { accessToken: expect.any(String), user: { id: globalId('User', user().id) } } });
  });

  it('refuses the same code a second time, even with a new challenge (replay)', async () => {
    expect(await verify(await challengeFor(user().email), currentTotp(secret, t0 + 30_000))).toEqual(INVALID_CODE);
    expect(await verify(await challengeFor(user().email), currentTotp(secret, t0))).toEqual(INVALID_CODE);
  });

  it('accepts each recovery code once', async () => {
    const code = recoveryCodes[0]!;
    expect(await verify(await challengeFor(user().email), code)).toMatchObject({ __typename: 'VerifyMfaPayload' });
    expect(await verify(await challengeFor(user().email), code)).toEqual(INVALID_CODE);
    expect(await verify(await challengeFor(user().email), recoveryCodes[1]!.toUpperCase())).toMatchObject({ __typename: 'VerifyMfaPayload' });
  });

  it('burns a challenge after five wrong codes: even a good code is then refused on it', async () => {
    const challenge = await challengeFor(user().email);
    for (let i = 0; i < 5; i++) expect(await verify(challenge, wrongCode(secret))).toEqual(INVALID_CODE);

    expect(await verify(challenge, recoveryCodes[2]!)).toEqual(BURNT);
    // The code itself was good: it still works on a new challenge.
    expect(await verify(await challengeFor(user().email), recoveryCodes[2]!)).toMatchObject({ __typename: 'VerifyMfaPayload' });
  });

  it('refuses a challenge it never issued and a spent one', async () => {
    expect(await verify('dlxm_made-up', recoveryCodes[3]!)).toEqual(BURNT);
    const challenge = await challengeFor(user().email);
    await verify(challenge, recoveryCodes[3]!);
    expect(await verify(challenge, recoveryCodes[4]!)).toEqual(BURNT);
  });
});

describe('disableMfa', () => {
  const user = () => org.users.admin;
  let secret: string;

  beforeAll(async () => {
    ({ secret } = await turnOnMfa(user().token));
  });

  it('refuses without a valid code and leaves MFA on', async () => {
    expect(await mutate(server, DISABLE, { code: wrongCode(secret) }, user().token)).toEqual(INVALID_CODE);
    expect(await mutate(server, DISABLE, { code: currentTotp(secret, t0) }, user().token)).toEqual(INVALID_CODE); // spent by confirmMfa
    expect((await userRow(server, user().id)).mfa_enabled).toBe(true);
  });

  it('turns MFA off with a valid code; login then signs in with the password alone', async () => {
    expect(await mutate(server, DISABLE, { code: currentTotp(secret, t0 + 30_000) }, user().token)).toEqual({ __typename: 'DisableMfaPayload', user: { mfaEnabled: false } });

    const row = await userRow(server, user().id);
    expect({ enabled: row.mfa_enabled, secret: row.mfa_secret_encrypted }).toEqual({ enabled: false, secret: null });
    const codes = await platform(server.db.db).selectFrom('mfa_recovery_codes').select('id').where('user_id', '=', user().id).execute();
    expect(codes).toEqual([]);
    expect(await login(server, user().email, PASSWORD)).toMatchObject({ mfaRequired: false, session: { user: { id: globalId('User', user().id) } } });
  });
});

describe('a TOTP code raced through several challenges at once', () => {
  it('signs in exactly one of them', async () => {
    const { secret } = await turnOnMfa(org.users.owner.token);
    const challenges = [];
    for (let i = 0; i < 4; i++) challenges.push(await challengeFor(org.users.owner.email));
    const code = currentTotp(secret, t0 + 30_000);

    const results = await Promise.all(challenges.map((c) => verify(c, code)));

    expect(results.map((r) => r.__typename).sort()).toEqual(['UnauthenticatedError', 'UnauthenticatedError', 'UnauthenticatedError', 'VerifyMfaPayload']);
  });
});
