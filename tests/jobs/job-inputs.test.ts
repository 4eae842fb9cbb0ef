import { insertDataSource } from '../../src/data-sources/data-source.dao.js';
import type { OrganizationRow } from '../../src/db/tables/organizations.table.js';
import { mappingsOfJob } from '../../src/jobs/pipeline-run.dao.js';
import { insertMapping } from '../../src/mappings/mapping.dao.js';
import { insertWorkspace } from '../../src/workspaces/workspace.dao.js';
import { createTestDb, provisionOrganization, tenantOf, type TestDb } from '../support/index.js';

let t: TestDb;
let org: OrganizationRow;
afterAll(() => t?.close());
beforeAll(async () => {
  t = await createTestDb();
  org = await provisionOrganization(t, 'job-inputs');
});

const db = () => tenantOf(t.db, org).db;
const schema = (table: string) => ({ tables: [{ schema: 'public', name: table, columns: [{ name: 'id', dataType: 'integer', nullable: false }] }] });

describe("a job's inputs, read in one statement", () => {
  it('its mappings in the order chosen (a missing one left out), and the active PostgreSQL sources once, oldest first', async () => {
    const ws = await insertWorkspace(db(), { name: 'Inputs' });
    const source = (name: string, extra: object = {}) =>
      insertDataSource(db(), { workspace_id: ws.id, name, source_type: 'postgresql', connection_config: { host: 'h', database: name }, schema_cache: schema(name), ...extra });
    const first = await source('crm');
    const second = await source('erp');
    await source('off', { is_active: false });
    const mapping = (target: string) => insertMapping(db(), { workspace_id: ws.id, source_table: 'crm', target_table: target, field_mappings: { id: { source: 'id', transform: null } } });
    const [a, b, c] = [await mapping('a'), await mapping('b'), await mapping('c')];
    t.counter.reset();

    const inputs = await mappingsOfJob(db(), ws.id, [c.id, '6f1c8a52-0d5e-4c1b-9a7e-2b3c4d5e6f70', a.id, b.id]);

    expect(t.counter.count).toBe(1);
    expect(inputs.mappings.map((m) => m.target_table)).toEqual(['c', 'a', 'b']);
    expect(inputs.mappings[0]).not.toHaveProperty('_sources');
    expect(inputs.sources.map((s) => ({ id: s.id, name: s.name, schema_cache: s.schema_cache }))).toEqual([
      { id: first.id, name: 'crm', schema_cache: schema('crm') },
      { id: second.id, name: 'erp', schema_cache: schema('erp') },
    ]);
  });

  it('no mapping: no statement, no sources', async () => {
    t.counter.reset();
    expect(await mappingsOfJob(db(), '6f1c8a52-0d5e-4c1b-9a7e-2b3c4d5e6f70', [])).toEqual({ mappings: [], sources: [] });
    expect(t.counter.count).toBe(0);
  });
});
