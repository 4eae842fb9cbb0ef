import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { seedOrganization, startTestServer, type TestServer } from '../support/index.js';

/**
 * GraphiQL is served by our own server from bundled assets: a real headless
 * Chromium opens /graphql, runs a query with a token and sees the data, and
 * no request leaves the server's origin.
 */
let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

test('GraphiQL at /graphql runs a query with a bearer token and shows the data, loading nothing from elsewhere', async () => {
  const org = await seedOrganization(server);
  const created = await server.gql<{ createWorkspace: { workspace: { id: string } } }>(
    'mutation { createWorkspace(input: { name: "Browser Workspace" }) { ... on CreateWorkspacePayload { workspace { id } } } }',
    {},
    org.users.editor.token,
  );
  expect(created.body.data?.createWorkspace.workspace.id).toBeTruthy();

  const page = await browser.newPage();
  const foreign: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) foreign.push(r.url());
  });
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));

  const response = await page.goto(`${server.url}/graphql`);
  expect(response?.headers()['content-type']).toContain('text/html');
  expect(response?.headers()['content-security-policy']).toContain("default-src 'none'");
  await page.waitForSelector('.graphiql-query-editor .CodeMirror');

  await page.evaluate((token) => {
    type CM = { CodeMirror: { setValue(v: string): void } };
    const headers = document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror') as unknown as CM;
    headers.CodeMirror.setValue(JSON.stringify({ Authorization: `Bearer ${token}` }));
    const query = document.querySelector('.graphiql-query-editor .CodeMirror') as unknown as CM;
    query.CodeMirror.setValue('{ workspaces(first: 5) { totalCount edges { node { name } } } }');
  }, org.users.viewer.token);
  await page.click('button.graphiql-execute-button');
  await page.waitForFunction(() => {
    const cm = document.querySelector('.graphiql-response .CodeMirror') as unknown as { CodeMirror: { getValue(): string } } | null;
    return cm?.CodeMirror.getValue().includes('totalCount');
  });
  const result = await page.evaluate(() =>
    (document.querySelector('.graphiql-response .CodeMirror') as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue(),
  );
  expect(JSON.parse(result)).toEqual({ data: { workspaces: { totalCount: 1, edges: [{ node: { name: 'Browser Workspace' } }] } } });
  expect(foreign).toEqual([]);
  expect(consoleErrors).toEqual([]);
  await page.close();
});

test('/graphiql serves the same page and its assets come from this server', async () => {
  const res = await fetch(`${server.url}/graphiql`);
  expect(res.status).toBe(200);
  const html = await res.text();
  const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
  expect(assets.length).toBeGreaterThanOrEqual(2);
  for (const asset of assets) {
    expect(asset.startsWith('/graphiql/assets/')).toBe(true);
    expect((await fetch(`${server.url}${asset}`)).status).toBe(200);
  }
});
