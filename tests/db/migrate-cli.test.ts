import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { sql } from 'kysely';
import { loadMigrations } from '../../src/db/migration-files.js';
import { copyMigrations, createTestDb, nextMigrationName, provisionOrganizations, type TestDb } from '../support/index.js';

let t: TestDb;
const tempDirs: string[] = [];

beforeAll(async () => {
  t = await createTestDb();
  await provisionOrganizations(t, ['one', 'two', 'three', 'four', 'five']);
});
afterAll(async () => {
  await t.close();
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const lines = (text: string) => text.split('\n').filter((line) => line.trim() && !line.startsWith('npm warn'));

/** `npm run migrate` as an operator runs it, output not on a terminal. */
function migrateCli(dir: string, ...args: string[]): Promise<{ code: number; stdout: string[]; stderr: string[] }> {
  const env = { ...process.env, DATABASE_URL: t.url, MIGRATIONS_DIR: dir, LOG_LEVEL: 'info', DB_POOL_MIN: '0', DB_POOL_MAX: '4' };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/db/migrate.cli.ts', ...args], { env }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout: lines(stdout), stderr: lines(stderr) });
    });
  });
}

const logLines = (out: string[]) => out.filter((l) => l.startsWith('{"level"')).map((l) => JSON.parse(l) as Record<string, unknown>);

describe('npm run migrate', () => {
  it('logs tenant progress, then a summary naming each organization that failed and why, and exits 1 with one error line', async () => {
    const next = await nextMigrationName('add_budget');
    const dir = await copyMigrations({ [next.name]: '-- Budget.\n\n-- target: tenant\nALTER TABLE workspaces ADD COLUMN budget integer;\n' });
    tempDirs.push(dir);
    await sql`alter table org_three.workspaces add column budget text`.execute(t.db);

    const failed = await migrateCli(dir);

    expect(failed.code).toBe(1);
    expect(failed.stderr).toEqual([
      `error: ${next.name} failed for 1 organization(s) (first: org_three: column "budget" of relation "workspaces" already exists); later files were not applied; fix the cause and run it again`,
    ]);
    const done = logLines(failed.stdout).find((l) => l.msg === 'tenant migration done');
    expect(done).toMatchObject({ file: next.name, done: 5, total: 5, failed: 1 });
    expect(done).toHaveProperty('ratePerSecond');
    const summary = failed.stdout.filter((l) => !l.startsWith('{'));
    // Each of the 5 organizations was born with every tenant section of the chain recorded.
    const tenantFiles = (await loadMigrations('migrations')).filter((f) => f.sections.tenant !== undefined).length;
    expect(summary[0]).toBe(`files applied: 1 (v${next.version}); tenant sections applied: 4, skipped (already applied): ${5 * tenantFiles}, failed: 1`);
    expect(summary[1]).toMatch(/^ {2}failed org_three \([0-9a-f-]{36}\) in v[\d._a-z]+\.sql: column "budget" of relation "workspaces" already exists$/);

    await sql`alter table org_three.workspaces drop column budget`.execute(t.db);
    const fixed = await migrateCli(dir);

    expect(fixed.code).toBe(0);
    expect(fixed.stdout.filter((l) => !l.startsWith('{"level"'))).toEqual([
      `files applied: 0; tenant sections applied: 1, skipped (already applied): ${5 * tenantFiles + 4}, failed: 0`,
      `database version: v${next.version}`,
      JSON.stringify({ latest: next.version, pendingPlatform: 0, pendingTenant: 0 }),
    ]);
  });
});
