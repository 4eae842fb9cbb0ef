import { appendFile, rm, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { PlatformDatabase } from '../../src/db/database.js';
import { migrate, MigrationError } from '../../src/db/migrator.js';
import { copyMigrations, createEmptyDatabase, folderHistory, MIGRATIONS_DIR, nextMigrationName, openCounted, tableExists } from '../support/index.js';

// The folder is the source of truth for the chain; other files keep being added to it.
let ALL_FILES: { version: string; file_name: string }[];
let ALL_VERSIONS: string[];
let LATEST: string;

beforeAll(async () => {
  ALL_FILES = await folderHistory();
  ALL_VERSIONS = ALL_FILES.map((f) => f.version);
  LATEST = ALL_VERSIONS.at(-1)!;
});

const opened: Kysely<PlatformDatabase>[] = [];
const tempDirs: string[] = [];

async function emptyDb(): Promise<Kysely<PlatformDatabase>> {
  const { url } = await createEmptyDatabase();
  const { db } = openCounted(url);
  opened.push(db);
  return db;
}

async function tempMigrations(): Promise<string> {
  const dir = await copyMigrations();
  tempDirs.push(dir);
  return dir;
}

function history(db: Kysely<PlatformDatabase>) {
  return db
    .withSchema('datalinx_platform')
    .selectFrom('schema_version')
    .select(['id', 'version', 'file_name', 'checksum', 'applied_at'])
    .orderBy('id')
    .execute();
}

afterAll(async () => {
  await Promise.all(opened.map((db) => db.destroy()));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('migrate', () => {
  it('brings an empty database to the newest version, recording one row per file', async () => {
    expect(ALL_FILES[0]).toEqual({ version: '1.0.0', file_name: 'v0.0.0_to_v1.0.0_baseline.sql' });
    const db = await emptyDb();

    const report = await migrate(db, { dir: MIGRATIONS_DIR });

    expect(report).toEqual({ platformApplied: ALL_VERSIONS, tenantApplied: 0, tenantSkipped: 0, tenantFailed: [], currentVersion: LATEST });
    const rows = await history(db);
    expect(rows.map(({ version, file_name }) => ({ version, file_name }))).toEqual(ALL_FILES);
    for (const row of rows) expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does nothing on a second run: nothing applied and schema_version unchanged', async () => {
    const db = await emptyDb();
    await migrate(db, { dir: MIGRATIONS_DIR });
    const before = await history(db);

    const report = await migrate(db, { dir: MIGRATIONS_DIR });

    expect(report).toEqual({ platformApplied: [], tenantApplied: 0, tenantSkipped: 0, tenantFailed: [], currentVersion: LATEST });
    expect(await history(db)).toEqual(before);
  });

  it('lets two concurrent runners on separate pools apply each file exactly once', async () => {
    const { url } = await createEmptyDatabase();
    const first = openCounted(url);
    const second = openCounted(url);
    opened.push(first.db, second.db);

    const reports = await Promise.all([
      migrate(first.db, { dir: MIGRATIONS_DIR }),
      migrate(second.db, { dir: MIGRATIONS_DIR }),
    ]);

    const applied = reports.map((r) => r.platformApplied).sort((a, b) => b.length - a.length);
    expect(applied).toEqual([ALL_VERSIONS, []]);
    expect(reports.map((r) => r.currentVersion)).toEqual([LATEST, LATEST]);
    expect((await history(first.db)).map((r) => r.version)).toEqual(ALL_VERSIONS);
  });
});

describe('migrate refuses a folder that disagrees with what was applied', () => {
  it('refuses an applied file whose content changed, naming the file and the checksum', async () => {
    const db = await emptyDb();
    const dir = await tempMigrations();
    await migrate(db, { dir });
    const before = await history(db);
    await appendFile(path.join(dir, 'v1.0.2_to_v1.0.3_add_workspace_settings.sql'), '\n-- an innocent-looking edit\n');

    const run = migrate(db, { dir });

    await expect(run).rejects.toThrow(MigrationError);
    await expect(run).rejects.toThrow(/v1\.0\.2_to_v1\.0\.3_add_workspace_settings\.sql.*checksum/);
    expect(await history(db)).toEqual(before);
  });

  it('refuses when an applied file is missing from the folder', async () => {
    const db = await emptyDb();
    const dir = await tempMigrations();
    await migrate(db, { dir });
    const last = ALL_FILES.at(-1)!.file_name;
    await unlink(path.join(dir, last));

    const run = migrate(db, { dir });

    await expect(run).rejects.toThrow(MigrationError);
    await expect(run).rejects.toThrow(`applied migration ${last} is missing from the migrations folder`);
  });

  it('applies a new file added after the last applied one, and only that file', async () => {
    const db = await emptyDb();
    const dir = await tempMigrations();
    await migrate(db, { dir });
    const next = await nextMigrationName('add_notes');
    await writeFile(
      path.join(dir, next.name),
      '-- target: platform\nALTER TABLE datalinx_platform.organizations ADD COLUMN notes text;\n',
    );

    const report = await migrate(db, { dir });

    expect(report).toEqual({ platformApplied: [next.version], tenantApplied: 0, tenantSkipped: 0, tenantFailed: [], currentVersion: next.version });
    expect((await history(db)).map((r) => r.version)).toEqual([...ALL_VERSIONS, next.version]);
  });

  it('rolls back a platform section that fails, leaving no schema_version row for it', async () => {
    const db = await emptyDb();
    const dir = await tempMigrations();
    await migrate(db, { dir });
    await writeFile(
      path.join(dir, (await nextMigrationName('broken')).name),
      '-- target: platform\nCREATE TABLE datalinx_platform.half_done (id int);\nALTER TABLE datalinx_platform.no_such_table ADD COLUMN x int;\n',
    );

    await expect(migrate(db, { dir })).rejects.toThrow(/no_such_table/);

    expect((await history(db)).map((r) => r.version)).toEqual(ALL_VERSIONS);
    expect(await tableExists(db, 'datalinx_platform.half_done')).toBe(false);
  });
});
