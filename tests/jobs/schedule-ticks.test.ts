import { Keyring } from '../../src/crypto/keyring.js';
import {
  createActiveMapping,
  createDataSource,
  createSourceDb,
  createWorkspace,
  gqlData,
  localId,
  mutate,
  sourceConfigOf,
  tenantDbOf,
  useTestApi,
  useWorkers,
  waitFor,
  type SourceDb,
} from '../support/index.js';

// Two real worker processes, both running the scheduler's check every second: a schedule that
// fires every minute queues exactly one job per tick, which one of them runs. A tick the rules
// refuse (no active mapping) queues nothing and says why on the schedule.
const KEYRING = Keyring.generate('schedule-ticks').json;
const { server, org } = useTestApi({ env: { KEYRING, WORKER_IN_PROCESS: 'false' } });
const workers = useWorkers(server, KEYRING);
let source: SourceDb;

afterAll(() => source?.drop());

const SET = `mutation($input: SetWorkspaceScheduleInput!) { setWorkspaceSchedule(input: $input) { __typename } }`;
const READ = `query($id: ID!) { node(id: $id) { ... on Workspace {
  schedule { nextRunAt lastTickAt lastProblem lastJob { id status runMetadata { triggeredBy } } }
  pipelineJobs(first: 10) { totalCount edges { node { id status jobType attempts { number } } } } } } }`;
interface Read {
  schedule: { nextRunAt: string; lastTickAt: string | null; lastProblem: string | null; lastJob: { id: string; status: string; runMetadata: { triggeredBy: string | null } } | null };
  pipelineJobs: { totalCount: number; edges: { node: { id: string; status: string; jobType: string; attempts: { number: number }[] } }[] };
}
const read = async (id: string) => (await gqlData<{ node: Read }>(server, READ, { id }, org.users.viewer.token)).node;

it('a schedule fires once per tick with two workers: one job, run by one of them; a refused tick records its problem', async () => {
  source = await createSourceDb('CREATE TABLE customers (cust_id int PRIMARY KEY); INSERT INTO customers VALUES (1), (2);');
  const scheduled = await createWorkspace(server, org.users.editor.token, 'Scheduled');
  await createDataSource(server, org.users.editor.token, scheduled, sourceConfigOf(source));
  await createActiveMapping(server, org.users.editor.token, scheduled, { sourceTable: 'customers', fieldMappings: [{ targetField: 'id', source: 'cust_id' }] });
  const empty = await createWorkspace(server, org.users.editor.token, 'Nothing active');
  for (const workspaceId of [scheduled, empty]) {
    expect(await mutate<{ __typename: string }>(server, SET, { input: { workspaceId, cron: '* * * * *', timeZone: 'UTC', jobType: 'MAPPING_TEST' } }, org.users.editor.token)).toEqual({
      __typename: 'SetWorkspaceSchedulePayload',
    });
  }
  const { nextRunAt } = (await read(scheduled)).schedule;
  workers.start({ SCHEDULE_CHECK_SECONDS: '1' });
  workers.start({ SCHEDULE_CHECK_SECONDS: '1' });

  const ticked = await waitFor('the first tick to queue a job and a worker to run it', async () => {
    const r = await read(scheduled);
    return r.schedule.lastJob?.status === 'COMPLETED' ? r : null;
  }, 100_000);
  expect(new Date(ticked.schedule.lastTickAt!).getTime()).toBeGreaterThanOrEqual(new Date(nextRunAt).getTime());
  expect(ticked.schedule.lastProblem).toBeNull();
  expect(ticked.schedule.lastJob!.runMetadata).toEqual({ triggeredBy: 'schedule' });
  expect(ticked.pipelineJobs.edges.map((e) => e.node)).toEqual([{ id: ticked.schedule.lastJob!.id, status: 'COMPLETED', jobType: 'MAPPING_TEST', attempts: [{ number: 1 }] }]);

  // Both workers check every second: several more checks inside the same minute send nothing more.
  const tickMinute = Math.floor(new Date(ticked.schedule.lastTickAt!).getTime() / 60_000);
  await new Promise((r) => setTimeout(r, 4_000));
  const jobs = await tenantDbOf(server, org).selectFrom('pipeline_jobs').select(['id', 'created_at']).where('workspace_id', '=', localId(scheduled)).execute();
  const inTickMinute = jobs.filter((j) => Math.floor(j.created_at.getTime() / 60_000) === tickMinute);
  expect(inTickMinute).toHaveLength(1);

  // The workspace without an active mapping ticked too, and queued nothing.
  const refused = await waitFor('the refused tick', async () => {
    const r = await read(empty);
    return r.schedule.lastTickAt ? r : null;
  });
  expect(refused.schedule.lastProblem).toMatch(/no active mapping/);
  expect(refused.schedule.lastJob).toBeNull();
  expect(refused.pipelineJobs.totalCount).toBe(0);
}, 150_000);
