import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { adminCli, createEmptyDatabase, createTestDb, provisionOrganization, schemaExists, type TestDb } from '../support/index.js';

/** The operator's CLI as a real process. Each test arranges its own database, so any one can run alone. */

// Generated secrets of the CLI go to a scratch directory, never the repository's .data/.
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'datalinx-admin-cli-'));
const opened: TestDb[] = [];

/** A migrated database of the test's own. */
async function migratedDb(): Promise<TestDb> {
  const t = await createTestDb();
  opened.push(t);
  return t;
}
afterAll(() => Promise.all(opened.map((t) => t.close())));

/** Runs `npm run admin -- …args` against the database at `url`. */
const admin = (url: string, ...args: string[]) => adminCli({ DATABASE_URL: url, DATA_DIR: dataDir }, ...args);

describe('admin CLI', () => {
  it('create-org migrates an empty database, creates the organization and prints it as JSON', async () => {
    const { url } = await createEmptyDatabase();

    const out = await admin(url, 'create-org', '--name', 'Acme Corp', '--slug', 'acme-corp');

    expect(out).toEqual({ code: 0, stdout: [expect.any(String)], stderr: [] });
    expect(JSON.parse(out.stdout[0]!)).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'Acme Corp', slug: 'acme-corp', schema: 'org_acme_corp', ownerEmail: null });
    const t = await createTestDb({ migrate: false, url });
    opened.push(t);
    expect(await schemaExists(t.db, 'org_acme_corp')).toBe(true);
  });

  it('list-orgs prints one tab-separated line per organization', async () => {
    const t = await migratedDb();
    const org = await provisionOrganization(t, 'acme-corp', 'Acme Corp');

    const out = await admin(t.url, 'list-orgs');

    expect({ code: out.code, stderr: out.stderr, lines: out.stdout.length }).toEqual({ code: 0, stderr: [], lines: 1 });
    const [slug, name, listedId, createdAt] = out.stdout[0]!.split('\t');
    expect({ slug, name, listedId }).toEqual({ slug: 'acme-corp', name: 'Acme Corp', listedId: org.id });
    expect(new Date(createdAt!).toISOString()).toBe(createdAt);
  });

  it('refuses a bad slug with exit code 1 and a clear message, touching nothing', async () => {
    const t = await migratedDb();
    await provisionOrganization(t, 'acme-corp');

    const out = await admin(t.url, 'create-org', '--name', 'Evil', '--slug', 'acme; drop schema org_acme_corp');

    expect(out).toEqual({
      code: 1,
      stdout: [],
      stderr: ['error: Slug may contain only lowercase letters, digits and single hyphens, and must start and end with a letter or digit'],
    });
    expect(await schemaExists(t.db, 'org_acme_corp')).toBe(true);
  });

  it('refuses a reserved slug and a taken slug with exit code 1', async () => {
    const t = await migratedDb();
    await provisionOrganization(t, 'acme-corp');

    expect(await admin(t.url, 'create-org', '--name', 'Admins', '--slug', 'admin')).toEqual({ code: 1, stdout: [], stderr: ['error: Slug "admin" is reserved'] });
    expect(await admin(t.url, 'create-org', '--name', 'Acme Again', '--slug', 'acme-corp')).toEqual({
      code: 1,
      stdout: [],
      stderr: ['error: An organization with this slug already exists'],
    });
  });

  it('delete-org drops the organization and its schema', async () => {
    const t = await migratedDb();
    await provisionOrganization(t, 'acme-corp');

    const out = await admin(t.url, 'delete-org', '--slug', 'acme-corp');

    expect(out).toEqual({ code: 0, stdout: ['deleted acme-corp'], stderr: [] });
    expect(await schemaExists(t.db, 'org_acme_corp')).toBe(false);
    expect(await admin(t.url, 'list-orgs')).toEqual({ code: 0, stdout: [], stderr: [] });
  });

  it('delete-org of an unknown slug exits 1 saying so', async () => {
    const t = await migratedDb();

    expect(await admin(t.url, 'delete-org', '--slug', 'acme-corp')).toEqual({ code: 1, stdout: [], stderr: ['error: Organization acme-corp was not found'] });
  });

  it('prints the usage and exits 2 on an unknown command', async () => {
    const out = await admin((await createEmptyDatabase()).url, 'frobnicate');
    expect(out.code).toBe(2);
    expect(out.stderr[0]).toBe('Usage: npm run admin -- <command> [options]');
  });

  it('reports an unreachable database as one line and exit code 1, without a stack', async () => {
    const out = await admin('postgresql://nobody:secret@127.0.0.1:1/nothing', 'list-orgs');
    expect(out).toEqual({ code: 1, stdout: [], stderr: [expect.stringMatching(/^error: cannot reach the database \(ECONNREFUSED\): /)] });
  });

  it('reports an unknown option as one line and exit code 1', async () => {
    const out = await admin('list-orgs', '--colour', 'blue');
    expect(out).toEqual({ code: 1, stdout: [], stderr: [expect.stringMatching(/^error: (Unknown option '--colour'|Unexpected argument 'blue')/)] });
  });
});
