import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './pg-cluster.js';

/** The API as a real process (`node --import tsx src/main.ts`, or a compiled `dist/main.js`). */
export interface ApiProcess {
  url: string;
  child: ChildProcess;
  output: string[];
  exited: Promise<number | null>;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, token?: string): Promise<{ status: number; headers: Headers; body: { data?: T | null; errors?: { message: string; extensions?: Record<string, unknown> }[] } }>;
}

/** Runs a command to its end, collecting stdout and stderr (for start-up failures). */
export function runToEnd(args: string[], env: Record<string, string>, cwd = process.cwd()): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export const SOURCE_ENTRY = ['--import', 'tsx', 'src/main.ts'];

export async function startApiProcess(env: Record<string, string>, opts: { entry?: string[]; cwd?: string } = {}): Promise<ApiProcess> {
  const port = freePort();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'datalinx-api-'));
  const child = spawn(process.execPath, opts.entry ?? SOURCE_ENTRY, {
    cwd: opts.cwd ?? process.cwd(),
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      NODE_ENV: 'development',
      LOG_LEVEL: 'warn',
      PORT: String(port),
      DATA_DIR: dataDir,
      JWT_SECRET: randomBytes(32).toString('hex'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  // Its data folder goes with it (the process stops its embedded PostgreSQL before it exits).
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => void rm(dataDir, { recursive: true, force: true }).then(() => resolve(code), () => resolve(code))),
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`API exited at start (${child.exitCode}): ${output.join('')}`);
    const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (up) break;
    if (i > 600) throw new Error(`API did not start: ${output.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    output,
    exited,
    async gql(query, variables, token) {
      const res = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return { status: res.status, headers: res.headers, body: (await res.json()) as never };
    },
  };
}

export const SIGN_UP = `mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) { __typename ... on SignUpPayload { session { accessToken } } ... on Error { message code } }
}`;

/** Signs up a fresh organization through the API and returns its owner's access token. */
export async function signUp(api: Pick<ApiProcess, 'gql'>, slug: string): Promise<string> {
  const res = await api.gql<{ signUp: { session?: { accessToken: string }; message?: string } }>(SIGN_UP, {
    input: { organizationName: `Org ${slug}`, slug, email: `owner@${slug}.test`, password: 'a long passphrase', displayName: 'Owner' },
  });
  const token = res.body.data?.signUp.session?.accessToken;
  if (!token) throw new Error(`signUp failed: ${JSON.stringify(res.body)}`);
  return token;
}
