import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { base64url, decodeJwt, decodeProtectedHeader, exportSPKI, importJWK, SignJWT, type JWK } from 'jose';
import { AccessTokens, generateKeyPairJwk, loadKeyPairs } from '../../src/auth/jwt.js';
import { loadConfig } from '../../src/config.js';
import { platform } from '../../src/db/database.js';
import { createOrganization } from '../../src/organizations/organization.manager.js';
import { insertUser } from '../../src/users/user.dao.js';
import { systemScope } from '../../src/auth/scope.js';
import { failure, seedOrganization, sessionToken, startConfiguredServer, useTestApi, waitFor } from '../support/index.js';

const { server, org } = useTestApi();


const ME = '{ me { email } }';
const UNAUTHENTICATED = { status: 401, codes: ['UNAUTHENTICATED'] };
const now = () => Math.floor(Date.now() / 1000);

/** An HS256 token with the server's settings, changed by `over`. */
function token(over: { sub?: string; iss?: string; aud?: string; exp?: number; nbf?: number; iat?: number; secret?: Uint8Array } = {}): Promise<string> {
  const { jwt } = server.config;
  return new SignJWT({ org: org.id, sid: decodeJwt(org.users.viewer.token).sid })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(over.sub ?? org.users.viewer.id)
    .setIssuer(over.iss ?? jwt.issuer)
    .setAudience(over.aud ?? jwt.audience)
    .setIssuedAt(over.iat ?? now())
    .setNotBefore(over.nbf ?? now())
    .setExpirationTime(over.exp ?? now() + 300)
    .sign(over.secret ?? new TextEncoder().encode(jwt.secret!));
}

const meWith = async (bearer: string) => failure(await server.gql(ME, {}, bearer));

describe('access tokens (HS256)', () => {
  it('accepts a token built with the server settings (the control for the cases below)', async () => {
    const res = await server.gql(ME, {}, await token());
    expect(res.body).toEqual({ data: { me: { email: org.users.viewer.email } } });
  });

  it.each([
    { what: 'expired', make: () => token({ iat: now() - 600, nbf: now() - 600, exp: now() - 60 }) },
    { what: 'signed with another secret', make: () => token({ secret: randomBytes(32) }) },
    { what: 'from another issuer', make: () => token({ iss: 'someone-else' }) },
    { what: 'for another audience', make: () => token({ aud: 'another-api' }) },
    { what: 'not valid before a future time', make: () => token({ nbf: now() + 600 }) },
    {
      what: 'unsigned (alg: none)',
      make: async () => {
        const [, payload] = (await token()).split('.');
        return `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`;
      },
    },
    { what: 'tampered with (another subject, same signature)', make: async () => {
      const [header, , signature] = (await token()).split('.');
      const payload = base64url.encode(JSON.stringify({ sub: org.users.owner.id, org: org.id, iss: 'datalinx', aud: 'datalinx-api', iat: now(), nbf: now(), exp: now() + 300 }));
      return `${header}.${payload}.${signature}`;
    } },
    { what: 'an invitation token', make: () => server.services.tokens.signInvitation({ sub: org.users.viewer.id, org: org.id }) },
    { what: 'not a JWT at all', make: async () => 'garbage' },
  ])('refuses a token that is $what with 401 UNAUTHENTICATED', async ({ make }) => {
    expect(await meWith(await make())).toEqual(UNAUTHENTICATED);
  });

  it('refuses a token it accepted before once the token has expired (verified tokens are remembered, their expiry is not)', async () => {
    const exp = now() + 2;
    const bearer = await token({ exp });
    expect((await server.gql(ME, {}, bearer)).body).toEqual({ data: { me: { email: org.users.viewer.email } } });
    while (now() < exp) await new Promise((r) => setTimeout(r, 100));

    const res = await server.gql(ME, {}, bearer);
    expect(failure(res)).toEqual(UNAUTHENTICATED);
    expect(res.body.errors?.[0]?.message).toBe('Token expired');
  });

  it('refuses a valid token of a user who has since been deleted (elsewhere: as soon as the notice arrives)', async () => {
    const user = await insertUser(server.db.db, { organization_id: org.id, email: `gone@${org.slug}.test`, role: 'editor' });
    const bearer = await sessionToken(server, user);
    expect((await server.gql(ME, {}, bearer)).status).toBe(200);

    // Deleted by another connection, as the admin CLI or another API process would: this process may
    // remember the session until the `datalinx_credentials` notice of the delete arrives.
    await platform(server.db.db).deleteFrom('users').where('id', '=', user.id).execute();

    await waitFor('the deleted user to be refused', async () => (await server.gql(ME, {}, bearer)).status === 401, 10_000);
    expect(await meWith(bearer)).toEqual(UNAUTHENTICATED);
  });

  it('refuses a token whose organization is not the user’s', async () => {
    const other = await seedOrganization(server);
    const bearer = await server.services.tokens.sign({ sub: org.users.owner.id, org: other.id, sid: decodeJwt(org.users.owner.token).sid as string });
    expect(await meWith(bearer)).toEqual(UNAUTHENTICATED);
  });

  it('refuses a configured JWT_SECRET shorter than 32 bytes, naming the variable', () => {
    expect(() => loadConfig({ JWT_SECRET: 'x'.repeat(31) })).toThrow(/JWT_SECRET/);
    expect(loadConfig({ JWT_SECRET: 'x'.repeat(32) }).jwt.secret).toHaveLength(32);
  });
});

describe('access tokens (ES256 key pairs)', () => {
  let oldKey: JWK;
  let newKey: JWK;
  let tokens: AccessTokens;
  const sid = randomUUID();
  const claims = () => ({ sub: org.users.viewer.id, org: org.id, sid });

  beforeAll(async () => {
    [oldKey, newKey] = await Promise.all([generateKeyPairJwk('ES256', 'k-2025'), generateKeyPairJwk('ES256', 'k-2026')]);
    tokens = new AccessTokens(await loadKeyPairs('ES256', JSON.stringify({ current: 'k-2026', keys: [oldKey, newKey] })), server.config.jwt);
  });

  it('signs with the current key and names it in the header', async () => {
    expect(decodeProtectedHeader(await tokens.sign(claims()))).toEqual({ alg: 'ES256', kid: 'k-2026', typ: 'JWT' });
  });

  it('verifies tokens of every key on the ring, so keys can rotate', async () => {
    const before = new AccessTokens(await loadKeyPairs('ES256', JSON.stringify({ current: 'k-2025', keys: [oldKey] })), server.config.jwt);

    await expect(tokens.verify(await before.sign(claims()))).resolves.toEqual(claims());
    await expect(tokens.verify(await tokens.sign(claims()))).resolves.toEqual(claims());
  });

  it('refuses a token signed by a key not on the ring, even under a known kid', async () => {
    const stranger = await generateKeyPairJwk('ES256', 'k-2025');
    const foreign = new AccessTokens(await loadKeyPairs('ES256', JSON.stringify({ current: 'k-2025', keys: [stranger] })), server.config.jwt);
    await expect(tokens.verify(await foreign.sign(claims()))).rejects.toThrow('Invalid token');
  });

  it('publishes only public keys', () => {
    const { keys } = tokens.jwks();
    expect(keys.map((k) => k.kid)).toEqual(['k-2025', 'k-2026']);
    for (const key of keys) {
      expect(key).toEqual({ kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String), kid: key.kid, alg: 'ES256', use: 'sig' });
    }
    expect(JSON.stringify(keys)).not.toContain(String(newKey.d));
  });

  it('refuses algorithm confusion: an HS256 token keyed with the public key’s bytes', async () => {
    const publicKey = await importJWK(tokens.jwks().keys[1]!, 'ES256');
    const pem = await exportSPKI(publicKey as CryptoKey);
    for (const bytes of [pem, JSON.stringify(tokens.jwks().keys[1])]) {
      const forged = await new SignJWT({ org: org.id })
        .setProtectedHeader({ alg: 'HS256', kid: 'k-2026', typ: 'JWT' })
        .setSubject(org.users.viewer.id).setIssuer('datalinx').setAudience('datalinx-api').setIssuedAt().setNotBefore('0s').setExpirationTime('5m')
        .sign(new TextEncoder().encode(bytes));
      await expect(tokens.verify(forged)).rejects.toThrow('Invalid token');
    }
  });

  describe('a server configured with JWT_ALGORITHM=ES256 and JWT_KEYS_FILE', () => {
    let es: Awaited<ReturnType<typeof startConfiguredServer>>;

    beforeAll(async () => {
      const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'datalinx-jwt-')), 'keys.json');
      await writeFile(file, JSON.stringify({ current: 'k-2026', keys: [oldKey, newKey] }), { mode: 0o600 });
      es = await startConfiguredServer({ JWT_ALGORITHM: 'ES256', JWT_KEYS_FILE: file });
    });
    afterAll(() => es.close());

    const gql = async (bearer: string) => {
      const res = await fetch(`${es.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` }, body: JSON.stringify({ query: ME }) });
      return { status: res.status, body: (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] } };
    };

    it('serves its public keys at /.well-known/jwks.json', async () => {
      const res = await fetch(`${es.url}/.well-known/jwks.json`);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual(tokens.jwks());
    });

    it('accepts its own ES256 tokens and refuses an HS256 token keyed with its public key', async () => {
      const created = await createOrganization(systemScope(es.services, 'test'), { name: 'ES Org', slug: 'es-org' });
      const user = await insertUser(es.db.db, { organization_id: created.id, email: 'ada@es.test', role: 'viewer' });
      expect(await gql(await sessionToken(es, user))).toEqual({ status: 200, body: { data: { me: { email: 'ada@es.test' } } } });

      const forged = await new SignJWT({ org: created.id })
        .setProtectedHeader({ alg: 'HS256', kid: 'k-2026', typ: 'JWT' })
        .setSubject(user.id).setIssuer('datalinx').setAudience('datalinx-api').setIssuedAt().setNotBefore('0s').setExpirationTime('5m')
        .sign(new TextEncoder().encode(JSON.stringify(tokens.jwks().keys[1])));
      const refused = await gql(forged);
      expect({ status: refused.status, codes: refused.body.errors?.map((e) => e.extensions?.code) }).toEqual(UNAUTHENTICATED);
    });
  });
});
