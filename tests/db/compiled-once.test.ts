import { sql, type RawBuilder } from 'kysely';
import { anyOf, compiledOnce } from '../../src/db/compiled-once.js';
import type { OrganizationRow } from '../../src/db/tables/organizations.table.js';
import * as mappings from '../../src/mappings/mapping.dao.js';
import type { Tenant } from '../../src/tenancy/tenant.js';
import { tenantDb } from '../../src/tenancy/tenancy.js';
import * as workspaces from '../../src/workspaces/workspace.dao.js';
import { createTestDb, provisionOrganization, tenantOf, type TestDb } from '../support/index.js';

/**
 * Reads by id are compiled once per schema (src/db/compiled-once.ts) and then
 * sent with each call's ids: the text must not depend on the ids, and the
 * schema must be the handle's, whichever organization compiled it first.
 */

let t: TestDb;
let orgA: OrganizationRow;
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  t = await createTestDb();
  orgA = await provisionOrganization(t, 'compiled-a');
  a = tenantOf(t.db, orgA);
  b = tenantOf(t.db, await provisionOrganization(t, 'compiled-b'));
});
afterAll(() => t.close());

/** The statements `read` sent, and what it returned. */
async function sent<T>(read: () => Promise<T>): Promise<{ result: T; statements: string[] }> {
  t.counter.reset();
  const result = await read();
  return { result, statements: t.counter.statements };
}

describe('reads by id, compiled once per schema', () => {
  it('sends the same text for one id and for three, and returns the rows of those ids', async () => {
    const [w1, w2, w3] = await Promise.all(['One', 'Two', 'Three'].map((name) => workspaces.insertWorkspace(a.db, { name })));
    const one = await sent(() => workspaces.findWorkspacesByIds(a.db, [w1!.id]));
    const three = await sent(() => workspaces.findWorkspacesByIds(a.db, [w3!.id, w1!.id, w2!.id]));
    expect(one.result).toEqual([w1]);
    expect(three.result.map((w) => w.name).sort()).toEqual(['One', 'Three', 'Two']);
    expect(one.statements).toEqual([`select * from "${orgA.schema_name}"."workspaces" where "id" = any($1)`]);
    expect(three.statements).toEqual(one.statements);
  });

  it("reads each organization's own schema, whichever compiled the statement first", async () => {
    const inA = await workspaces.insertWorkspace(a.db, { name: 'A only' });
    const inB = await workspaces.insertWorkspace(b.db, { name: 'B only' });
    expect(await workspaces.findWorkspacesByIds(b.db, [inA.id, inB.id])).toEqual([inB]);
    expect(await workspaces.findWorkspacesByIds(a.db, [inA.id, inB.id])).toEqual([inA]);
    // A handle made apart from the request's (e.g. by a worker) shares the compiled statement.
    expect(await workspaces.findWorkspacesByIds(tenantDb(t.db, b.organization.schema_name), [inA.id, inB.id])).toEqual([inB]);
  });

  it('runs inside a transaction on its connection, seeing what the transaction wrote', async () => {
    const seen = await a.transaction(async ({ tenant }) => {
      const ws = await workspaces.insertWorkspace(tenant, { name: 'Uncommitted' });
      const m = await mappings.insertMapping(tenant, { workspace_id: ws.id, source_table: 's', target_table: 't', field_mappings: {} });
      return (await mappings.findMappingsByIds(tenant, [m.id])).map((r) => r.id === m.id);
    });
    expect(seen).toEqual([true]);
  });

  it('builds a statement once per schema and name, then only sends it', async () => {
    let builds = 0;
    const byIds = (db: Tenant['db'], ids: string[]) =>
      compiledOnce(db, 'test: counted', () => (builds++, db.selectFrom('workspaces').select('name').where('id', '=', anyOf(ids))), [ids]);
    const [x, y] = await Promise.all([workspaces.insertWorkspace(a.db, { name: 'X' }), workspaces.insertWorkspace(b.db, { name: 'Y' })]);
    expect(await byIds(a.db, [x.id])).toEqual([{ name: 'X' }]);
    expect(await byIds(a.db, [x.id, y.id])).toEqual([{ name: 'X' }]);
    expect(builds).toBe(1);
    expect(await byIds(b.db, [x.id, y.id])).toEqual([{ name: 'Y' }]);
    expect(await byIds(b.db, [y.id])).toEqual([{ name: 'Y' }]);
    expect(builds).toBe(2);
  });

  it('refuses a statement whose parameters are not the ones given (its text would depend on them)', async () => {
    const ids = ['00000000-0000-4000-8000-000000000000'];
    await expect(compiledOnce(a.db, 'test: in-list', () => a.db.selectFrom('workspaces').selectAll().where('id', 'in', ids), [ids])).rejects.toThrow(
      /parameters are not the ones given/,
    );
    expect(await compiledOnce(a.db, 'test: any', () => a.db.selectFrom('workspaces').select('id').where('id', '=', anyOf(ids)), [ids])).toEqual([]);
  });

  it("tenant handles of one schema share that schema's plugin, and qualify their tables with their own schema", async () => {
    const pluginOf = (db: Tenant['db']) => db.getExecutor().plugins;
    const [first, second, other] = [tenantDb(t.db, orgA.schema_name), tenantDb(t.db, orgA.schema_name), b.db];
    expect(pluginOf(first)).toHaveLength(1);
    expect(pluginOf(second)[0]).toBe(pluginOf(first)[0]);
    expect(pluginOf(other)[0]).not.toBe(pluginOf(first)[0]);
    // Inside a transaction too, with a statement Kysely builds (not one compiled once).
    const names = await t.db.transaction().execute((trx) =>
      tenantDb(trx, orgA.schema_name).selectFrom('workspaces').select('name').where('name', '=', 'A only').execute(),
    );
    expect(names).toEqual([{ name: 'A only' }]);
    expect(tenantDb(t.db, orgA.schema_name).selectFrom('workspaces').select('id').compile().sql).toBe(`select "id" from "${orgA.schema_name}"."workspaces"`);
  });

  it("a statement whose transformation throws leaves no trace in its schema's shared plugin", () => {
    // A node Kysely's transformer does not know, in a query whose CTE is named like a table.
    const unknownNode = { toOperationNode: () => ({ kind: 'NotANode' }) } as unknown as RawBuilder<number>;
    const failing = () =>
      tenantDb(t.db, orgA.schema_name)
        .with('workspaces', (qb) => qb.selectNoFrom(sql<number>`${unknownNode}`.as('x')))
        .selectFrom('workspaces')
        .selectAll()
        .compile();
    expect(failing).toThrow();
    // Had the plugin kept the CTE's name, this table would be left unqualified.
    expect(tenantDb(t.db, orgA.schema_name).selectFrom('workspaces').select('id').compile().sql).toBe(`select "id" from "${orgA.schema_name}"."workspaces"`);
  });

  it('reads a mapping with its workspace in one statement, each as its read by id returns it', async () => {
    const ws = await workspaces.insertWorkspace(a.db, { name: 'Joined', settings: { timezone: 'Europe/Berlin' } });
    const m = await mappings.insertMapping(a.db, { workspace_id: ws.id, source_table: 's', target_table: 't', field_mappings: { id: { source: 'id', transform: null } } });
    const joined = await sent(() => mappings.findMappingWithWorkspace(a.db, m.id));
    expect(joined.statements).toHaveLength(1);
    expect(joined.result).toEqual({ mapping: (await mappings.findMappingsByIds(a.db, [m.id]))[0], workspace: (await workspaces.findWorkspacesByIds(a.db, [ws.id]))[0] });
    expect(await mappings.findMappingWithWorkspace(b.db, m.id)).toBeUndefined();
  });

  it('reads the workspace as JSON only while JSON carries each of its columns as pg does, timestamps made Dates again', async () => {
    const { rows } = await sql<{ column_name: string; data_type: string }>`
      select column_name, data_type from information_schema.columns where table_schema = ${orgA.schema_name} and table_name = 'workspaces'`.execute(t.db);
    // A bigint or numeric column would come back a number instead of pg's string, a date or timestamp as other text.
    expect(rows.filter((c) => !['uuid', 'text', 'character varying', 'jsonb', 'boolean', 'integer', 'timestamp with time zone'].includes(c.data_type))).toEqual([]);
    expect(rows.filter((c) => c.data_type === 'timestamp with time zone').map((c) => c.column_name).sort()).toEqual([...workspaces.WORKSPACE_TIMESTAMPS].sort());
  });

  it('builds every time on a handle whose schema it does not know', async () => {
    // withSchema directly, not through platform() or tenantDb(): the handle does not say its schema.
    const unnamed = t.db.withSchema('datalinx_platform');
    const first = await compiledOnce(unnamed, 'test: unnamed', () => unnamed.selectFrom('organizations').select('slug').where('id', '=', anyOf([orgA.id])), [[orgA.id]]);
    const other = await compiledOnce(unnamed, 'test: unnamed', () => unnamed.selectFrom('organizations').select('slug').where('slug', '=', 'compiled-b'), ['compiled-b']);
    expect([first, other]).toEqual([[{ slug: 'compiled-a' }], [{ slug: 'compiled-b' }]]);
  });
});
