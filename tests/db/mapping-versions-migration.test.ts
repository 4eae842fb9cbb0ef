import { rm } from 'node:fs/promises';
import { readMigrations } from '../../src/db/migration-files.js';
import { migrate } from '../../src/db/migrator.js';
import { createTestDb, migrationsBefore, provisionOrganization, tenantOf, type TestDb } from '../support/index.js';

// The migration that creates mapping_versions gives every mapping that exists
// already its current state as its first version, so history starts complete.

let t: TestDb;
let dir: string;

beforeAll(async () => {
  t = await createTestDb({ migrate: false });
  dir = await migrationsBefore('_create_mapping_versions.sql');
});

afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

it('backfills the current state of existing mappings as their version', async () => {
  await migrate(t.db, { dir });
  const org = await provisionOrganization({ db: t.db, migrations: await readMigrations(dir) }, 'before-versions');
  const db = tenantOf(t.db, org).db;
  const ws = await db.insertInto('workspaces').values({ name: 'old' }).returning('id').executeTakeFirstOrThrow();
  const mapping = await db
    .insertInto('mappings')
    .values({
      workspace_id: ws.id,
      target_table: 'dim_customer',
      source_table: 'customers',
      field_mappings: JSON.stringify({ id: { source: 'cust_id', transform: null } }),
      status: 'active',
      version: 4,
    })
    .returningAll()
    .executeTakeFirstOrThrow();

  await migrate(t.db, { dir: 'migrations' });

  const rows = await db.selectFrom('mapping_versions').selectAll().execute();
  expect(rows).toEqual([
    {
      id: expect.any(String),
      mapping_id: mapping.id,
      version: 4,
      target_table: 'dim_customer',
      source_table: 'customers',
      field_mappings: { id: { source: 'cust_id', transform: null } },
      decorators: [],
      cte_definitions: [],
      status: 'active',
      changed_by: null,
      changed_at: mapping.updated_at,
    },
  ]);
});
