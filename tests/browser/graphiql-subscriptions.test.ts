import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { createWorkspace, globalId, localId, seedOrganization, startTestServer, type TestServer } from '../support/index.js';
import { moveJob, queueJob } from '../support/subscriptions.js';

/**
 * The bundled GraphiQL runs subscriptions: in a real headless Chromium, a
 * subscription typed into the page goes over WebSocket to the same server
 * (the Authorization header from the headers editor is the connection_init
 * token) and the response pane follows the job live, under the page's CSP.
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

type CM = { CodeMirror: { setValue(v: string): void; getValue(): string } };

test('GraphiQL runs a subscription over WebSocket and shows each new state of the job', async () => {
  const org = await seedOrganization(server);
  const workspaceId = localId(await createWorkspace(server, org.users.editor.token));
  const jobId = await queueJob(server.db.db, org, workspaceId);

  const page = await browser.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
  const sockets: string[] = [];
  page.on('websocket', (ws) => sockets.push(ws.url()));

  await page.goto(`${server.url}/graphql`);
  await page.waitForSelector('.graphiql-query-editor .CodeMirror');
  await page.evaluate(
    ([token, id]) => {
      const headers = document.querySelector('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror') as unknown as CM;
      headers.CodeMirror.setValue(JSON.stringify({ Authorization: `Bearer ${token}` }));
      const query = document.querySelector('.graphiql-query-editor .CodeMirror') as unknown as CM;
      query.CodeMirror.setValue(`subscription Watch { pipelineJobChanged(id: "${id}") { status } }`);
    },
    [org.users.viewer.token, globalId('PipelineJob', jobId)] as const,
  );
  await page.click('button.graphiql-execute-button');

  const responseShows = (status: string) =>
    page.waitForFunction((s) => {
      const cm = document.querySelector('.graphiql-response .CodeMirror') as unknown as CM | null;
      return cm?.CodeMirror.getValue().includes(s);
    }, status);
  const response = () => page.evaluate(() => (document.querySelector('.graphiql-response .CodeMirror') as unknown as CM).CodeMirror.getValue());

  await responseShows('PENDING');
  expect(JSON.parse(await response())).toEqual({ data: { pipelineJobChanged: { status: 'PENDING' } } });
  await moveJob(server.db.db, org, workspaceId, jobId, 'running');
  await responseShows('RUNNING');
  expect(JSON.parse(await response())).toEqual({ data: { pipelineJobChanged: { status: 'RUNNING' } } });

  expect(sockets).toEqual([`${server.url.replace(/^http/, 'ws')}/graphql`]);
  expect(consoleErrors).toEqual([]);
  await page.close();
});
