// Smoke test of a compiled server: start `node dist/main.js` (production mode) in <app-dir>,
// sign up, create a workspace, load the dashboard query, SIGTERM, expect exit 0.
//   node scripts/smoke.mjs [app-dir] [node-binary]
// Plain JavaScript, so it runs on any supported Node without TypeScript tooling. Without
// DATABASE_URL it starts a scratch embedded PostgreSQL from this checkout's dist/ (npm run build).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const appDir = path.resolve(process.argv[2] ?? root);
const nodeBin = process.argv[3] ?? process.execPath;
const fail = (message) => {
  console.error(`smoke: FAILED: ${message}`);
  process.exit(1);
};

let embedded = null;
let baseUrl = process.env.DATABASE_URL;
if (!baseUrl) {
  const { startEmbeddedPostgres } = await import(path.join(root, 'dist', 'db', 'embedded.js'));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'datalinx-smoke-'));
  await chmod(dir, 0o755);
  embedded = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: 20000 + Math.floor(Math.random() * 30000), persistent: false });
  baseUrl = embedded.connectionString();
}
const database = `smoke_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: baseUrl });
await admin.connect();
await admin.query(`create database ${database}`);
await admin.end();
const url = new URL(baseUrl);
url.pathname = `/${database}`;

const port = 20000 + Math.floor(Math.random() * 30000);
const child = spawn(nodeBin, ['dist/main.js'], {
  cwd: appDir,
  env: {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PORT: String(port),
    DATABASE_URL: url.toString(),
    JWT_SECRET: randomBytes(32).toString('hex'),
    KEYRING: JSON.stringify({ current: 'k1', keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }] }),
    ALLOW_SIGNUP: 'true',
    SHUTDOWN_DELAY_MS: '0',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
const api = `http://127.0.0.1:${port}`;
const gql = async (query, variables = {}, token) => {
  const res = await fetch(`${api}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res.json();
  if (res.status !== 200 || body.errors) fail(`${query.slice(0, 40)}…: HTTP ${res.status} ${JSON.stringify(body.errors)}`);
  return body.data;
};

try {
  for (let i = 0; !(await fetch(`${api}/healthz`).then((r) => r.ok, () => false)); i++) {
    if (child.exitCode !== null) fail(`the server exited at start (${child.exitCode})`);
    if (i > 600) fail('the server did not start within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const signUp = await gql(
    `mutation ($input: SignUpInput!) { signUp(input: $input) { ... on SignUpPayload { session { accessToken } } ... on Error { message } } }`,
    { input: { organizationName: 'Smoke', slug: 'smoke-org', email: 'smoke@example.com', password: 'a long passphrase', displayName: 'Smoke' } },
  );
  const token = signUp.signUp.session?.accessToken ?? fail(`signUp: ${JSON.stringify(signUp)}`);
  const created = await gql('mutation { createWorkspace(input: { name: "Smoke" }) { ... on CreateWorkspacePayload { workspace { id } } } }', {}, token);
  const dashboard = await readFile(path.join(root, 'examples', 'operations', 'workspace-dashboard.graphql'), 'utf8');
  const data = await gql(dashboard, { id: created.createWorkspace.workspace.id }, token);
  if (data.workspace?.name !== 'Smoke') fail(`dashboard: ${JSON.stringify(data)}`);
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) fail(`exit code ${code} after SIGTERM`);
  const version = await new Promise((resolve) => {
    const v = spawn(nodeBin, ['--version']);
    let out = '';
    v.stdout.on('data', (d) => (out += d));
    v.on('close', () => resolve(out.trim()));
  });
  console.log(`smoke: ok on Node ${version} (${appDir})`);
} finally {
  if (child.exitCode === null) child.kill('SIGKILL');
  await embedded?.stop();
}
