import { sql } from 'kysely';
import {
  createJob,
  auditMark,
  auditRowsSince,
  type CallerKind,
  globalId,
  mutationDocument,
  payloadTypeOf,
  type Result,
  resultOf,
  seedWorld,
  snapshot,
  useWorld,
  type World,
} from '../support/index.js';
import { MUTATIONS, type Arranged, type MutationCase } from './mutation-catalogue.js';

const { server, world } = useWorld();


/** Who calls a mutation in these tests: the lowest role allowed, and the editor service account where it may. */
const callersOf = (c: MutationCase): CallerKind[] =>
  ({ public: ['viewer'], self: ['viewer'], editor: ['editor', 'serviceAccount'], admin: ['admin'], owner: ['owner'] })[c.access] as CallerKind[];

async function call(name: string, w: World, kind: CallerKind, arranged: Arranged) {
  const c = MUTATIONS[name]!;
  const token = c.access === 'public' ? undefined : w.callers[kind].token;
  return server.gql(mutationDocument(name, c.select), arranged.variables, token);
}

describe('every data-changing mutation writes exactly one audit entry', () => {
  const table = Object.entries(MUTATIONS).flatMap(([name, c]) => callersOf(c).map((kind) => [name, kind] as const));
  const entryOf = async (name: string, kind: CallerKind) => {
    const c = MUTATIONS[name]!;
    const w = c.ownOrganization ? await seedWorld(server) : world;
    const caller = w.callers[kind];
    const arranged = await c.arrange(w, caller, 0);
    const mark = await auditMark(server);

    const res = await call(name, w, kind, arranged);

    const result = resultOf(res) as Result;
    // It succeeded: its payload type, or `true` for a mutation that answers with a scalar.
    const payload = payloadTypeOf(name);
    expect({ errors: res.body.errors ?? [], result: payload ? { __typename: result?.__typename } : result }).toEqual({ errors: [], result: payload ? { __typename: payload } : true });
    const requestId = res.headers.get('x-request-id');
    expect(requestId).toEqual(expect.any(String));
    const expected = [];
    for (const spec of c.audit) {
      const entity = await spec.entity({ result, arranged, caller, world: w });
      const organization = spec.organization === undefined ? w.org.id : spec.organization && (await spec.organization({ result, arranged, caller, world: w }));
      expected.push({
        action: spec.action,
        entity_type: spec.entityType,
        entity_id: entity,
        organization_id: organization,
        actor_type: spec.actor === 'system' ? 'system' : spec.actor === 'subject' || kind !== 'serviceAccount' ? 'user' : 'service_account',
        actor_id: spec.actor === 'system' ? null : spec.actor === 'subject' ? entity : caller.actorId,
        request_id: requestId,
      });
    }
    const rows = (await auditRowsSince(server, mark)).map(({ id: _id, changes: _changes, ...row }) => row);
    const byAction = (a: { action: string }, b: { action: string }) => a.action.localeCompare(b.action);
    expect(rows.sort(byAction)).toEqual(expected.sort(byAction));
  };

  it.each(table)('%s by the %s: its entry names the action, the entity, the actor and the request', entryOf);
});

describe('the audit entry is written in the same transaction as the change', () => {
  // test arrangement: an audit log that refuses every entry
  const breakAudit = () =>
    sql`create or replace function public.refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'audit log unavailable'; end $$;
        create trigger refuse_audit before insert on datalinx_platform.audit_log for each row execute function public.refuse_audit()`.execute(server.db.db);
  const repairAudit = () => sql`drop trigger if exists refuse_audit on datalinx_platform.audit_log`.execute(server.db.db);
  afterEach(repairAudit);

  it.each(Object.keys(MUTATIONS))('%s: when its entry cannot be written, nothing it changed remains', async (name) => {
    const c = MUTATIONS[name]!;
    const kind = callersOf(c)[0]!;
    const w = c.ownOrganization ? await seedWorld(server) : world;
    const arranged = await c.arrange(w, w.callers[kind], 0);
    const before = await snapshot(server);
    await breakAudit();

    const res = await call(name, w, kind, arranged);
    await repairAudit();

    expect(res.body.errors?.map((e) => e.extensions?.code)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(await snapshot(server)).toEqual(before);
  });
});

describe('a mutation refused with a typed error writes no audit entry and changes nothing', () => {
  const owner = () => world.callers.owner;
  const failures: [string, string, CallerKind, string, (a: Arranged) => Promise<Record<string, unknown>>][] = [
    ['a blank workspace name', 'createWorkspace', 'editor', 'ValidationError', async (a) => ({ input: { ...(a.variables.input as object), name: '   ' } })],
    ['an unknown time zone', 'updateWorkspace', 'editor', 'ValidationError', async (a) => ({ input: { ...(a.variables.input as object), settings: { timezone: 'Mars/Olympus' } } })],
    ['two connection types at once', 'createDataSource', 'editor', 'ValidationError', async (a) => ({
      input: { ...(a.variables.input as object), connectionConfig: { file: { format: 'csv', location: '/a' }, api: { baseUrl: 'https://x.test' } } },
    })],
    ['a change of source type', 'updateDataSource', 'editor', 'ValidationError', async (a) => ({
      input: { id: (a.variables.input as { id: string }).id, connectionConfig: { file: { format: 'csv', location: '/a' } } },
    })],
    ['a stale version', 'updateMapping', 'editor', 'ConflictError', async (a) => ({ input: { ...(a.variables.input as object), expectedVersion: 7 } })],
    ['a move from draft to archived', 'setMappingStatus', 'editor', 'ConflictError', async (a) => ({ ...a.variables, status: 'ARCHIVED' })],
    ['a job that is already cancelled', 'cancelPipelineJob', 'editor', 'ConflictError', async (a) => {
      await call('cancelPipelineJob', world, 'editor', a);
      return a.variables;
    }],
    ['a workspace with a pending job', 'deleteWorkspace', 'editor', 'ConflictError', async (a) => {
      await createJob(server, world.callers.editor.token, a.variables.id as string);
      return a.variables;
    }],
    ['an email that is taken', 'createUser', 'admin', 'ConflictError', async (a) => ({ input: { ...(a.variables.input as object), email: world.org.users.viewer.email } })],
    ['a service account name that is taken', 'createServiceAccount', 'admin', 'ConflictError', async (a) => {
      await call('createServiceAccount', world, 'admin', a);
      return a.variables;
    }],
    ['demoting the last owner', 'updateUserRole', 'owner', 'ConflictError', async () => ({ userId: globalId('User', owner().actorId), role: 'ADMIN' })],
    ['a transfer to yourself', 'transferOwnership', 'owner', 'ValidationError', async () => ({ userId: globalId('User', owner().actorId) })],
    ['a slug that is not the organization\'s', 'deleteOrganization', 'owner', 'ValidationError', async () => ({ confirmSlug: 'not-this-one' })],
    ['a wrong current password', 'changePassword', 'viewer', 'UnauthenticatedError', async (a) => ({ ...a.variables, currentPassword: 'not the password at all' })],
  ];

  it.each(failures)('%s (%s) is a %s', async (_what, name, kind, typename, variables) => {
    const c = MUTATIONS[name]!;
    const arranged = await c.arrange(world, world.callers[kind], 0);
    const failing = { ...arranged, variables: await variables(arranged) };
    const before = await snapshot(server);

    const res = await call(name, world, kind, failing);

    expect(resultOf(res)).toMatchObject({ __typename: typename });
    expect(await snapshot(server)).toEqual(before);
  });
});
