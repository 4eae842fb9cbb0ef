import { LIST_COLUMNS as JOB_LIST_COLUMNS } from '../../src/jobs/pipeline-job.dao.js';
import { LIST_COLUMNS as MAPPING_LIST_COLUMNS } from '../../src/mappings/mapping.dao.js';
import type { ListColumns } from '../../src/db/pagination.js';
import { LIST_COLUMNS as WORKSPACE_LIST_COLUMNS } from '../../src/workspaces/workspace.dao.js';
import { columnsOf, createTestDb, provisionOrganization, type TestDb } from '../support/index.js';

/**
 * Lists name the columns they read (JSON ones cast to text after the page is
 * cut), and their rows are the same type as a row read by id (`select *`):
 * a column a migration adds must be read by the lists too, or every field
 * showing it would be null in lists only.
 */

let t: TestDb;
let schema: string;

beforeAll(async () => {
  t = await createTestDb();
  schema = (await provisionOrganization(t, 'list-columns')).schema_name;
});
afterAll(() => t.close());

it.each([
  ['workspaces', WORKSPACE_LIST_COLUMNS],
  ['mappings', MAPPING_LIST_COLUMNS],
  ['pipeline_jobs', JOB_LIST_COLUMNS],
] as [string, ListColumns][])('a listed row of %s reads every column of the table', async (table, columns) => {
  expect([...columns.plain, ...columns.json].sort()).toEqual((await columnsOf(t.db, schema, table)).sort());
});
