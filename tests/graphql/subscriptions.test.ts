import type { Client } from 'graphql-ws';
import { decodeJwt } from 'jose';
import { sql } from 'kysely';
import WebSocket from 'ws';
import { publishJobEvent } from '../../src/jobs/job-events.dao.js';
import { Tenant } from '../../src/tenancy/tenant.js';
import { createServiceAccount, createWorkspace, globalId, LEAK_PATTERN, localId, mutate, newUser, PASSWORD, seedOrganization, signIn, startTestServer, useTestApi, type SeededOrg } from '../support/index.js';
import { closeOf, feed, wsUrl, listenerPids, liveClient, moveJob, queueJob, terminateListener } from '../support/subscriptions.js';

/**
 * Live updates over a real WebSocket (graphql-ws): job changes made in
 * transactions that publish their event, as workers do, reach subscribers
 * in order; nothing of another organization does; the token is checked at
 * connection_init and its expiry closes the socket; the listener comes back
 * after its backend is terminated and subscribers re-read what they watch.
 */
const { server, org } = useTestApi({ env: { GRAPHQL_MAX_DEPTH: '5', SUBSCRIPTIONS_RECONNECT_MIN_MS: '1000', SUBSCRIPTIONS_RECONNECT_MAX_MS: '2000', SUBSCRIPTIONS_MAX_PER_SOCKET: '3' } });

const JOB_CHANGED = 'subscription($id: ID!) { pipelineJobChanged(id: $id) { id status startedAt completedAt workspace { id } } }';
const WORKSPACE_UPDATED = 'subscription($w: ID!) { pipelineJobUpdated(workspaceId: $w) { id status } }';

type JobView = { id: string; status: string; startedAt: string | null; completedAt: string | null; workspace: { id: string } };

const clients: Client[] = [];
const client = (token: string | null) => {
  const c = liveClient(server.url, token);
  clients.push(c);
  return c;
};
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
});

let other: SeededOrg;
beforeAll(async () => {
  other = await seedOrganization(server);
});

async function workspaceOf(o: SeededOrg) {
  const gid = await createWorkspace(server, o.users.editor.token);
  return { gid, id: localId(gid) };
}

describe('pipelineJobChanged', () => {
  it('a viewer sees the job pending, then running, then completed, in order', async () => {
    const ws = await workspaceOf(org);
    const jobId = await queueJob(server.db.db, org, ws.id);
    const jobGid = globalId('PipelineJob', jobId);
    const sub = feed<{ pipelineJobChanged: JobView }>(client(org.users.viewer.token), JOB_CHANGED, { id: jobGid });

    const first = await sub.next();
    expect(first).toEqual({ data: { pipelineJobChanged: { id: jobGid, status: 'PENDING', startedAt: null, completedAt: null, workspace: { id: ws.gid } } } });
    await moveJob(server.db.db, org, ws.id, jobId, 'running');
    const second = await sub.next();
    expect(second.data?.pipelineJobChanged).toEqual({ id: jobGid, status: 'RUNNING', startedAt: expect.any(String), completedAt: null, workspace: { id: ws.gid } });
    await moveJob(server.db.db, org, ws.id, jobId, 'completed');
    const third = await sub.next();
    expect(third.data?.pipelineJobChanged).toEqual({ id: jobGid, status: 'COMPLETED', startedAt: second.data?.pipelineJobChanged.startedAt, completedAt: expect.any(String), workspace: { id: ws.gid } });
    await sub.close();
  });

  it("another organization's job is NOT_FOUND, like one that does not exist", async () => {
    const theirs = await workspaceOf(other);
    const jobId = await queueJob(server.db.db, other, theirs.id);
    const sub = feed(client(org.users.owner.token), JOB_CHANGED, { id: globalId('PipelineJob', jobId) });
    expect(await sub.next()).toEqual({ errors: [expect.objectContaining({ message: expect.stringMatching(/was not found/), path: ['pipelineJobChanged'], extensions: { code: 'NOT_FOUND' } })] });
  });

  it('an id of another type is NOT_FOUND', async () => {
    const ws = await workspaceOf(org);
    expect(await feed(client(org.users.viewer.token), JOB_CHANGED, { id: ws.gid }).next()).toEqual({ errors: [expect.objectContaining({ extensions: { code: 'NOT_FOUND' } })] });
  });
});

describe('pipelineJobUpdated', () => {
  it("sees the workspace's jobs as they are queued and change, and nothing of another organization", async () => {
    const ours = await workspaceOf(org);
    const theirs = await workspaceOf(other);
    const sub = feed<{ pipelineJobUpdated: { id: string; status: string } }>(client(org.users.viewer.token), WORKSPACE_UPDATED, { w: ours.gid });
    const started = sub.next();

    // Events of the other organization first (and a forged one naming our organization with their job):
    // the first thing our subscriber sees must be our own job.
    const foreignJob = await queueJob(server.db.db, other, theirs.id);
    await moveJob(server.db.db, other, theirs.id, foreignJob, 'running');
    await new Tenant(server.db.db, org).transaction(({ platform }) => publishJobEvent(platform, { organizationId: org.id, workspaceId: ours.id, jobId: foreignJob }));
    const jobId = await queueJob(server.db.db, org, ours.id);
    const gid = globalId('PipelineJob', jobId);
    expect(await started).toEqual({ data: { pipelineJobUpdated: { id: gid, status: 'PENDING' } } });
    // The first state may come twice: once from the start's read, once from the queueing's own event
    // when it arrives after that read began. What matters is the order of the changes.
    const nextChange = async (previous: string) => {
      for (;;) {
        const message = await sub.next();
        if (message.data?.pipelineJobUpdated.status !== previous) return message;
      }
    };
    await moveJob(server.db.db, org, ours.id, jobId, 'running');
    expect(await nextChange('PENDING')).toEqual({ data: { pipelineJobUpdated: { id: gid, status: 'RUNNING' } } });
    await moveJob(server.db.db, org, ours.id, jobId, 'completed');
    expect(await nextChange('RUNNING')).toEqual({ data: { pipelineJobUpdated: { id: gid, status: 'COMPLETED' } } });
    await sub.close();
  });

  it('starts with the pending and running jobs of the workspace; a job of another workspace is not sent', async () => {
    const ws = await workspaceOf(org);
    const elsewhere = await workspaceOf(org);
    const running = await queueJob(server.db.db, org, ws.id);
    await moveJob(server.db.db, org, ws.id, running, 'running');
    const done = await queueJob(server.db.db, org, ws.id);
    await moveJob(server.db.db, org, ws.id, done, 'completed');
    const sub = feed<{ pipelineJobUpdated: { id: string; status: string } }>(client(org.users.viewer.token), WORKSPACE_UPDATED, { w: ws.gid });
    expect(await sub.next()).toEqual({ data: { pipelineJobUpdated: { id: globalId('PipelineJob', running), status: 'RUNNING' } } });
    await queueJob(server.db.db, org, elsewhere.id);
    const mine = await queueJob(server.db.db, org, ws.id);
    expect(await sub.next()).toEqual({ data: { pipelineJobUpdated: { id: globalId('PipelineJob', mine), status: 'PENDING' } } });
    await sub.close();
  });

  it("another organization's workspace is NOT_FOUND", async () => {
    const theirs = await workspaceOf(other);
    expect(await feed(client(org.users.admin.token), WORKSPACE_UPDATED, { w: theirs.gid }).next()).toEqual({
      errors: [expect.objectContaining({ message: expect.stringMatching(/was not found/), extensions: { code: 'NOT_FOUND' } })],
    });
  });

  it('a service account subscribes with its API key', async () => {
    const ws = await workspaceOf(org);
    const { apiKey } = await createServiceAccount(server, org.users.admin.token, 'VIEWER');
    const sub = feed<{ pipelineJobUpdated: { id: string } }>(client(apiKey), WORKSPACE_UPDATED, { w: ws.gid });
    const next = sub.next();
    const jobId = await queueJob(server.db.db, org, ws.id);
    expect(await next).toEqual({ data: { pipelineJobUpdated: { id: globalId('PipelineJob', jobId), status: 'PENDING' } } });
  });
});

describe('connection_init: the token', () => {
  it('no token, a malformed one, a bad one, or no connection_init payload: closed with 4403 Forbidden', async () => {
    const forged = `${org.users.viewer.token.slice(0, -4)}AAAA`;
    for (const init of [{}, { authorization: 'Basic abc' }, { authorization: `Bearer ${forged}` }, { authorization: 'Bearer dlx_nope' }, { authorization: 42 }]) {
      expect(await closeOf(server.url, init)).toEqual({ code: 4403, reason: 'Forbidden', acked: false });
    }
  });

  it('a socket that never sends connection_init is closed with 4408', async () => {
    const closed = await closeOf(server.url, null);
    expect(closed.code).toBe(4408);
  });

  it('the socket is closed with 4403 when the access token expires', async () => {
    const { sub, org: orgId, sid } = decodeJwt(org.users.viewer.token) as { sub: string; org: string; sid: string };
    const shortLived = await server.services.tokens.sign({ sub, org: orgId, sid }, 2);
    const ws = await workspaceOf(org);
    const closed = await closeOf(server.url, { authorization: `Bearer ${shortLived}` }, (socket) =>
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: WORKSPACE_UPDATED, variables: { w: ws.gid } } })),
    );
    expect(closed).toEqual({ code: 4403, reason: 'Token expired', acked: true });
  });

  it('only the GraphQL path upgrades', async () => {
    const refused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(wsUrl(server.url).replace(/\/graphql$/, '/healthz'), 'graphql-transport-ws');
      ws.on('open', () => resolve('open'));
      ws.on('error', (e) => resolve(e.message));
    });
    expect(refused).toBe('Unexpected server response: 404');
  });
});

/**
 * A raw socket that subscribes once acknowledged: `acked` resolves then, `closed` with how the
 * server closed it; `sent` counts the results it received.
 */
function openSocket(authorization: string, workspaceGid: string) {
  let acked!: () => void;
  const ready = new Promise<void>((resolve) => (acked = resolve));
  const closed = closeOf(server.url, { authorization }, (socket) => {
    socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: WORKSPACE_UPDATED, variables: { w: workspaceGid } } }));
    acked();
  });
  return { ready, closed };
}

/** Resolves with 'open' when `closed` has not settled within `ms` (the socket was left alone). */
const stillOpenAfter = (closed: Promise<unknown>, ms: number) => Promise.race([closed, new Promise((resolve) => setTimeout(() => resolve('open'), ms))]);

describe('credentials that change while a socket is open', () => {
  it('logout ends the session: its socket is closed with 4403 at once, while another session of the organization stays open', async () => {
    const member = await newUser(server, org, 'viewer', PASSWORD);
    const session = await signIn(server, member.email);
    const ws = await workspaceOf(org);
    const revoked = openSocket(`Bearer ${session.accessToken}`, ws.gid);
    const bystander = openSocket(`Bearer ${org.users.viewer.token}`, ws.gid);
    await Promise.all([revoked.ready, bystander.ready]);
    expect(await mutate(server, 'mutation($t: String!) { logout(refreshToken: $t) }', { t: session.refreshToken })).toBe(true);
    expect(await revoked.closed).toEqual({ code: 4403, reason: 'Credentials revoked', acked: true });
    expect(await stillOpenAfter(bystander.closed, 500)).toBe('open');
  });

  it("a role change closes the member's socket (4403, reconnect to act with the new role); other organizations' sockets are untouched", async () => {
    const member = await newUser(server, org, 'viewer');
    const ws = await workspaceOf(org);
    const theirs = await workspaceOf(other);
    const changed = openSocket(`Bearer ${member.token}`, ws.gid);
    const elsewhere = openSocket(`Bearer ${other.users.viewer.token}`, theirs.gid);
    await Promise.all([changed.ready, elsewhere.ready]);
    const r = await mutate<{ __typename: string }>(server, 'mutation($u: ID!) { updateUserRole(userId: $u, role: EDITOR) { __typename } }', { u: member.globalId }, org.users.admin.token);
    expect(r.__typename).toBe('UpdateUserRolePayload');
    expect(await changed.closed).toEqual({ code: 4403, reason: 'Permissions changed; reconnect', acked: true });
    expect(await stillOpenAfter(elsewhere.closed, 500)).toBe('open');
    // The token is still good: a new socket acts with the new role.
    const again = feed<{ pipelineJobUpdated: { id: string } }>(client(member.token), WORKSPACE_UPDATED, { w: ws.gid });
    const next = again.next();
    const jobId = await queueJob(server.db.db, org, ws.id);
    expect(await next).toEqual({ data: { pipelineJobUpdated: { id: globalId('PipelineJob', jobId), status: 'PENDING' } } });
  });

  it("a revoked API key's socket is closed with 4403", async () => {
    const { apiKey, keyId } = await createServiceAccount(server, org.users.admin.token, 'VIEWER');
    const ws = await workspaceOf(org);
    const socket = openSocket(`Bearer ${apiKey}`, ws.gid);
    await socket.ready;
    const r = await mutate<{ __typename: string }>(server, 'mutation($k: ID!) { revokeServiceAccountKey(keyId: $k) { __typename } }', { k: keyId }, org.users.admin.token);
    expect(r.__typename).toBe('RevokeServiceAccountKeyPayload');
    expect(await socket.closed).toEqual({ code: 4403, reason: 'Credentials revoked', acked: true });
  });

  it('a removed member\'s socket is closed with 4403', async () => {
    const member = await newUser(server, org, 'viewer');
    const ws = await workspaceOf(org);
    const socket = openSocket(`Bearer ${member.token}`, ws.gid);
    await socket.ready;
    const r = await mutate<{ __typename: string }>(server, 'mutation($u: ID!) { removeUser(userId: $u) { __typename } }', { u: member.globalId }, org.users.admin.token);
    expect(r.__typename).toBe('RemoveUserPayload');
    expect(await socket.closed).toEqual({ code: 4403, reason: 'Credentials revoked', acked: true });
  });
});

describe('the same rules as HTTP', () => {
  it('depth over the limit is refused before the subscription starts (QUERY_LIMIT)', async () => {
    const deep = 'subscription($id: ID!) { pipelineJobChanged(id: $id) { workspace { pipelineJobs { edges { node { id } } } } } }';
    const err = await feed(client(org.users.viewer.token), deep, { id: globalId('PipelineJob', '00000000-0000-4000-8000-000000000000') })
      .next()
      .catch((e: unknown) => e);
    expect(err).toEqual([expect.objectContaining({ message: expect.stringMatching(/depth \d+ exceeds the limit of 5/), extensions: { code: 'QUERY_LIMIT' } })]);
  });

  it('validation, parse and variable errors carry their client codes; queries and mutations stay on HTTP', async () => {
    const c = client(org.users.viewer.token);
    const cases: [string, Record<string, unknown>, string][] = [
      ['subscription { pipelineJobChanged(id: "x") { nope } }', {}, 'GRAPHQL_VALIDATION_FAILED'],
      ['subscription { pipelineJobChanged(', {}, 'GRAPHQL_PARSE_FAILED'],
      ['subscription($id: ID!) { pipelineJobChanged(id: $id) { id } }', { id: { not: 'an id' } }, 'BAD_USER_INPUT'],
      ['{ me { id } }', {}, 'BAD_REQUEST'],
      [`subscription { pipelineJobChanged(id: "x") { ${Array.from({ length: 20 }, (_, i) => `a${i}: id`).join(' ')} } }`, {}, 'GRAPHQL_VALIDATION_FAILED'],
      [`subscription { pipelineJobChanged(id: "x") { ${'id '.repeat(600)} } }`, {}, 'QUERY_LIMIT'],
    ];
    for (const [query, variables, code] of cases) {
      const err = (await feed(c, query, variables).next().catch((e: unknown) => e)) as { message: string; extensions: { code: string } }[] | { errors: { extensions: { code: string } }[] };
      const errors = Array.isArray(err) ? err : ((err as { errors?: { message: string; extensions: { code: string } }[] }).errors ?? [{ message: JSON.stringify(err), extensions: { code: 'none' } }]);
      expect({ query, codes: errors.map((e) => e.extensions.code) }).toEqual({ query, codes: [code] });
      // ("Syntax Error:" is how graphql-js and graphql-armor start their messages, as over HTTP)
      expect(JSON.stringify(errors).replace(/Syntax Error:/g, '')).not.toMatch(LEAK_PATTERN);
    }
  });

  it('one socket runs at most SUBSCRIPTIONS_MAX_PER_SOCKET subscriptions; completing one frees its place', async () => {
    const ws = await workspaceOf(org);
    const c = client(org.users.viewer.token);
    const jobs = await Promise.all([1, 2, 3, 4].map(() => queueJob(server.db.db, org, ws.id)));
    const subs = jobs.map((j) => feed<{ pipelineJobChanged: { status: string } }>(c, 'subscription($id: ID!) { pipelineJobChanged(id: $id) { status } }', { id: globalId('PipelineJob', j) }));
    for (const s of subs.slice(0, 3)) expect(await s.next()).toEqual({ data: { pipelineJobChanged: { status: 'PENDING' } } });
    expect(await subs[3]!.next().catch((e: unknown) => e)).toEqual([expect.objectContaining({ message: expect.stringMatching(/At most 3 subscriptions/), extensions: { code: 'QUERY_LIMIT' } })]);
    await subs[0]!.close();
    const again = feed(c, 'subscription($id: ID!) { pipelineJobChanged(id: $id) { status } }', { id: globalId('PipelineJob', jobs[3]!) });
    expect(await again.next()).toEqual({ data: { pipelineJobChanged: { status: 'PENDING' } } });
  });

  it('a failure while re-reading is masked: "Internal server error" with the request id, no SQL', async () => {
    const doomed = await seedOrganization(server);
    const ws = await workspaceOf(doomed);
    const jobId = await queueJob(server.db.db, doomed, ws.id);
    const sub = feed(client(doomed.users.viewer.token), 'subscription($id: ID!) { pipelineJobChanged(id: $id) { status } }', { id: globalId('PipelineJob', jobId) });
    expect(await sub.next()).toEqual({ data: { pipelineJobChanged: { status: 'PENDING' } } });
    // test arrangement: the organization's tables vanish under the subscriber, then its job is announced
    await sql`drop schema ${sql.id(doomed.schema_name)} cascade`.execute(server.db.db);
    await publishJobEvent(server.db.db, { organizationId: doomed.id, workspaceId: ws.id, jobId });
    const err = await sub.next().catch((e: unknown) => e);
    expect(err).toEqual([{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR', requestId: expect.any(String) } }]);
    expect(JSON.stringify(err)).not.toMatch(LEAK_PATTERN);
  });

  it('a subscription over HTTP is a validation failure pointing to WebSocket', async () => {
    const res = await server.gql('subscription($id: ID!) { pipelineJobChanged(id: $id) { id } }', { id: 'x' }, org.users.viewer.token);
    expect({ status: res.status, codes: res.body.errors?.map((e) => e.extensions?.code), message: res.body.errors?.[0]?.message }).toEqual({
      status: 400,
      codes: ['GRAPHQL_VALIDATION_FAILED'],
      message: expect.stringMatching(/WebSocket/),
    });
  });
});

describe('the listener', () => {
  it('reconnects after its backend is terminated; subscribers re-read their jobs, so a change made meanwhile is not missed', async () => {
    const ws = await workspaceOf(org);
    const jobId = await queueJob(server.db.db, org, ws.id);
    const gid = globalId('PipelineJob', jobId);
    const job = feed<{ pipelineJobChanged: { id: string; status: string } }>(client(org.users.viewer.token), 'subscription($id: ID!) { pipelineJobChanged(id: $id) { id status } }', { id: gid });
    const workspace = feed<{ pipelineJobUpdated: { id: string; status: string } }>(client(org.users.editor.token), WORKSPACE_UPDATED, { w: ws.gid });
    expect((await job.next()).data?.pipelineJobChanged.status).toBe('PENDING');
    expect((await workspace.next()).data?.pipelineJobUpdated).toEqual({ id: gid, status: 'PENDING' });

    const [before] = await terminateListener(server.db.db);
    expect(before).toEqual(expect.any(Number));
    // The change is made while nobody listens (the listener waits at least half a second to reconnect): its notification is lost.
    while ((await listenerPids(server.db.db)).includes(before!)) await new Promise((r) => setTimeout(r, 20));
    await moveJob(server.db.db, org, ws.id, jobId, 'running');

    expect((await job.next()).data?.pipelineJobChanged).toEqual({ id: gid, status: 'RUNNING' });
    expect((await workspace.next()).data?.pipelineJobUpdated).toEqual({ id: gid, status: 'RUNNING' });
    const after = await listenerPids(server.db.db);
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(before);

    // And updates flow again on the new connection.
    await moveJob(server.db.db, org, ws.id, jobId, 'completed');
    expect((await job.next()).data?.pipelineJobChanged).toEqual({ id: gid, status: 'COMPLETED' });
    expect((await workspace.next()).data?.pipelineJobUpdated).toEqual({ id: gid, status: 'COMPLETED' });
  });
});

describe('metrics', () => {
  it('counts open sockets and running subscriptions', async () => {
    const withMetrics = await startTestServer({}, { metrics: true });
    try {
      const o = await seedOrganization(withMetrics);
      const gid = await createWorkspace(withMetrics, o.users.editor.token);
      const gauges = async () => {
        const text = await (await fetch(`${withMetrics.url}/metrics`)).text();
        return text.split('\n').filter((l) => /^datalinx_(websocket_connections|graphql_subscriptions) /.test(l));
      };
      expect(await gauges()).toEqual(['datalinx_websocket_connections 0', 'datalinx_graphql_subscriptions 0']);
      const c = liveClient(withMetrics.url, o.users.viewer.token);
      const sub = feed(c, WORKSPACE_UPDATED, { w: gid });
      const first = sub.next();
      await queueJob(withMetrics.db.db, o, localId(gid));
      await first;
      expect(await gauges()).toEqual(['datalinx_websocket_connections 1', 'datalinx_graphql_subscriptions 1']);
      await sub.close();
      await c.dispose();
      while ((await gauges())[0] !== 'datalinx_websocket_connections 0') await new Promise((r) => setTimeout(r, 20));
      expect(await gauges()).toEqual(['datalinx_websocket_connections 0', 'datalinx_graphql_subscriptions 0']);
    } finally {
      await withMetrics.close();
    }
  });
});
