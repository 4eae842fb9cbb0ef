import { sql } from 'kysely';
import { encodeCursor, type PageArgs } from '../../src/db/pagination.js';
import type { MappingRow } from '../../src/db/tables/mappings.table.js';
import type { OrganizationRow } from '../../src/db/tables/organizations.table.js';
import type { WorkspaceRow } from '../../src/db/tables/workspaces.table.js';
import { ValidationError } from '../../src/errors.js';
import * as jobs from '../../src/jobs/pipeline-job.dao.js';
import * as mappings from '../../src/mappings/mapping.dao.js';
import type { Tenant } from '../../src/tenancy/tenant.js';
import { insertWorkspace, listWorkspaces } from '../../src/workspaces/workspace.dao.js';
import { createTestDb, provisionOrganization, rejection, tenantOf, type TestDb } from '../support/index.js';

let t: TestDb;
let org: OrganizationRow;
let tenant: Tenant;
/** Every workspace, newest first by (created_at, id): the order every page must follow. */
let ordered: WorkspaceRow[];

const at = (minute: number) => new Date(Date.UTC(2024, 0, 1, 0, minute));

/** Moves a row's created_at, so the order under test does not hang on clock resolution. */
async function setCreatedAt(table: string, id: string, when: Date): Promise<void> {
  await sql`update ${sql.table(`${org.schema_name}.${table}`)} set created_at = ${when} where id = ${id}`.execute(t.db);
}

beforeAll(async () => {
  t = await createTestDb();
  org = await provisionOrganization(t, 'pager');
  tenant = tenantOf(t.db, org);
  // minutes 1..7, plus two rows sharing minute 4 with another: ties fall back to id desc
  const minutes = [1, 2, 3, 4, 4, 4, 5, 6, 7];
  for (const [i, minute] of minutes.entries()) {
    const w = await insertWorkspace(tenant.db, { name: `w${i}` });
    await setCreatedAt('workspaces', w.id, at(minute));
  }
  ordered = (await listWorkspaces(tenant.db, { first: 100 })).rows;
});
afterAll(() => t.close());

const names = (rows: { name: string }[]) => rows.map((r) => r.name);
const page = async (args: PageArgs) => {
  const p = await listWorkspaces(tenant.db, args);
  return { names: names(p.rows), hasNextPage: p.hasNextPage, hasPreviousPage: p.hasPreviousPage };
};

describe('keyset pagination (workspaces)', () => {
  it('orders newest first, breaking created_at ties by id descending', () => {
    const tied = ordered.filter((w) => w.created_at.getTime() === at(4).getTime()).map((w) => w.id);
    expect(tied).toHaveLength(3);
    expect(tied).toEqual([...tied].sort().reverse());
    expect(names(ordered).slice(0, 3)).toEqual(['w8', 'w7', 'w6']);
    expect(names(ordered).slice(-3)).toEqual(['w2', 'w1', 'w0']);
  });

  it('walks forward with first/after without skipping or repeating a row', async () => {
    const all = names(ordered);
    expect(await page({ first: 4 })).toEqual({ names: all.slice(0, 4), hasNextPage: true, hasPreviousPage: false });
    expect(await page({ first: 4, after: encodeCursor(ordered[3]!.id) })).toEqual({ names: all.slice(4, 8), hasNextPage: true, hasPreviousPage: true });
    expect(await page({ first: 4, after: encodeCursor(ordered[7]!.id) })).toEqual({ names: all.slice(8), hasNextPage: false, hasPreviousPage: true });
  });

  it('walks backward with last/before, rows still newest first', async () => {
    const all = names(ordered);
    expect(await page({ last: 3 })).toEqual({ names: all.slice(6), hasNextPage: false, hasPreviousPage: true });
    expect(await page({ last: 3, before: encodeCursor(ordered[6]!.id) })).toEqual({ names: all.slice(3, 6), hasNextPage: true, hasPreviousPage: true });
    expect(await page({ last: 5, before: encodeCursor(ordered[3]!.id) })).toEqual({ names: all.slice(0, 3), hasNextPage: true, hasPreviousPage: false });
  });

  it('returns an empty page for first: 0 that still says more rows exist, and at most 100 rows', async () => {
    expect(await page({ first: 0 })).toEqual({ names: [], hasNextPage: true, hasPreviousPage: false });
    expect((await page({ first: 100 })).names).toEqual(names(ordered));
  });

  it.each<[string, PageArgs, string, string]>([
    ['first above the cap of 100', { first: 101 }, '"first" must be between 0 and 100', 'first'],
    ['last above the cap of 100', { last: 500 }, '"last" must be between 0 and 100', 'last'],
    ['a negative first', { first: -1 }, '"first" must be between 0 and 100', 'first'],
    ['first and last together', { first: 1, last: 1 }, 'Pass either "first" or "last", not both', 'first'],
    ['an after cursor that is not base64 of ours', { after: 'not-a-cursor' }, '"after" is not a valid cursor', 'after'],
    ['a cursor holding no uuid', { after: Buffer.from('c1:1 or 1=1').toString('base64url') }, '"after" is not a valid cursor', 'after'],
    ['a bare row id as cursor', { last: 2, before: '6f1c0b9e-2a0c-4e0a-9a7e-4f7f6a1f0c11' }, '"before" is not a valid cursor', 'before'],
  ])('rejects %s with a ValidationError', async (_case, args, message, field) => {
    const err = await rejection(listWorkspaces(tenant.db, args));
    expect(err).toBeInstanceOf(ValidationError);
    expect(err).toMatchObject({ message, path: [field] });
  });
});

describe('nested pages for several parents in one statement', () => {
  let w: WorkspaceRow[];
  let byWorkspace: Map<string, MappingRow[]>;

  beforeAll(async () => {
    w = [ordered[0]!, ordered[1]!, ordered[2]!];
    byWorkspace = new Map(w.map((x) => [x.id, []]));
    // 5 mappings in the first workspace, 2 in the second, none in the third
    for (const [wi, count] of [[0, 5], [1, 2]] as const) {
      for (let i = 0; i < count; i++) {
        const m = await mappings.insertMapping(tenant.db, {
          workspace_id: w[wi]!.id,
          target_table: `t${wi}_${i}`,
          source_table: 's',
          field_mappings: {},
          status: i % 2 === 0 ? 'active' : 'draft',
        });
        await setCreatedAt('mappings', m.id, at(10 + i));
        byWorkspace.get(w[wi]!.id)!.unshift((await mappings.findMappingById(tenant.db, m.id))!);
      }
    }
  });

  it('fetches the first page of every workspace with a single SQL statement, which also counts each workspace\'s rows', async () => {
    t.counter.reset();
    const pages = await mappings.pagesByWorkspaceIds(tenant.db, w.map((x) => x.id), {}, { first: 3, withTotalCount: true });
    expect(t.counter.count).toBe(1);

    const rows = (i: number) => byWorkspace.get(w[i]!.id)!;
    expect(pages).toEqual(
      new Map([
        [w[0]!.id, { rows: rows(0).slice(0, 3), hasNextPage: true, hasPreviousPage: false, totalCount: 5 }],
        [w[1]!.id, { rows: rows(1), hasNextPage: false, hasPreviousPage: false, totalCount: 2 }],
        [w[2]!.id, { rows: [], hasNextPage: false, hasPreviousPage: false, totalCount: 0 }],
      ]),
    );
  });

  it('applies filters and cursors per parent, and counts per parent in one statement', async () => {
    const first = byWorkspace.get(w[0]!.id)!;
    const pages = await mappings.pagesByWorkspaceIds(tenant.db, [w[0]!.id], { status: 'active' }, { first: 2, after: encodeCursor(first[0]!.id) });
    // After a cursor the page's statement cannot count the whole list: no totalCount, the count loader asks.
    expect(pages.get(w[0]!.id)).toEqual({ rows: [first[2], first[4]], hasNextPage: false, hasPreviousPage: true });
    const uncounted = await mappings.pagesByWorkspaceIds(tenant.db, [w[0]!.id], {}, { first: 2 });
    expect(uncounted.get(w[0]!.id)!.totalCount).toBeUndefined();

    t.counter.reset();
    const counts = await mappings.countsByWorkspaceIds(tenant.db, w.map((x) => x.id), {});
    expect(t.counter.count).toBe(1);
    expect(counts).toEqual(new Map([[w[0]!.id, 5], [w[1]!.id, 2], [w[2]!.id, 0]]));
  });

  it('pages jobs of several workspaces in one statement too', async () => {
    const job = await jobs.insertPipelineJob(tenant.db, { workspace_id: w[1]!.id, job_type: 'incremental' });
    t.counter.reset();
    const pages = await jobs.pagesByWorkspaceIds(tenant.db, [w[0]!.id, w[1]!.id], {}, { last: 10, withTotalCount: true });
    expect(t.counter.count).toBe(1);
    expect(pages).toEqual(
      new Map([
        [w[0]!.id, { rows: [], hasNextPage: false, hasPreviousPage: false, totalCount: 0 }],
        [w[1]!.id, { rows: [job], hasNextPage: false, hasPreviousPage: false, totalCount: 1 }],
      ]),
    );
  });
});
