import { mkdtempSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as organizations from '../../src/organizations/organization.manager.js';
import { adminCli, createTestDb, operatorScope, snapshot, type TestDb, testKeyringJson, type TestServer } from '../support/index.js';

let db: TestDb;
const dir = mkdtempSync(path.join(os.tmpdir(), 'datalinx-export-cli-'));
const PASSPHRASE = 'a passphrase for the cli';
const cli = (...args: string[]) => adminCli({ DATABASE_URL: db.url, DATA_DIR: dir, DATALINX_EXPORT_PASSPHRASE: PASSPHRASE, KEYRING: testKeyringJson() }, ...args);

beforeAll(async () => {
  db = await createTestDb();
  await organizations.createOrganization(operatorScope(db), { name: 'Acme', slug: 'acme-cli' });
});
afterAll(() => db.close());

describe('export-org / import-org on the command line', () => {
  it('exports encrypted, refuses a damaged file in one line, and imports under a new slug', async () => {
    const file = path.join(dir, 'acme.dlx');
    const exported = await cli('export-org', '--slug', 'acme-cli', '--out', file, '--encrypt');
    expect(exported).toMatchObject({ code: 0, stderr: [] });
    expect(JSON.parse(exported.stdout[0]!)).toMatchObject({ encrypted: true, organization: { slug: 'acme-cli' }, rows: { 'platform.organizations': 1, 'platform.audit_log': 1 } });
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const org = await organizations.findOrganizationBySlug(operatorScope(db), 'acme-cli');
    await organizations.deleteOrganization(operatorScope(db), org.id);
    const before = await snapshot({ db } as unknown as TestServer);
    const bytes = await readFile(file);
    const cut = path.join(dir, 'cut.dlx');
    await writeFile(cut, bytes.subarray(0, bytes.length - 100));
    expect(await cli('import-org', '--in', cut, '--slug', 'acme-back')).toEqual({ code: 1, stdout: [], stderr: [expect.stringMatching(/^error: the encrypted file was altered or cut short/)] });
    expect(await snapshot({ db } as unknown as TestServer)).toEqual(before);

    const imported = await cli('import-org', '--in', file, '--slug', 'acme-back');
    expect(imported).toMatchObject({ code: 0, stderr: [] });
    expect(JSON.parse(imported.stdout[0]!)).toMatchObject({ organization: { id: org.id, slug: 'acme-back', schemaName: 'org_acme_back' } });
  }, 120_000);
});
