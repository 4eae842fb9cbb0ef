import { rm } from 'node:fs/promises';
import { sql } from 'kysely';
import { readMigrations } from '../../src/db/migration-files.js';
import { migrate, MigrationError, migrationStatus } from '../../src/db/migrator.js';
import { countPending } from '../../src/db/schema-version.dao.js';
import type { OrganizationRow } from '../../src/db/tables/organizations.table.js';
import {
  copyMigrations,
  createTestDb,
  nextMigrationName,
  provisionOrganization,
  provisionOrganizations,
  schemaExists,
  type TestDb,
} from '../support/index.js';

// A tenant file that also proves how often it ran: each run of the tenant
// section leaves one row, naming its schema, in a platform table.
const ADD_X = `-- A tenant migration written by the test.
-- target: platform
CREATE TABLE datalinx_platform.x_runs (schema_name text NOT NULL);

-- target: tenant
ALTER TABLE workspaces ADD COLUMN x integer;
INSERT INTO datalinx_platform.x_runs VALUES (current_schema());
`;

const opened: TestDb[] = [];
const tempDirs: string[] = [];
let next: { name: string; version: string };

beforeAll(async () => {
  next = await nextMigrationName('add_x');
});

afterAll(async () => {
  await Promise.all(opened.map((t) => t.close()));
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function freshDb(): Promise<TestDb> {
  const t = await createTestDb();
  opened.push(t);
  return t;
}

async function dirWithAddX(): Promise<string> {
  const dir = await copyMigrations({ [next.name]: ADD_X });
  tempDirs.push(dir);
  return dir;
}

/** Per schema: does workspaces have the column x (and of which type)? */
async function columnX(t: TestDb, orgs: OrganizationRow[]): Promise<Record<string, string | null>> {
  // test: the x column of each org schema's workspaces
  const { rows } = await sql<{ table_schema: string; data_type: string }>`
    select table_schema, data_type from information_schema.columns
    where table_name = 'workspaces' and column_name = 'x'`.execute(t.db);
  return Object.fromEntries(orgs.map((o) => [o.schema_name, rows.find((r) => r.table_schema === o.schema_name)?.data_type ?? null]));
}

async function tenantVersions(t: TestDb, orgId: string): Promise<string[]> {
  const rows = await t.db
    .withSchema('datalinx_platform')
    .selectFrom('tenant_schema_version')
    .select('version')
    .where('organization_id', '=', orgId)
    .orderBy('version')
    .execute();
  return rows.map((r) => r.version);
}

async function runsPerSchema(t: TestDb): Promise<Record<string, number>> {
  // test: how many times the tenant section ran in each schema
  const { rows } = await sql<{ schema_name: string; n: number }>`
    select schema_name, count(*)::int as n from datalinx_platform.x_runs group by schema_name`.execute(t.db);
  return Object.fromEntries(rows.map((r) => [r.schema_name, r.n]));
}

const each = <T>(orgs: OrganizationRow[], value: T) => Object.fromEntries(orgs.map((o) => [o.schema_name, value]));

describe('tenant migrations', () => {
  it('reach every existing organization, and a new organization is born current', async () => {
    const t = await freshDb();
    const orgs = await provisionOrganizations(t, ['alpha', 'bravo', 'charlie']);
    const dir = await dirWithAddX();
    const tenantVersionsBefore = (await readMigrations('migrations')).filter((f) => f.sections.tenant).map((f) => f.version);

    const report = await migrate(t.db, { dir });

    const earlierPairs = orgs.length * tenantVersionsBefore.length;
    expect(report).toEqual({ platformApplied: [next.version], tenantApplied: 3, tenantSkipped: earlierPairs, tenantFailed: [], currentVersion: next.version });
    expect(await columnX(t, orgs)).toEqual(each(orgs, 'integer'));
    expect(await runsPerSchema(t)).toEqual(each(orgs, 1));
    const expectedVersions = [...tenantVersionsBefore, next.version].sort();
    for (const org of orgs) expect(await tenantVersions(t, org.id)).toEqual(expectedVersions);

    const newcomer = await provisionOrganization({ db: t.db, migrations: await readMigrations(dir) }, 'delta');

    expect(await columnX(t, [newcomer])).toEqual({ org_delta: 'integer' });
    expect(await tenantVersions(t, newcomer.id)).toEqual(expectedVersions);
    expect(await runsPerSchema(t)).toEqual(each([...orgs, newcomer], 1));
    expect(await migrate(t.db, { dir })).toEqual({
      platformApplied: [],
      tenantApplied: 0,
      tenantSkipped: 4 * expectedVersions.length,
      tenantFailed: [],
      currentVersion: next.version,
    });
  });

  it('resume after an interrupted run, applying the section to each organization exactly once', async () => {
    const t = await freshDb();
    const orgs = await provisionOrganizations(t, Array.from({ length: 12 }, (_, i) => `tenant-${i + 1}`));
    const dir = await dirWithAddX();
    const stop = new AbortController();
    let applied = 0;

    const interrupted = migrate(t.db, {
      dir,
      signal: stop.signal,
      onTenantApplied: () => {
        if (++applied === 3) stop.abort();
      },
    });

    await expect(interrupted).rejects.toThrow(MigrationError);
    await expect(interrupted).rejects.toThrow('migration run interrupted; run it again to resume');
    const partial = await columnX(t, orgs);
    const done = orgs.filter((o) => partial[o.schema_name] === 'integer');
    expect(done.length).toBe(applied);
    expect(done.length).toBeGreaterThanOrEqual(3);
    expect(done.length).toBeLessThan(12);
    expect(await runsPerSchema(t)).toEqual(each(done, 1));
    for (const org of orgs) {
      expect((await tenantVersions(t, org.id)).includes(next.version)).toBe(done.includes(org));
    }
    expect(await migrationStatus(t.db, dir)).toEqual({
      latest: next.version,
      pendingPlatform: 0,
      pendingTenant: 12 - done.length,
    });

    const resumed = await migrate(t.db, { dir });

    const tenantFiles = (await readMigrations(dir)).filter((f) => f.sections.tenant).length;
    expect(resumed).toEqual({
      platformApplied: [],
      tenantApplied: 12 - done.length,
      tenantSkipped: 12 * (tenantFiles - 1) + done.length,
      tenantFailed: [],
      currentVersion: next.version,
    });
    expect(await columnX(t, orgs)).toEqual(each(orgs, 'integer'));
    expect(await runsPerSchema(t)).toEqual(each(orgs, 1));
    expect(await migrationStatus(t.db, dir)).toEqual({ latest: next.version, pendingPlatform: 0, pendingTenant: 0 });
  });
});

describe('a tenant section that fails for one organization', () => {
  it('is applied to the others, reports the failure with its reason, and stops before later files', async () => {
    const t = await freshDb();
    const orgs = await provisionOrganizations(t, ['echo', 'foxtrot', 'golf']);
    await sql`alter table org_foxtrot.workspaces add column x text`.execute(t.db);
    const later = `v${next.version}_to_v${next.version.replace(/\d+$/, (p) => String(Number(p) + 1))}_add_y.sql`;
    const dir = await copyMigrations({ [next.name]: ADD_X, [later]: '-- y\n\n-- target: tenant\nALTER TABLE workspaces ADD COLUMN y integer;\n' });
    tempDirs.push(dir);
    const failures: unknown[] = [];

    const err = await migrate(t.db, { dir, onTenantFailed: (f) => failures.push(f) }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(MigrationError);
    const report = (err as MigrationError).report!;
    const failure = { organizationId: orgs[1]!.id, schemaName: 'org_foxtrot', file: next.name, reason: 'column "x" of relation "workspaces" already exists' };
    expect(report.tenantFailed).toEqual([failure]);
    expect(failures).toEqual([failure]);
    expect(report.tenantApplied).toBe(2);
    expect((err as Error).message).toContain(`${next.name} failed for 1 organization(s) (first: org_foxtrot: column "x" of relation "workspaces" already exists)`);
    expect(await columnX(t, orgs)).toEqual({ org_echo: 'integer', org_foxtrot: 'text', org_golf: 'integer' });
    expect(await schemaExists(t.db, 'org_golf')).toBe(true);
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from information_schema.columns where table_name = 'workspaces' and column_name = 'y'`.execute(t.db);
    expect(rows[0]!.n).toBe(0);
  });
});

describe('migration status', () => {
  it('counts pending platform files and (organization, tenant file) pairs in ONE statement, whatever the number of tenants', async () => {
    const t = await freshDb();
    const dir = await dirWithAddX();
    const files = (await readMigrations(dir)).map((f) => ({ version: f.version, hasTenant: f.sections.tenant !== undefined }));

    t.counter.reset();
    expect(await countPending(t.db, files)).toEqual({ platform: 1, tenant: 0 });
    expect(t.counter.count).toBe(1);

    await provisionOrganizations(t, Array.from({ length: 15 }, (_, i) => `counted-${i + 1}`));
    t.counter.reset();
    expect(await countPending(t.db, files)).toEqual({ platform: 1, tenant: 15 });
    expect(t.counter.count).toBe(1);
    expect(t.counter.statements[0]).toContain('tenant_schema_version');

    t.counter.reset();
    expect(await migrationStatus(t.db, dir)).toEqual({ latest: next.version, pendingPlatform: 1, pendingTenant: 15 });
    expect(t.counter.count).toBe(2); // is the platform schema there? + the count itself
  });

  it('reports every file as pending on an empty database without touching it', async () => {
    const t = await createTestDb({ migrate: false });
    opened.push(t);
    const fileCount = (await readMigrations('migrations')).length;

    expect(await migrationStatus(t.db, 'migrations')).toEqual({
      latest: (await readMigrations('migrations')).at(-1)!.version,
      pendingPlatform: fileCount,
      pendingTenant: 0,
    });
    expect(await schemaExists(t.db, 'datalinx_platform')).toBe(false);
  });
});
