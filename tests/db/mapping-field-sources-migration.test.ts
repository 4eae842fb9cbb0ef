import { rm } from 'node:fs/promises';
import { readMigrations } from '../../src/db/migration-files.js';
import { migrate } from '../../src/db/migrator.js';
import * as mappings from '../../src/mappings/mapping.dao.js';
import { createTestDb, migrationsBefore, provisionOrganization, tenantOf, type TestDb } from '../support/index.js';

// The migration that creates mapping_field_sources gives every mapping that
// exists already its rows, so fieldMappingsContain finds it from the start.

let t: TestDb;
let dir: string;

beforeAll(async () => {
  t = await createTestDb({ migrate: false });
  dir = await migrationsBefore('_mapping_field_sources.sql');
});

afterAll(async () => {
  await t.close();
  await rm(dir, { recursive: true, force: true });
});

it('backfills the field mappings of existing mappings, leaving out what containment cannot match', async () => {
  await migrate(t.db, { dir });
  const org = await provisionOrganization({ db: t.db, migrations: await readMigrations(dir) }, 'before-field-sources');
  const db = tenantOf(t.db, org).db;
  const ws = await db.insertInto('workspaces').values({ name: 'old' }).returning('id').executeTakeFirstOrThrow();
  const insert = (target_table: string, fieldMappings: unknown) =>
    db
      .insertInto('mappings')
      .values({ workspace_id: ws.id, target_table, source_table: 'customers', field_mappings: JSON.stringify(fieldMappings) })
      .returning(['id', 'created_at'])
      .executeTakeFirstOrThrow();
  const usual = await insert('dim_customer', {
    customer_id: { source: 'cust_id', transform: null },
    full_name: { source: null, transform: "first || ' ' || last" },
  });
  const odd = await insert('odd', {
    numeric_source: { source: 7, transform: ['not', 'text'] }, // kept, without source or transform: neither is a JSON string
    not_an_object: 'cust_id', // left out: {"not_an_object": {…}} cannot contain it
    [`long_${'x'.repeat(2000)}`]: { source: 'cust_id' }, // left out: too long to index (searched with @> instead)
  });
  await insert('not_an_object_at_all', [{ customer_id: { source: 'cust_id' } }]);

  await migrate(t.db, { dir: 'migrations' });

  const rows = await db.selectFrom('mapping_field_sources').selectAll().orderBy('target_field').execute();
  expect(rows).toEqual([
    { mapping_id: usual.id, target_field: 'customer_id', source: 'cust_id', transform: null, mapping_created_at: usual.created_at },
    { mapping_id: usual.id, target_field: 'full_name', source: null, transform: "first || ' ' || last", mapping_created_at: usual.created_at },
    { mapping_id: odd.id, target_field: 'numeric_source', source: null, transform: null, mapping_created_at: odd.created_at },
  ]);
  const found = async (targetField: string, source?: string) =>
    (await mappings.listMappings(db, { fieldMappingsContain: { targetField, source } }, {})).rows.map((r) => r.target_table);
  expect(await found('customer_id', 'cust_id')).toEqual(['dim_customer']);
  expect(await found('numeric_source')).toEqual(['odd']);
  expect(await found(`long_${'x'.repeat(2000)}`, 'cust_id')).toEqual(['odd']);
  expect(await found('not_an_object')).toEqual([]);
});
