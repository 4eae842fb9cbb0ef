import { seedOrganization, startTestServer } from '../support/index.js';

/**
 * The end of a shutdown: the grace period is over and the pool is closed, yet
 * a request that waited its turn (GRAPHQL_MAX_CONCURRENT) reaches the
 * database. It is the database being unavailable to this process, not a
 * bug: a 503 the client retries elsewhere, logged without an error.
 */
it('a request that reaches the database after the pool closed is a 503 SERVICE_UNAVAILABLE with Retry-After, not a 500', async () => {
  const logLines: string[] = [];
  const server = await startTestServer({ LOG_LEVEL: 'info', SESSION_CACHE_TTL_MS: '0' }, { logLines });
  try {
    const org = await seedOrganization(server);
    expect((await server.gql('{ me { email } }', {}, org.users.viewer.token)).status).toBe(200);
    await server.db.db.destroy();

    const res = await server.gql('{ me { email } }', {}, org.users.viewer.token);
    expect({ status: res.status, code: res.body.errors?.[0]?.extensions?.code, retryAfter: res.headers.get('retry-after') }).toEqual({
      status: 503,
      code: 'SERVICE_UNAVAILABLE',
      retryAfter: expect.stringMatching(/^\d+$/),
    });
    const errors = logLines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 50);
    expect(errors).toEqual([]);
  } finally {
    await server.app.close();
    await server.services.jobQueue.close();
  }
});
