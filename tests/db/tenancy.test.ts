import { rm } from 'node:fs/promises';
import { sql } from 'kysely';
import pg from 'pg';
import { readMigrations } from '../../src/db/migration-files.js';
import { migrate, MIGRATION_LOCK_KEY } from '../../src/db/migrator.js';
import { ConflictError, ValidationError } from '../../src/errors.js';
import { findOrganizationBySlug } from '../../src/organizations/organization.dao.js';
import { deleteOrganization } from '../../src/organizations/organization.manager.js';
import {
  columnsOf,
  copyMigrations,
  createTestDb,
  nextMigrationName,
  operatorScope,
  provisionOrganization,
  rejection,
  schemaExists,
  tenantOf,
  type TestDb,
} from '../support/index.js';

const DRIVER_TEXT = /duplicate key|violates|constraint|relation|syntax|postgres|sql|schema "/i;

let t: TestDb;
const tempDirs: string[] = [];

beforeAll(async () => {
  t = await createTestDb();
});
afterAll(async () => {
  await t.close();
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function organizationCount(): Promise<number> {
  const r = await t.db.withSchema('datalinx_platform').selectFrom('organizations').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('provisioning an organization', () => {
  it('creates the row and a schema holding every tenant table', async () => {
    const org = await provisionOrganization(t, 'acme-corp', 'Acme Corp');

    expect(org).toMatchObject({ name: 'Acme Corp', slug: 'acme-corp', schema_name: 'org_acme_corp', settings: {} });
    const { rows } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'org_acme_corp' order by table_name`.execute(t.db);
    expect(rows.map((r) => r.table_name)).toEqual(['data_sources', 'mapping_field_sources', 'mapping_versions', 'mappings', 'pipeline_job_attempts', 'pipeline_job_logs', 'pipeline_jobs', 'workspace_schedules', 'workspaces']);
  });

  it('rolls back the organization row when its schema cannot be created', async () => {
    await sql`create schema org_taken`.execute(t.db);
    const before = await organizationCount();

    await expect(provisionOrganization(t, 'taken')).rejects.toThrow('schema "org_taken" already exists');

    expect(await findOrganizationBySlug(t.db, 'taken')).toBeUndefined();
    expect(await organizationCount()).toBe(before);
  });

  it('refuses a broken tenant section even before any organization exists, recording nothing', async () => {
    // Without the dry run a broken tenant file would be recorded as applied and
    // every later provisioning would replay it and fail.
    const fresh = await createTestDb({ migrate: false });
    try {
      await migrate(fresh.db, { dir: 'migrations' });
      const next = await nextMigrationName('broken_tenant');
      const dir = await copyMigrations({
        [next.name]: '-- target: tenant\nALTER TABLE workspaces ADD COLUMN ok integer;\nALTER TABLE no_such_table ADD COLUMN x integer;\n',
      });
      tempDirs.push(dir);

      await expect(migrate(fresh.db, { dir })).rejects.toThrow(/tenant section does not apply.*no_such_table/);

      const { rows } = await sql<{ n: number }>`select count(*)::int as n from datalinx_platform.schema_version where version = ${next.version}`.execute(fresh.db);
      expect(rows[0]?.n).toBe(0);
      expect(await schemaExists(fresh.db, 'org_migration_check')).toBe(false);
      // Provisioning still works on the good chain.
      const org = await provisionOrganization({ db: fresh.db, migrations: await readMigrations('migrations') }, 'still-fine');
      expect(await schemaExists(fresh.db, org.schema_name)).toBe(true);
    } finally {
      await fresh.close();
    }
  });

  it('deleting an organization drops both its schema and its row', async () => {
    const org = await provisionOrganization(t, 'short-lived');
    expect(await schemaExists(t.db, 'org_short_lived')).toBe(true);

    const deleted = await deleteOrganization(operatorScope(t), org.id);

    expect(deleted.id).toBe(org.id);
    expect(await schemaExists(t.db, 'org_short_lived')).toBe(false);
    expect(await findOrganizationBySlug(t.db, 'short-lived')).toBeUndefined();
    const { rows } = await sql<{ n: number }>`
      select count(*)::int as n from datalinx_platform.tenant_schema_version where organization_id = ${org.id}`.execute(t.db);
    expect(rows[0]?.n).toBe(0);
  });

  it('gives the longest accepted slug a schema of exactly the recorded name', async () => {
    // PostgreSQL cuts identifiers at 63 bytes; the recorded schema_name must be the real one.
    const slug = 'a'.repeat(59);
    const org = await provisionOrganization(t, slug);

    expect(org.schema_name).toBe(`org_${slug}`);
    expect(await schemaExists(t.db, org.schema_name)).toBe(true);
    expect(await columnsOf(t.db, org.schema_name, 'workspaces')).toContain('settings');
  });
});

describe('provisioning during a migration run', () => {
  it('waits while a migration runner holds the lock, and completes once it is released', async () => {
    const runner = new pg.Client({ connectionString: t.url });
    await runner.connect();
    try {
      // test arrangement: a migration run in progress, holding the lock exclusively
      await runner.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
      let settled = false;
      const creating = provisionOrganization(t, 'during-migration').finally(() => (settled = true));
      const waiters = async () => {
        // test probe: sessions of this database waiting for the migration lock
        const { rows } = await runner.query<{ n: number }>(
          `select count(*)::int as n from pg_locks l join pg_database d on d.oid = l.database
           where d.datname = current_database() and l.locktype = 'advisory' and l.objid = $1 and not l.granted`,
          [MIGRATION_LOCK_KEY],
        );
        return rows[0]!.n;
      };
      while (!settled && (await waiters()) === 0) await new Promise((resolve) => setTimeout(resolve, 20));

      expect({ settled, waiting: await waiters() }).toEqual({ settled: false, waiting: 1 });
      await runner.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
      const org = await creating;
      expect(await schemaExists(t.db, org.schema_name)).toBe(true);
    } finally {
      await runner.end();
    }
  });
});

describe('a tenant handle', () => {
  it.each(['datalinx_platform', 'public', 'pg_catalog', 'org_x"; drop schema datalinx_platform cascade; --', 'ORG_ACME', ''])(
    'refuses a schema name that is not a tenant schema: %j',
    (schemaName) => {
      expect(() => tenantOf(t.db, { id: '00000000-0000-4000-8000-000000000000', slug: 'x', schema_name: schemaName })).toThrow('invalid tenant schema name');
    },
  );
});

describe('slugs are validated before anything touches the database', () => {
  it.each([
    ['SQL in it', 'acme; drop schema x', 'Slug may contain only lowercase letters, digits and single hyphens, and must start and end with a letter or digit'],
    ['a quote', "acme'--", 'Slug may contain only lowercase letters, digits and single hyphens, and must start and end with a letter or digit'],
    ['reserved: admin', 'admin', 'Slug "admin" is reserved'],
    ['reserved: public', 'public', 'Slug "public" is reserved'],
    ['too long (64 characters)', 'a'.repeat(64), 'Slug must be at most 59 characters'],
    ['too long for a schema name (60 characters)', 'a'.repeat(60), 'Slug must be at most 59 characters'],
    ['too short', 'ab', 'Slug must be at least 3 characters'],
    ['empty', '', 'Slug is required'],
    ['uppercase', 'Acme', 'Slug may contain only lowercase letters, digits and single hyphens, and must start and end with a letter or digit'],
    ['a leading hyphen', '-acme', 'Slug may contain only lowercase letters, digits and single hyphens, and must start and end with a letter or digit'],
    ['a double hyphen', 'ac--me', 'Slug may contain only lowercase letters, digits and single hyphens, and must start and end with a letter or digit'],
  ])('rejects a slug with %s', async (_case, slug, message) => {
    const before = await organizationCount();

    const err = await rejection(provisionOrganization(t, slug));

    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ message, path: ['slug'] });
    expect(await organizationCount()).toBe(before);
  });

  it('rejects a taken slug with a ConflictError saying so, without driver text', async () => {
    await provisionOrganization(t, 'popular');

    const err = await rejection(provisionOrganization(t, 'popular', 'Another Popular'));

    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ message: 'An organization with this slug already exists', details: { field: 'slug' } });
    expect((err as Error).message).not.toMatch(DRIVER_TEXT);
    expect((await findOrganizationBySlug(t.db, 'popular'))?.name).toBe('Org popular');
  });
});
