import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { verifyMigrations } from '../../src/db/verify-migrations.js';
import { copyMigrations, nextMigrationName } from '../support/index.js';

const run = promisify(execFile);
const tempDirs: string[] = [];
let next: { name: string; version: string };
let latest: string;

beforeAll(async () => {
  next = await nextMigrationName('change');
  latest = next.name.slice(1, next.name.indexOf('_to_'));
});
afterAll(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The real folder plus `files`, verified. */
async function verifyWith(files: Record<string, string>) {
  const dir = await copyMigrations(files);
  tempDirs.push(dir);
  return verifyMigrations(dir);
}

/** Problems of the real folder plus one next-version tenant file holding `body`. */
const verifyTenantBody = (body: string) => verifyWith({ [next.name]: `-- A change.\n\n-- target: tenant\n${body}\n` });

const MSG = {
  drop: 'drops an object (DROP …): not backward compatible',
  dropColumn: 'drops a column (DROP COLUMN): not backward compatible',
  dropColumnOrConstraint: 'drops a column or constraint: not backward compatible',
  rename: 'renames something (RENAME): not backward compatible',
  type: 'changes a column type (ALTER COLUMN … TYPE): not backward compatible',
  setNotNull: 'adds NOT NULL to an existing column (SET NOT NULL): not backward compatible',
  notNullNoDefault: 'adds a NOT NULL column without a DEFAULT: existing writers would fail',
  transaction: 'controls the transaction itself; the runner wraps each file in one transaction',
  concurrently: "uses CONCURRENTLY, which cannot run inside the file's transaction",
  truncate: 'deletes data (TRUNCATE): not backward compatible',
  delete: 'deletes data (DELETE): not backward compatible',
  searchPath: 'sets search_path; the runner chooses the schema (use the target line)',
};

describe('migrations:verify', () => {
  it('accepts the real migrations folder', async () => {
    expect(await verifyMigrations('migrations')).toEqual([]);
  });

  it('accepts an additive next file', async () => {
    expect(await verifyTenantBody('ALTER TABLE workspaces ADD COLUMN archived boolean NOT NULL DEFAULT false;')).toEqual([]);
  });

  it('rejects a file whose name does not follow vX_to_vY_what.sql', async () => {
    expect(await verifyWith({ 'v9.9.9-add-x.sql': '-- target: tenant\nSELECT 1;\n' })).toEqual([
      { file: 'v9.9.9-add-x.sql', message: 'name must look like v1.0.2_to_v1.0.3_add_workspace_settings.sql' },
    ]);
  });

  it('rejects a gap in the version chain', async () => {
    const [major, minor, patch] = next.version.split('.').map(Number) as [number, number, number];
    const name = `v${next.version}_to_v${major}.${minor}.${patch + 1}_skips_one.sql`;
    expect(await verifyWith({ [name]: '-- target: tenant\nSELECT 1;\n' })).toEqual([
      { file: name, message: `starts at v${next.version} but the chain is at v${latest}` },
    ]);
  });

  it('rejects two files for one version', async () => {
    const twin = `v${latest}_to_v${next.version}_twin.sql`;
    const problems = await verifyWith({ [next.name]: '-- target: tenant\nSELECT 1;\n', [twin]: '-- target: tenant\nSELECT 2;\n' });
    expect(problems).toEqual([{ file: twin, message: `a second file for version v${next.version}` }]);
  });

  it('rejects a file without a target line', async () => {
    expect(await verifyWith({ [next.name]: 'ALTER TABLE workspaces ADD COLUMN y int;\n' })).toEqual([
      { file: next.name, message: 'has no "-- target: platform" or "-- target: tenant" line' },
    ]);
  });

  it.each([
    ['DROP TABLE', 'DROP TABLE mappings;', [MSG.drop]],
    ['DROP COLUMN', 'ALTER TABLE workspaces DROP COLUMN description;', [MSG.dropColumn]],
    ['DROP without the COLUMN keyword', 'ALTER TABLE workspaces DROP description;', [MSG.dropColumnOrConstraint]],
    ['RENAME', 'ALTER TABLE workspaces RENAME COLUMN name TO title;', [MSG.rename]],
    ['ALTER COLUMN … TYPE', 'ALTER TABLE workspaces ALTER COLUMN name TYPE text;', [MSG.type]],
    ['ALTER … TYPE without the COLUMN keyword', 'ALTER TABLE workspaces ALTER name SET DATA TYPE text;', [MSG.type]],
    ['SET NOT NULL', 'ALTER TABLE workspaces ALTER COLUMN description SET NOT NULL;', [MSG.setNotNull]],
    ['ADD COLUMN NOT NULL without DEFAULT', 'ALTER TABLE workspaces ADD COLUMN owner uuid NOT NULL;', [MSG.notNullNoDefault]],
    ['ADD NOT NULL of a type with a comma', 'ALTER TABLE workspaces ADD COLUMN budget numeric(12, 2) NOT NULL;', [MSG.notNullNoDefault]],
    ['ADD NOT NULL without the COLUMN keyword', 'ALTER TABLE workspaces ADD owner uuid NOT NULL;', [MSG.notNullNoDefault]],
    ['BEGIN/COMMIT', 'BEGIN;\nALTER TABLE workspaces ADD COLUMN y int;\nCOMMIT;', [MSG.transaction]],
    ['CREATE INDEX CONCURRENTLY', 'CREATE INDEX CONCURRENTLY workspaces_name_idx ON workspaces (name);', [MSG.concurrently]],
    ['TRUNCATE', 'TRUNCATE pipeline_jobs;', [MSG.truncate]],
    ['DELETE', "DELETE FROM pipeline_jobs WHERE status = 'failed';", [MSG.delete]],
    ['SET search_path', 'SET search_path TO public;', [MSG.searchPath]],
    ['SET LOCAL search_path', 'SET LOCAL search_path TO public;', [MSG.searchPath]],
  ])('rejects %s', async (_case, body, messages) => {
    expect(await verifyTenantBody(body)).toEqual(messages.map((message) => ({ file: next.name, message })));
  });

  it('does not flag those words inside comments, string literals or dollar-quoted bodies', async () => {
    const body = [
      '-- never DROP TABLE, RENAME, TRUNCATE or DELETE FROM here; no BEGIN; either',
      '/* SET search_path TO x; CREATE INDEX CONCURRENTLY i ON t (c); */',
      "ALTER TABLE workspaces ADD COLUMN note text DEFAULT 'DROP TABLE x; SET NOT NULL';",
      "COMMENT ON COLUMN workspaces.note IS 'do not RENAME it or DROP COLUMN it, it''s used';",
      "DO $$ BEGIN RAISE NOTICE 'TRUNCATE %', 'x'; END $$;",
    ].join('\n');
    expect(await verifyTenantBody(body)).toEqual([]);
  });

  it('still sees a statement between comments that contain apostrophes', async () => {
    const body = "-- it's tempting, but:\nDROP TABLE mappings;\n-- that's all\nALTER TABLE workspaces ADD COLUMN y int;";
    expect(await verifyTenantBody(body)).toEqual([{ file: next.name, message: MSG.drop }]);
  });
});

describe('migrations:verify keeps tenant schemas off shared tables', () => {
  const FK_RULE = 'tenant tables must not reference shared tables (use a value-set type, or keep the id without a constraint)';
  const MARKER = '-- verify-allow: drop cross-schema foreign keys (reviewed: test)';
  const after = (version: string) => version.replace(/\d+$/, (p) => String(Number(p) + 1));

  it('refuses a foreign key into datalinx_platform', async () => {
    expect(await verifyTenantBody('ALTER TABLE workspaces ADD COLUMN owner_id uuid REFERENCES datalinx_platform.users(id);')).toEqual([
      { file: next.name, message: `adds the foreign key workspaces_owner_id_fkey into datalinx_platform: ${FK_RULE}` },
    ]);
  });

  it('refuses any other object naming a shared table, such as a view', async () => {
    expect(await verifyTenantBody('CREATE VIEW members AS SELECT id, email FROM datalinx_platform.users;')).toEqual([
      { file: next.name, message: 'the tenant section names the shared table datalinx_platform.users: tenant schemas must not reference datalinx_platform tables' },
    ]);
  });

  it('accepts a shared value-set type', async () => {
    expect(await verifyTenantBody('ALTER TABLE workspaces ADD COLUMN default_job datalinx_platform.job_type;')).toEqual([]);
  });

  it('accepts dropping an older cross-schema foreign key only in a file with the reviewed marker', async () => {
    const adds = { [next.name]: '-- target: tenant\nALTER TABLE workspaces ADD COLUMN owner_id uuid REFERENCES datalinx_platform.users(id);\n' };
    const dropName = `v${next.version}_to_v${after(next.version)}_drop_owner_fk.sql`;
    const drop = 'ALTER TABLE workspaces DROP CONSTRAINT workspaces_owner_id_fkey;';

    expect(await verifyWith({ ...adds, [dropName]: `${MARKER}\n\n-- target: tenant\n${drop}\n` })).toEqual([]);
    expect(await verifyWith({ ...adds, [dropName]: `-- no marker\n\n-- target: tenant\n${drop}\n` })).toEqual([
      { file: dropName, message: MSG.dropColumnOrConstraint },
      { file: dropName, message: expect.stringMatching(/^drops the cross-schema foreign key workspaces_owner_id_fkey: allowed only with the reviewed line/) },
      { file: next.name, message: `adds the foreign key workspaces_owner_id_fkey into datalinx_platform: ${FK_RULE}` },
    ]);
  });

  it('still refuses every other drop in a file with the marker', async () => {
    expect(await verifyWith({ [next.name]: `${MARKER}\n\n-- target: tenant\nALTER TABLE mappings DROP CONSTRAINT mappings_workspace_id_fkey;\n` })).toEqual([
      { file: next.name, message: MSG.dropColumnOrConstraint },
    ]);
  });
});

describe('migrations:verify CLI', () => {
  it('exits 0 on the real folder', async () => {
    const { stdout } = await run('npx', ['tsx', 'src/db/verify-migrations.cli.ts', 'migrations']);
    expect(withoutNpmNoise(stdout)).toEqual(['✓ migrations: names, version chain, transactions and backward compatibility are fine']);
  });

  it('exits 1 and lists every problem of a bad folder', async () => {
    const dir = await copyMigrations({ [next.name]: '-- target: tenant\nDROP TABLE mappings;\n' });
    tempDirs.push(dir);
    await writeFile(path.join(dir, 'notes.txt'), 'not a migration');

    const failure = await rejectionOf(run('npx', ['tsx', 'src/db/verify-migrations.cli.ts', dir]));

    expect(failure.code).toBe(1);
    expect(withoutNpmNoise(failure.stderr)).toEqual([
      '✗ notes.txt: is not a .sql file; the migrations folder holds only migrations',
      `✗ ${next.name}: ${MSG.drop}`,
      `2 problem(s) in ${dir}`,
    ]);
  });
});

/** Output lines, without the warnings npm itself may print about the local npm configuration. */
const withoutNpmNoise = (text: string) => text.split('\n').filter((line) => line.trim() && !line.startsWith('npm warn'));

async function rejectionOf(p: Promise<unknown>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: number; stdout: string; stderr: string };
  }
  throw new Error('expected the command to fail');
}
