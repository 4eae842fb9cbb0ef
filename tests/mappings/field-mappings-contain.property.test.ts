import fc from 'fast-check';
import { sql } from 'kysely';
import type { TenantDb } from '../../src/db/database.js';
import { encodeCursor } from '../../src/db/pagination.js';
import type { MappingStatus, StoredFieldMappings } from '../../src/db/tables/mappings.table.js';
import { addFieldSourcesOf, type FieldMappingSearch } from '../../src/mappings/mapping-field-source.dao.js';
import * as mappings from '../../src/mappings/mapping.dao.js';
import { createTestDb, propertyParams, provisionOrganization, tenantOf, type TestDb } from '../support/index.js';

/**
 * fieldMappingsContain is answered by mapping_field_sources, kept by every
 * writer of mappings. Whatever the stored field_mappings (the API's shape, or
 * anything JSONB holds: non-object values, numbers, arrays, keys and values
 * too long to index) and however they were written (insert, update, bulk SQL),
 * a search lists exactly the mappings `field_mappings @> {field: {source,
 * transform}}` matches, in the list's order, page after page, with the same
 * count, alone or with the list's other filters.
 */

let t: TestDb;
let db: TenantDb;
let workspaces: string[];

beforeAll(async () => {
  t = await createTestDb();
  const org = await provisionOrganization(t, 'contains-property');
  db = tenantOf(t.db, org).db;
  workspaces = (await db.insertInto('workspaces').values([{ name: 'one' }, { name: 'two' }]).returning('id').execute()).map((w) => w.id);
});
afterAll(() => t.close());

// Small pools, so searches hit; a key and a value near or past what the indexes hold (2,000 bytes).
const LONG_KEY = 'k'.repeat(2100);
const EDGE_KEY = 'é'.repeat(995); // 1,990 bytes: has rows, but with most sources too long for the source index
const KEYS = ['customer_id', 'Customer_id', 'email', 'id', '', 'k y', LONG_KEY, EDGE_KEY];
const LONG_VALUE = 'v'.repeat(2500);
const VALUES = ['cust_id', 'CUST_ID', 'cust_id ', '', 'lower(email)', 'é', '1', LONG_VALUE];

const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: fc.string({ maxLength: 3 }) });
const text = fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 4 }));
/** A source or transform as JSONB may hold it: mostly strings, also null, absent, or not a string at all. */
const member = fc.oneof(
  { weight: 6, arbitrary: text },
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom(1, true, ['cust_id'], { x: 'cust_id' }) },
);
const entry = fc.oneof(
  { weight: 8, arbitrary: fc.record({ source: member, transform: member, extra: fc.constant(1) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.constantFrom(null, 'cust_id', 1, [{ source: 'cust_id' }], ['cust_id'], {}) },
);
const fieldMappings = fc.dictionary(key, entry, { maxKeys: 5 });
/** What a raw SQL writer might leave in the column: usually an object, sometimes not. */
const anyDocument = fc.oneof({ weight: 5, arbitrary: fieldMappings }, { weight: 1, arbitrary: fc.constantFrom([{ customer_id: {} }], 'customer_id', 7, null) });

const STATUSES: MappingStatus[] = ['draft', 'active', 'archived'];
/** A few instants, so several mappings share a created_at and the id breaks the tie. */
const INSTANTS = ['2024-01-01T00:00:00Z', '2024-01-01T00:00:01Z', '2024-01-02T00:00:00Z'];

type Write =
  | { kind: 'insert'; workspace: number; status: MappingStatus; fields: StoredFieldMappings }
  | { kind: 'bulk'; workspace: number; status: MappingStatus; fields: unknown; createdAt: string }
  | { kind: 'update'; target: number; fields: StoredFieldMappings }
  | { kind: 'delete'; target: number };

const write: fc.Arbitrary<Write> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), workspace: fc.nat(1), status: fc.constantFrom(...STATUSES), fields: fieldMappings as fc.Arbitrary<StoredFieldMappings> }),
  fc.record({ kind: fc.constant('bulk' as const), workspace: fc.nat(1), status: fc.constantFrom(...STATUSES), fields: anyDocument, createdAt: fc.constantFrom(...INSTANTS) }),
  fc.record({ kind: fc.constant('update' as const), target: fc.nat(), fields: fieldMappings as fc.Arbitrary<StoredFieldMappings> }),
  fc.record({ kind: fc.constant('delete' as const), target: fc.nat() }),
);

const search: fc.Arbitrary<FieldMappingSearch> = fc.record({ targetField: key, source: fc.option(text, { freq: 2 }), transform: fc.option(text, { freq: 2 }) });
const otherFilters = fc.record({ workspace: fc.option(fc.nat(1)), status: fc.option(fc.constantFrom(...STATUSES)) });

async function apply(w: Write): Promise<void> {
  const ids = (await db.selectFrom('mappings').select('id').orderBy('id').execute()).map((r) => r.id);
  const base = { target_table: 't', source_table: 's' };
  if (w.kind === 'insert') {
    await mappings.insertMapping(db, { ...base, workspace_id: workspaces[w.workspace]!, status: w.status, field_mappings: w.fields });
  } else if (w.kind === 'bulk') {
    const row = await db
      .insertInto('mappings')
      .values({ ...base, workspace_id: workspaces[w.workspace]!, status: w.status, field_mappings: JSON.stringify(w.fields), created_at: w.createdAt } as never)
      .returning('id')
      .executeTakeFirstOrThrow();
    await addFieldSourcesOf(db, [row.id]);
  } else if (ids.length > 0) {
    const id = ids[w.target % ids.length]!;
    if (w.kind === 'delete') await mappings.deleteMapping(db, id);
    else {
      const { version } = (await mappings.findMappingById(db, id))!;
      expect(await mappings.updateMappingAtVersion(db, id, version, { field_mappings: w.fields })).toMatchObject({ field_mappings: w.fields });
    }
  }
}

/** The reference: the containment the API has always meant, in the list's order. */
async function expected(s: FieldMappingSearch, filter: mappings.MappingFilter): Promise<string[]> {
  const entry = { ...(s.source != null && { source: s.source }), ...(s.transform != null && { transform: s.transform }) };
  let q = db
    .selectFrom('mappings')
    .select('id')
    // property reference: JSONB containment
    .where(sql<boolean>`field_mappings @> ${JSON.stringify({ [s.targetField]: entry })}::jsonb`);
  if (filter.workspaceId != null) q = q.where('workspace_id', '=', filter.workspaceId);
  if (filter.status != null) q = q.where('status', '=', filter.status);
  return (await q.orderBy('created_at', 'desc').orderBy('id', 'desc').execute()).map((r) => r.id);
}

/** Every page of the list, 2 rows a page, forward through the cursors, each counting the list in its statement too. */
async function listed(filter: mappings.MappingFilter): Promise<{ ids: string[]; totals: (number | undefined)[] }> {
  const ids: string[] = [];
  const totals: (number | undefined)[] = [];
  for (let after: string | null = null; ; ) {
    const page = await mappings.listMappings(db, filter, { first: 2, after, withTotalCount: true });
    ids.push(...page.rows.map((r) => r.id));
    totals.push(page.totalCount);
    if (!page.hasNextPage) return { ids, totals };
    after = encodeCursor(page.rows.at(-1)!.id);
  }
}

/** mapping_field_sources as the writers left it, and as it would be rebuilt from the mappings now. */
async function sideTable() {
  const kept = await db.selectFrom('mapping_field_sources').selectAll().orderBy('mapping_id').orderBy('target_field').execute();
  const derived = await db
    .selectFrom('mappings as m')
    // property reference: the rows each mapping's field_mappings gives
    .innerJoinLateral(sql<{ target_field: string; source: string | null; transform: string | null }>`datalinx_platform.field_mapping_entries(m.field_mappings)`.as('e'), (j) => j.onTrue())
    .select(['m.id as mapping_id', 'e.target_field', 'e.source', 'e.transform', 'm.created_at as mapping_created_at'])
    .orderBy('mapping_id')
    .orderBy('target_field')
    .execute();
  return { kept, derived };
}

it('lists and counts exactly the mappings field_mappings @> matches, whatever wrote them', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(write, { maxLength: 12 }), fc.array(fc.tuple(search, otherFilters), { minLength: 1, maxLength: 4 }), async (writes, searches) => {
      await db.deleteFrom('mappings').execute();
      for (const w of writes) await apply(w);

      const { kept, derived } = await sideTable();
      expect(kept).toEqual(derived);

      for (const [s, other] of searches) {
        const filter: mappings.MappingFilter = {
          fieldMappingsContain: s,
          workspaceId: other.workspace == null ? null : workspaces[other.workspace]!,
          status: other.status,
        };
        const want = await expected(s, filter);
        const { ids, totals } = await listed(filter);
        expect(ids).toEqual(want);
        // a page counted in its own statement (the first always is) says the same as the count alone
        expect(totals.map((n) => n ?? want.length)).toEqual(totals.map(() => want.length));
        expect(totals[0]).toBe(want.length);
        expect(await mappings.countMappings(db, filter)).toBe(want.length);
        // and backwards from the end: the last page is the last rows
        expect((await mappings.listMappings(db, filter, { last: 2 })).rows.map((r) => r.id)).toEqual(want.slice(-2));
      }
    }),
    propertyParams(150),
  );
});
