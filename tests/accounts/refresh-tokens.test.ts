import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { platform } from '../../src/db/database.js';
import { refresh, type Session, setPassword, signIn, tableText, useTestApi } from '../support/index.js';

const logLines: string[] = [];
const { server, org } = useTestApi({ logLines });

beforeAll(async () => {
  await setPassword(server, org.users.editor.id);
});

const INVALID = { __typename: 'UnauthenticatedError', message: 'Invalid refresh token' };
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

async function rotated(token: string): Promise<Session> {
  const r = await refresh(server, token);
  if (!r.session) throw new Error(`refresh failed: ${JSON.stringify(r)}`);
  return r.session;
}

const tokenRow = (token: string) =>
  platform(server.db.db).selectFrom('refresh_tokens').selectAll().where('token_hash', '=', sha256(token)).executeTakeFirstOrThrow();

const LOGOUT = 'mutation($t: String!) { logout(refreshToken: $t) }';

describe('refreshToken', () => {
  it('trades a refresh token for a new pair whose access token works', async () => {
    const first = await signIn(server, org.users.editor.email);

    const next = await rotated(first.refreshToken);

    expect(next.refreshToken).not.toBe(first.refreshToken);
    expect(next.user).toMatchObject({ id: first.user.id, email: org.users.editor.email });
    const me = await server.gql('{ me { email } }', {}, next.accessToken);
    expect(me.body).toEqual({ data: { me: { email: org.users.editor.email } } });
    expect((await tokenRow(next.refreshToken)).family_id).toBe((await tokenRow(first.refreshToken)).family_id);
  });

  it('works once: the spent token is refused afterwards', async () => {
    const first = await signIn(server, org.users.editor.email);
    await rotated(first.refreshToken);

    expect(await refresh(server, first.refreshToken)).toMatchObject(INVALID);
  });

  it('treats reuse of a spent token as theft: the whole family, newest token included, is revoked and the reuse logged', async () => {
    const first = await signIn(server, org.users.editor.email);
    const second = await rotated(first.refreshToken);
    const third = await rotated(second.refreshToken);
    const otherSession = await signIn(server, org.users.editor.email);
    const logsBefore = logLines.length;

    expect(await refresh(server, first.refreshToken)).toMatchObject(INVALID);

    expect(await refresh(server, third.refreshToken)).toMatchObject(INVALID);
    const family = await platform(server.db.db).selectFrom('refresh_tokens').select('revoked_at').where('family_id', '=', (await tokenRow(first.refreshToken)).family_id).execute();
    expect(family).toHaveLength(3);
    expect(family.every((t) => t.revoked_at !== null)).toBe(true);
    const logged = logLines.slice(logsBefore).map((l) => JSON.parse(l) as { msg: string; userId?: string }).filter((l) => l.msg.includes('refresh token reused'));
    expect(logged).toEqual([expect.objectContaining({ userId: org.users.editor.id })]);
    // Another session of the same user is a different family and lives on.
    expect((await refresh(server, otherSession.refreshToken)).session).toBeDefined();
  });

  it('is refused once expired', async () => {
    const s = await signIn(server, org.users.editor.email);
    await platform(server.db.db).updateTable('refresh_tokens').set({ expires_at: sql`now() - interval '1 second'` }).where('token_hash', '=', sha256(s.refreshToken)).execute();

    expect(await refresh(server, s.refreshToken)).toMatchObject(INVALID);
  });

  it('refuses a token it never issued', async () => {
    expect(await refresh(server, 'dlxr_made-up-token')).toMatchObject(INVALID);
    expect(await refresh(server, '')).toMatchObject(INVALID);
  });

  it('is stored only as its SHA-256, never in clear', async () => {
    const s = await signIn(server, org.users.editor.email);

    const row = await tokenRow(s.refreshToken);
    expect(row.token_hash).toBe(sha256(s.refreshToken));
    expect(await tableText(server, 'refresh_tokens')).not.toContain(s.refreshToken.slice(5));
  });
});

describe('logout', () => {
  it('revokes the session: its refresh token no longer works', async () => {
    const s = await signIn(server, org.users.editor.email);
    const next = await rotated(s.refreshToken);

    const res = await server.gql(LOGOUT, { t: s.refreshToken });

    expect(res.body).toEqual({ data: { logout: true } });
    expect(await refresh(server, next.refreshToken)).toMatchObject(INVALID);
  });

  it('says false for a token it does not know', async () => {
    expect((await server.gql(LOGOUT, { t: 'dlxr_unknown' })).body).toEqual({ data: { logout: false } });
  });
});
