import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { PlatformDatabase } from '../../src/db/database.js';
import { createEmptyDatabase, openCounted, schemaExists } from '../support/index.js';

interface Outcome {
  code: number;
  stdout: string[];
  stderr: string[];
}

let url: string;
// Generated secrets of the CLI go to a scratch directory, never the repository's .data/.
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'datalinx-admin-cli-'));
let db: Kysely<PlatformDatabase>;

/** Lines of output, without the warnings npm itself may print about the local npm configuration. */
const lines = (text: string) => text.split('\n').filter((line) => line.trim() && !line.startsWith('npm warn'));

/** Runs `npx tsx src/admin/admin.cli.ts …args` against this file's database. */
function admin(...args: string[]): Promise<Outcome> {
  const env = { ...process.env, DATABASE_URL: url, DATA_DIR: dataDir, LOG_LEVEL: 'warn', DB_POOL_MIN: '0', DB_POOL_MAX: '4' };
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'src/admin/admin.cli.ts', ...args], { env }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? -1) : 0;
      resolve({ code, stdout: lines(stdout), stderr: lines(stderr) });
    });
  });
}

beforeAll(async () => {
  ({ url } = await createEmptyDatabase());
  ({ db } = openCounted(url));
});
afterAll(() => db.destroy());

describe('admin CLI', () => {
  let id: string;

  it('create-org migrates the empty database, creates the organization and prints it as JSON', async () => {
    const out = await admin('create-org', '--name', 'Acme Corp', '--slug', 'acme-corp');

    expect(out).toEqual({ code: 0, stdout: [expect.any(String)], stderr: [] });
    const printed = JSON.parse(out.stdout[0]!) as { id: string };
    expect(printed).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'Acme Corp', slug: 'acme-corp', schema: 'org_acme_corp', ownerEmail: null });
    id = printed.id;
    expect(await schemaExists(db, 'org_acme_corp')).toBe(true);
  });

  it('list-orgs prints one tab-separated line per organization', async () => {
    const out = await admin('list-orgs');

    expect(out.code).toBe(0);
    expect(out.stderr).toEqual([]);
    expect(out.stdout).toHaveLength(1);
    const [slug, name, listedId, createdAt] = out.stdout[0]!.split('\t');
    expect({ slug, name, listedId }).toEqual({ slug: 'acme-corp', name: 'Acme Corp', listedId: id });
    expect(new Date(createdAt!).toISOString()).toBe(createdAt);
  });

  it('refuses a bad slug with exit code 1 and a clear message', async () => {
    const out = await admin('create-org', '--name', 'Evil', '--slug', 'acme; drop schema org_acme_corp');

    expect(out).toEqual({
      code: 1,
      stdout: [],
      stderr: ['error: Slug may contain only lowercase letters, digits and single hyphens, and must start and end with a letter or digit'],
    });
    expect(await schemaExists(db, 'org_acme_corp')).toBe(true);
  });

  it('refuses a reserved slug and a taken slug with exit code 1', async () => {
    expect(await admin('create-org', '--name', 'Admins', '--slug', 'admin')).toEqual({
      code: 1,
      stdout: [],
      stderr: ['error: Slug "admin" is reserved'],
    });
    expect(await admin('create-org', '--name', 'Acme Again', '--slug', 'acme-corp')).toEqual({
      code: 1,
      stdout: [],
      stderr: ['error: An organization with this slug already exists'],
    });
  });

  it('delete-org drops the organization and its schema', async () => {
    const out = await admin('delete-org', '--slug', 'acme-corp');

    expect(out).toEqual({ code: 0, stdout: ['deleted acme-corp'], stderr: [] });
    expect(await schemaExists(db, 'org_acme_corp')).toBe(false);
    expect(await admin('list-orgs')).toEqual({ code: 0, stdout: [], stderr: [] });
  });

  it('delete-org of an unknown slug exits 1 saying so', async () => {
    expect(await admin('delete-org', '--slug', 'acme-corp')).toEqual({
      code: 1,
      stdout: [],
      stderr: ['error: Organization acme-corp was not found'],
    });
  });

  it('prints the usage and exits 2 on an unknown command', async () => {
    const out = await admin('frobnicate');
    expect(out.code).toBe(2);
    expect(out.stderr[0]).toBe('Usage: npm run admin -- <command> [options]');
  });
});
