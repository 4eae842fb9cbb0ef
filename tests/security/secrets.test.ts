import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { createWorkspace, newUser, PASSWORD, totp, useWorld } from '../support/index.js';

/**
 * Secrets go in and never come out: not in any answer but the one that hands
 * them over once (an API key, a session, recovery codes, an MFA secret, an
 * invitation), not in any log line, errors included, and not in clear in the
 * database.
 */

const logLines: string[] = [];
const { server, world } = useWorld({ logLines });

/** Each secret, and the label of the one response allowed to show it (none for those a client only sends). */
const secrets = new Map<string, string | null>();
const responses: { label: string; text: string }[] = [];

const secret = (kind: string, shownOnceBy: string | null = null) => {
  const value = `${kind}-${randomUUID()}`;
  secrets.set(value, shownOnceBy);
  return value;
};

/** A request whose answer is kept, to search it for secrets afterwards. */
async function call(label: string, query: string, variables: Record<string, unknown>, token?: string, method: 'POST' | 'GET' = 'POST') {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const res =
    method === 'POST'
      ? await fetch(`${server.url}/graphql`, { method, headers, body: JSON.stringify({ query, variables }) })
      : await fetch(`${server.url}/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify(variables))}`, { headers: { ...headers, 'apollo-require-preflight': '1' } });
  const text = await res.text();
  responses.push({ label, text });
  return JSON.parse(text) as { data?: Record<string, Record<string, unknown>>; errors?: unknown[] };
}

/** Registers a secret the server generated, shown by the response of `label`. */
const handedOver = (value: string, label: string) => secrets.set(value, label);

const DS_FIELDS = `id name connectionConfig { __typename
  ... on PostgresConnectionConfig { host user database sslMode hasPassword }
  ... on SnowflakeConnectionConfig { account user hasPassword hasPrivateKey }
  ... on ApiConnectionConfig { baseUrl authType username headers hasToken } }`;


describe('secrets never leak', () => {
  it('data source credentials, API keys, sessions, MFA secrets, recovery codes and passwords go through every path', async () => {
    const { editor, admin } = world.callers;
    // Bearer tokens travel in the Authorization header, which the log never shows.
    for (const bearer of [editor.token, admin.token]) secrets.set(bearer, null);
    const ws = await createWorkspace(server, editor.token);
    const configs = [
      { postgresql: { host: 'db.example.com', database: 'crm', user: 'reader', password: secret('pg-password') } },
      { snowflake: { account: 'acme', warehouse: 'WH', database: 'RAW', user: 'loader', password: secret('sf-password'), privateKey: `-----BEGIN PRIVATE KEY-----${secret('sf-key')}-----END PRIVATE KEY-----` } },
      { api: { baseUrl: 'https://api.example.com', authType: 'bearer', token: secret('api-token') } },
    ];
    const ids: string[] = [];
    for (const [i, connectionConfig] of configs.entries()) {
      const r = await call(`createDataSource ${i}`, `mutation($i: CreateDataSourceInput!) { createDataSource(input: $i) { ... on CreateDataSourcePayload { dataSource { ${DS_FIELDS} } } } }`, { i: { workspaceId: ws, name: `source ${i}`, connectionConfig } }, editor.token);
      ids.push((r.data!.createDataSource!.dataSource as { id: string }).id);
    }
    const update = `mutation($i: UpdateDataSourceInput!) { updateDataSource(input: $i) { __typename ... on UpdateDataSourcePayload { dataSource { ${DS_FIELDS} } } ... on Error { message } } }`;
    await call('update: new secret', update, { i: { id: ids[0], connectionConfig: { postgresql: { host: 'db2.example.com', database: 'crm', user: 'reader', password: secret('pg-rotated') } } } }, editor.token);
    await call('update: masked secret kept', update, { i: { id: ids[1], connectionConfig: { snowflake: { ...configs[1]!.snowflake, password: '********', privateKey: '********' } } } }, editor.token);
    await call('update: wrong type, with a secret', update, { i: { id: ids[2], connectionConfig: { postgresql: { host: 'h', database: 'd', user: 'u', password: secret('pg-refused') } } } }, editor.token);
    await call('create: invalid, with a secret', 'mutation($i: CreateDataSourceInput!) { createDataSource(input: $i) { __typename ... on Error { message } } }', { i: { workspaceId: ws, name: 'bad', connectionConfig: { api: { baseUrl: 'not a url', token: secret('api-refused') } } } }, editor.token);
    await call('create: secret too long', 'mutation($i: CreateDataSourceInput!) { createDataSource(input: $i) { __typename ... on Error { message } } }', { i: { workspaceId: ws, name: 'long', connectionConfig: { api: { baseUrl: 'https://x.test', token: `${secret('api-long')}${'k'.repeat(17_000)}` } } } }, editor.token);

    // Every read that reaches a data source.
    await call('dataSource', `query($id: ID!) { dataSource(id: $id) { ${DS_FIELDS} } }`, { id: ids[1] }, editor.token);
    await call('node', `query($id: ID!) { node(id: $id) { ... on DataSource { ${DS_FIELDS} } } }`, { id: ids[2] }, editor.token);
    await call('nodes', `query($ids: [ID!]!) { nodes(ids: $ids) { ... on DataSource { ${DS_FIELDS} } } }`, { ids }, editor.token);
    await call('workspace.dataSources', `query($id: ID!) { workspace(id: $id) { dataSources { edges { node { ${DS_FIELDS} } } } } }`, { id: ws }, editor.token);
    await call('deactivate', `mutation($id: ID!) { deactivateDataSource(id: $id) { ... on DeactivateDataSourcePayload { dataSource { ${DS_FIELDS} } } } }`, { id: ids[0] }, editor.token);

    // Service accounts: the key is shown by the mutation that creates it, once.
    const created = await call('createServiceAccount', 'mutation { createServiceAccount(input: { name: "ci", role: EDITOR }) { ... on ApiKeyPayload { apiKey serviceAccount { id } } } }', {}, admin.token);
    const apiKey = created.data!.createServiceAccount!.apiKey as string;
    handedOver(apiKey, 'createServiceAccount');
    const saId = (created.data!.createServiceAccount!.serviceAccount as { id: string }).id;
    const second = await call('createServiceAccountKey', 'mutation($id: ID!) { createServiceAccountKey(serviceAccountId: $id) { ... on ApiKeyPayload { apiKey } } }', { id: saId }, admin.token);
    handedOver(second.data!.createServiceAccountKey!.apiKey as string, 'createServiceAccountKey');
    await call('query with the key', '{ workspaces { totalCount } }', {}, apiKey);
    await call('a wrong key', '{ workspaces { totalCount } }', {}, `${apiKey.slice(0, -4)}AAAA`);
    await call('serviceAccounts', '{ serviceAccounts { edges { node { id name keys { id prefix } } } } }', {}, admin.token);

    // People: created with a password, invited, signing in with MFA.
    await call('createUser', 'mutation($i: CreateUserInput!) { createUser(input: $i) { __typename } }', { i: { email: `${randomUUID()}@example.test`, role: 'VIEWER', password: secret('created-password') } }, admin.token);
    const invited = await call('inviteUser', 'mutation { inviteUser(input: { email: "invitee@example.test", role: VIEWER }) { ... on Invitation { invitationToken } } }', {}, admin.token);
    const invitationToken = invited.data!.inviteUser!.invitationToken as string;
    handedOver(invitationToken, 'inviteUser');
    const accepted = await call('acceptInvitation', 'mutation($t: String!, $p: String!) { acceptInvitation(invitationToken: $t, password: $p) { ... on AcceptInvitationPayload { session { accessToken refreshToken } } } }', { t: invitationToken, p: secret('invitee-password') });
    const acceptedSession = accepted.data!.acceptInvitation!.session as { accessToken: string; refreshToken: string };
    handedOver(acceptedSession.refreshToken, 'acceptInvitation');

    const person = await newUser(server, world.org, 'editor', PASSWORD);
    const enrolled = await call('enrollMfa', 'mutation { enrollMfa { ... on MfaEnrollment { secret otpauthUri } } }', {}, person.token);
    const mfaSecret = enrolled.data!.enrollMfa!.secret as string;
    handedOver(mfaSecret, 'enrollMfa');
    const confirmed = await call('confirmMfa', 'mutation($c: String!) { confirmMfa(code: $c) { ... on MfaRecoveryCodes { recoveryCodes } } }', { c: totp(mfaSecret) }, person.token);
    const codes = confirmed.data!.confirmMfa!.recoveryCodes as string[];
    codes.forEach((c) => handedOver(c, 'confirmMfa'));
    await call('login: wrong password', 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { __typename } }', { e: person.email, p: secret('wrong-password') });
    const loginQuery = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { ... on LoginPayload { mfaChallenge { challenge } } } }';
    secrets.set(PASSWORD, null);
    const challenged = await call('login', loginQuery, { e: person.email, p: PASSWORD });
    const challenge = (challenged.data!.login!.mfaChallenge as { challenge: string }).challenge;
    handedOver(challenge, 'login');
    const verified = await call('verifyMfa', 'mutation($ch: String!, $c: String!) { verifyMfa(challenge: $ch, code: $c) { ... on VerifyMfaPayload { session { accessToken refreshToken } } } }', { ch: challenge, c: codes[0] });
    const session = verified.data!.verifyMfa!.session as { accessToken: string; refreshToken: string };
    handedOver(session.refreshToken, 'verifyMfa');
    const refreshed = await call('refreshToken', 'mutation($r: String!) { refreshToken(refreshToken: $r) { ... on RefreshTokenPayload { session { refreshToken } } } }', { r: session.refreshToken });
    handedOver((refreshed.data!.refreshToken!.session as { refreshToken: string }).refreshToken, 'refreshToken');
    await call('refreshToken: reused', 'mutation($r: String!) { refreshToken(refreshToken: $r) { __typename } }', { r: session.refreshToken });
    await call('changePassword', 'mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { __typename } }', { c: PASSWORD, n: secret('new-password') }, person.token);
    await call('login by GET (refused)', 'mutation { login(email: "x@example.test", password: "get-password-in-url") { __typename } }', {}, undefined, 'GET');
    secrets.set('get-password-in-url', null);

    // An unexpected failure while a secret is in the request: the error is logged, the secret is not.
    await sql`create or replace function public.refuse_source() returns trigger language plpgsql as $$ begin raise exception 'storage unavailable'; end $$;
      create trigger refuse_source before insert on ${sql.table(`${world.org.schema_name}.data_sources`)} for each row execute function public.refuse_source()`.execute(server.db.db);
    await call('create: internal error', 'mutation($i: CreateDataSourceInput!) { createDataSource(input: $i) { __typename } }', { i: { workspaceId: ws, name: 'x', connectionConfig: { postgresql: { host: 'h', database: 'd', user: 'u', password: secret('pg-during-error') } } } }, editor.token);
    await sql`drop trigger refuse_source on ${sql.table(`${world.org.schema_name}.data_sources`)}`.execute(server.db.db);

    // The audit log, where every change above left its trace.
    await call('auditLog', '{ auditLog(first: 100) { edges { node { action changes } } } }', {}, admin.token);
    expect(logLines.some((l) => (JSON.parse(l) as { level: number }).level >= 50)).toBe(true);

    const found = [...secrets].flatMap(([value, allowedIn]) => [
      ...responses.filter((r) => r.label !== allowedIn && r.text.includes(value)).map((r) => `response to ${r.label}`),
      ...logLines.filter((l) => l.includes(value)).map((l) => `log line ${l.slice(0, 120)}`),
    ].map((where) => `${value.slice(0, 24)}… in ${where}`));
    expect(logLines.find((l) => l.includes('incoming request') && l.includes('"GET"'))).toMatch(/"url":"\/graphql"/);
    expect(found).toEqual([]);
  });

  it('none of them is stored in clear', async () => {
    const { rows } = await sql<{ t: string }>`select table_schema || '.' || table_name as t from information_schema.tables
      where table_type = 'BASE TABLE' and (table_schema = 'datalinx_platform' or table_schema like 'org\\_%')`.execute(server.db.db);
    let dump = '';
    for (const { t } of rows) {
      // test probe: every row of one table, as text
      const r = await sql<{ d: string | null }>`select string_agg(x::text, E'\\n') as d from ${sql.table(t)} x`.execute(server.db.db);
      dump += r.rows[0]!.d ?? '';
    }
    expect(dump).toContain(world.org.users.owner.email);
    expect([...secrets.keys()].filter((s) => dump.includes(s)).map((s) => s.slice(0, 24))).toEqual([]);
  });
});
