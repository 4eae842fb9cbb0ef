import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { sql } from 'kysely';
import { readMigrations, TENANT_SNAPSHOT_FILE } from '../../src/db/migration-files.js';
import { migrate } from '../../src/db/migrator.js';
import { readSchemaCatalog, type SchemaCatalog } from '../../src/db/schema-catalog.js';
import { generateTenantSnapshot, loadTenantSnapshot } from '../../src/db/tenant-snapshot.js';
import { columnsOf, copyMigrations, createTestDb, MIGRATIONS_DIR, nextMigrationName, provisionOrganization, type TestDb } from '../support/index.js';

let t: TestDb;
const tempDirs: string[] = [];

beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t.close();
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The catalog of one schema, read with that schema first on the search_path. */
function catalogOf(schema: string) {
  return t.db.transaction().execute(async (trx) => {
    await sql`select set_config('search_path', ${schema}, true)`.execute(trx);
    return readSchemaCatalog(trx, schema);
  });
}

/**
 * Index definitions of `schema` as PostgreSQL prints them after reading its own
 * printed definition back (what a schema built from printed DDL holds: an
 * expression such as `status IN ('pending', 'running')` on a varchar column is
 * stored once as a cast of the array and once as casts of its elements, the
 * same predicate). Rolled back.
 */
async function reprintedIndexes(schema: string, catalog: SchemaCatalog): Promise<SchemaCatalog> {
  return t.db.transaction().execute(async (trx) => {
    await sql`select set_config('search_path', ${schema}, true)`.execute(trx);
    const tables = [];
    for (const table of catalog.tables) {
      const indexes = [];
      for (const definition of table.indexes) {
        const name = /^CREATE (?:UNIQUE )?INDEX (\S+) /.exec(definition)![1]!;
        await sql.raw('SAVEPOINT reprint').execute(trx);
        await sql.raw(definition.replace(` INDEX ${name} `, ' INDEX reprint_check ')).execute(trx);
        // test: PostgreSQL's printing of a re-read index definition
        const { rows } = await sql<{ d: string }>`select pg_get_indexdef(${`${schema}.reprint_check`}::regclass) as d`.execute(trx);
        await sql.raw('ROLLBACK TO SAVEPOINT reprint').execute(trx);
        indexes.push(rows[0]!.d.replace(' INDEX reprint_check ', ` INDEX ${name} `).replace(` ON ${schema}.`, ' ON '));
      }
      tables.push({ ...table, indexes });
    }
    return { tables };
  });
}

describe('the tenant snapshot', () => {
  it('is what the migration chain generates today (regenerate with npm run tenant-snapshot)', async () => {
    const checkedIn = await readFile(path.join(MIGRATIONS_DIR, TENANT_SNAPSHOT_FILE), 'utf8');
    expect(await generateTenantSnapshot(t.db, t.migrations)).toBe(checkedIn);
    expect(t.tenantSnapshot?.version).toBe(t.migrations.filter((f) => f.sections.tenant).at(-1)?.version);
  });

  it('builds the same tables, columns, constraints, indexes and triggers as replaying the chain', async () => {
    const replayed = await provisionOrganization({ db: t.db, migrations: t.migrations }, 'replayed');
    const fromSnapshot = await provisionOrganization(t, 'from-snapshot');

    const expected = await catalogOf(replayed.schema_name);
    // The catalog is read (not empty): every table of the design is there, and any added since.
    expect(expected.tables.map((table) => table.name)).toEqual(expect.arrayContaining(['workspaces', 'data_sources', 'mappings', 'pipeline_jobs']));
    expect(await catalogOf(fromSnapshot.schema_name)).toEqual(await reprintedIndexes(replayed.schema_name, expected));
  });

  it('is one DDL statement batch: no tenant section of the chain is sent', async () => {
    t.counter.reset();
    await provisionOrganization(t, 'counted');
    const sections = t.migrations.flatMap((f) => (f.sections.tenant ? [f.sections.tenant] : []));
    expect(t.counter.statements.filter((s) => sections.includes(s))).toEqual([]);
    expect(t.counter.statements.filter((s) => s.includes('CREATE TABLE'))).toHaveLength(1);
  });

  it('records the organization at every tenant version, in one statement', async () => {
    const org = await provisionOrganization(t, 'recorded');
    const { rows } = await sql<{ version: string }>`
      select version from datalinx_platform.tenant_schema_version where organization_id = ${org.id} order by version`.execute(t.db);
    expect(rows.map((r) => r.version).sort()).toEqual(t.migrations.filter((f) => f.sections.tenant).map((f) => f.version).sort());
  });

  it('is followed by the newer tenant sections of a longer chain', async () => {
    const next = await nextMigrationName('add_workspace_color');
    const dir = await copyMigrations({ [next.name]: '-- A color.\n\n-- target: tenant\nALTER TABLE workspaces ADD COLUMN color text;\n' });
    tempDirs.push(dir);
    const files = await readMigrations(dir);
    await migrate(t.db, { dir });

    const snapshot = await loadTenantSnapshot(dir, files);
    expect(snapshot?.version).toBe(t.tenantSnapshot?.version);
    const org = await provisionOrganization({ db: t.db, migrations: files, tenantSnapshot: snapshot }, 'longer-chain');

    expect(await columnsOf(t.db, org.schema_name, 'workspaces')).toContain('color');
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from datalinx_platform.tenant_schema_version where organization_id = ${org.id} and version = ${next.version}`.execute(t.db);
    expect(rows[0]!.n).toBe(1);
  });

  it('is ignored when it was built from another chain', async () => {
    const files = (await readMigrations(MIGRATIONS_DIR)).map((f) => (f.version === '1.0.0' ? { ...f, checksum: '0'.repeat(64) } : f));
    expect(await loadTenantSnapshot(MIGRATIONS_DIR, files)).toBeNull();
  });
});
