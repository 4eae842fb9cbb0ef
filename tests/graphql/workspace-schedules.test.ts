import { sql } from 'kysely';
import { CronExpressionParser } from 'cron-parser';
import {
  auditMark,
  auditRowsSince,
  createWorkspace,
  ENTITY_ERROR_FIELDS,
  gqlData,
  localId,
  mutate,
  NO_SUCH_UUID,
  globalId,
  seedOrganization,
  useTestApi,
} from '../support/index.js';

const { server, org } = useTestApi();

const SCHEDULE = 'schedule { cron timeZone jobType enabled nextRunAt lastTickAt lastJob { id } lastProblem updatedAt }';
const SET = `mutation($input: SetWorkspaceScheduleInput!) { setWorkspaceSchedule(input: $input) {
  __typename ... on SetWorkspaceSchedulePayload { workspace { id ${SCHEDULE} } } ${ENTITY_ERROR_FIELDS} ... on ValidationError { path } } }`;
const REMOVE = `mutation($id: ID!) { removeWorkspaceSchedule(workspaceId: $id) {
  __typename ... on RemoveWorkspaceSchedulePayload { workspace { id ${SCHEDULE} } } ${ENTITY_ERROR_FIELDS} } }`;
const READ = `query($id: ID!) { node(id: $id) { ... on Workspace { ${SCHEDULE} } } }`;

type Schedule = { cron: string; timeZone: string; jobType: string; enabled: boolean; nextRunAt: string | null; lastTickAt: string | null; lastProblem: string | null };
type SetResult = { __typename: string; workspace?: { id: string; schedule: Schedule | null }; message?: string; path?: string[]; entityType?: string };

const set = (input: Record<string, unknown>, token = org.users.editor.token) => mutate<SetResult>(server, SET, { input }, token);
const read = async (id: string, token = org.users.viewer.token) => (await gqlData<{ node: { schedule: Schedule | null } }>(server, READ, { id }, token)).node.schedule;

/** The queue scheduler's copy of a workspace's schedule (pg-boss's schedule table), or undefined. */
async function schedulerRow(workspaceId: string, organizationId = org.id) {
  const schema = server.config.jobs.queueSchema;
  const { rows } = await sql<{ cron: string; timezone: string; data: Record<string, unknown> }>`
    select cron, timezone, data from ${sql.table(`${schema}.schedule`)} where name = 'pipeline-schedules' and key = ${`${organizationId}/${localId(workspaceId)}`}`.execute(server.db.db);
  return rows[0];
}

describe('setWorkspaceSchedule', () => {
  it('sets a schedule that reads back with its next run, and writes the scheduler its copy in the same transaction', async () => {
    const id = await createWorkspace(server, org.users.editor.token);
    expect(await read(id)).toBeNull();
    const mark = await auditMark(server);
    const res = await set({ workspaceId: id, cron: '30 2 * * 1-5', timeZone: 'Europe/Berlin', jobType: 'MAPPING_TEST' });
    expect(res.__typename).toBe('SetWorkspaceSchedulePayload');
    const schedule = res.workspace!.schedule!;
    expect(schedule).toMatchObject({ cron: '30 2 * * 1-5', timeZone: 'Europe/Berlin', jobType: 'MAPPING_TEST', enabled: true, lastTickAt: null, lastProblem: null });
    // nextRunAt is the expression's next occurrence in Berlin: 02:30 local on a weekday, in the future
    const expected = CronExpressionParser.parse('30 2 * * 1-5', { tz: 'Europe/Berlin', currentDate: new Date() }).next().toDate();
    expect(Math.abs(new Date(schedule.nextRunAt!).getTime() - expected.getTime())).toBeLessThan(1000);
    const berlin = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', weekday: 'short' }).format(new Date(schedule.nextRunAt!));
    expect(berlin).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 02:30$/);
    expect(await read(id)).toEqual(schedule);
    expect(await schedulerRow(id)).toEqual({ cron: '30 2 * * 1-5', timezone: 'Europe/Berlin', data: { organizationId: org.id, workspaceId: localId(id) } });
    const audit = await auditRowsSince(server, mark);
    expect(audit.map((a) => a.action)).toEqual(['workspace.schedule.set']);
  });

  it("defaults the time zone and job type to the workspace's settings, and replaces the schedule when set again", async () => {
    const id = await createWorkspace(server, org.users.editor.token);
    await mutate(server, `mutation($input: UpdateWorkspaceInput!) { updateWorkspace(input: $input) { __typename } }`, { input: { id, settings: { timezone: 'America/New_York', defaultJobType: 'MAPPING_TEST' } } }, org.users.editor.token);
    const first = await set({ workspaceId: id, cron: '@daily' });
    expect(first.workspace!.schedule).toMatchObject({ cron: '@daily', timeZone: 'America/New_York', jobType: 'MAPPING_TEST', enabled: true });
    const second = await set({ workspaceId: id, cron: '*/15 * * * *', timeZone: 'UTC' });
    expect(second.workspace!.schedule).toMatchObject({ cron: '*/15 * * * *', timeZone: 'UTC' });
    expect(new Date(second.workspace!.schedule!.nextRunAt!).getUTCMinutes() % 15).toBe(0);
    expect(await schedulerRow(id)).toMatchObject({ cron: '*/15 * * * *', timezone: 'UTC' });
  });

  it('a disabled schedule is kept without a next run, and taken out of the scheduler; enabling it puts it back', async () => {
    const id = await createWorkspace(server, org.users.editor.token);
    await set({ workspaceId: id, cron: '0 * * * *', jobType: 'MAPPING_TEST' });
    const off = await set({ workspaceId: id, cron: '0 * * * *', jobType: 'MAPPING_TEST', enabled: false });
    expect(off.workspace!.schedule).toMatchObject({ enabled: false, nextRunAt: null });
    expect(await schedulerRow(id)).toBeUndefined();
    await set({ workspaceId: id, cron: '0 * * * *', jobType: 'MAPPING_TEST', enabled: true });
    expect(await schedulerRow(id)).toMatchObject({ cron: '0 * * * *' });
  });

  it.each([
    ['* * * * * *', ['input', 'cron'], /five fields/],
    ['0 3 * *', ['input', 'cron'], /five fields/],
    ['61 * * * *', ['input', 'cron'], /Invalid cron expression/],
    ['every day', ['input', 'cron'], /five fields/],
    ['@reboot', ['input', 'cron'], /Unknown shorthand/],
    ['', ['input', 'cron'], /required/],
  ])('refuses the cron expression %j with a ValidationError, writing nothing', async (cron, path, message) => {
    const id = await createWorkspace(server, org.users.editor.token);
    const res = await set({ workspaceId: id, cron, jobType: 'MAPPING_TEST' });
    expect(res).toMatchObject({ __typename: 'ValidationError', path });
    expect(res.message).toMatch(message);
    expect(await read(id)).toBeNull();
    expect(await schedulerRow(id)).toBeUndefined();
  });

  it('refuses an unknown time zone, and a loading job type while the workspace has no warehouse', async () => {
    const id = await createWorkspace(server, org.users.editor.token);
    expect(await set({ workspaceId: id, cron: '0 3 * * *', timeZone: 'Mars/Olympus', jobType: 'MAPPING_TEST' })).toMatchObject({ __typename: 'ValidationError', path: ['input', 'timeZone'] });
    const loading = await set({ workspaceId: id, cron: '0 3 * * *', jobType: 'FULL_REFRESH' });
    expect(loading).toMatchObject({ __typename: 'ValidationError', path: ['input', 'jobType'] });
    expect(loading.message).toMatch(/no warehouse/);
    expect(await read(id)).toBeNull();
  });

  it('is for editors and above; another organization sees NotFound, and its workspace is untouched', async () => {
    const id = await createWorkspace(server, org.users.editor.token);
    expect(await set({ workspaceId: id, cron: '0 3 * * *', jobType: 'MAPPING_TEST' }, org.users.viewer.token)).toMatchObject({ __typename: 'ForbiddenError' });
    const other = await seedOrganization(server);
    expect(await set({ workspaceId: id, cron: '0 3 * * *', jobType: 'MAPPING_TEST' }, other.users.owner.token)).toMatchObject({ __typename: 'NotFoundError', entityType: 'Workspace' });
    expect(await set({ workspaceId: globalId('Workspace', NO_SUCH_UUID), cron: '0 3 * * *' })).toMatchObject({ __typename: 'NotFoundError' });
    expect(await read(id)).toBeNull();
  });
});

describe('removeWorkspaceSchedule and deleteWorkspace', () => {
  it('removes the schedule and the scheduler copy; a second removal is NotFound', async () => {
    const id = await createWorkspace(server, org.users.editor.token);
    await set({ workspaceId: id, cron: '0 3 * * *', jobType: 'MAPPING_TEST' });
    const res = await mutate<SetResult>(server, REMOVE, { id }, org.users.editor.token);
    expect(res).toMatchObject({ __typename: 'RemoveWorkspaceSchedulePayload', workspace: { id, schedule: null } });
    expect(await schedulerRow(id)).toBeUndefined();
    expect(await mutate<SetResult>(server, REMOVE, { id }, org.users.editor.token)).toMatchObject({ __typename: 'NotFoundError', entityType: 'WorkspaceSchedule' });
  });

  it('deleting a workspace removes its schedule from the scheduler too', async () => {
    const id = await createWorkspace(server, org.users.editor.token);
    await set({ workspaceId: id, cron: '0 3 * * *', jobType: 'MAPPING_TEST' });
    const del = await mutate<{ __typename: string }>(server, `mutation($id: ID!) { deleteWorkspace(id: $id) { __typename } }`, { id }, org.users.editor.token);
    expect(del.__typename).toBe('DeleteWorkspacePayload');
    expect(await schedulerRow(id)).toBeUndefined();
  });
});

describe('Workspace.schedule', () => {
  it('is batched: one statement serves every workspace of a page', async () => {
    const other = await seedOrganization(server);
    const ids = await Promise.all([1, 2, 3].map(() => createWorkspace(server, other.users.editor.token)));
    for (const id of ids.slice(0, 2)) await set({ workspaceId: id, cron: '0 3 * * *', jobType: 'MAPPING_TEST' }, other.users.editor.token);
    server.db.counter.reset();
    const data = await gqlData<{ workspaces: { edges: { node: { id: string; schedule: { cron: string } | null } }[] } }>(
      server, `{ workspaces(first: 10) { edges { node { id schedule { cron } } } } }`, {}, other.users.viewer.token);
    const statements = server.db.counter.statements.filter((s) => /workspace_schedules/.test(s));
    expect(statements).toHaveLength(1);
    expect(data.workspaces.edges.map((e) => e.node).filter((n) => n.schedule).map((n) => n.id).sort()).toEqual(ids.slice(0, 2).sort());
  });
});
