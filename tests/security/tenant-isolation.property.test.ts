import fc from 'fast-check';
import { sql } from 'kysely';
import {
  CALLER_KINDS,
  type CallerKind,
  createDataSource,
  createJob,
  createMapping,
  createServiceAccount,
  createWorkspace,
  globalId,
  inputLeaves,
  localId,
  mutationDocument,
  propertyParams,
  seedWorld,
  snapshot,
  typenameOf,
  useTestApi,
  type World,
} from '../support/index.js';
import { MUTATIONS, NO_SUCH_ID } from './mutation-catalogue.js';

/**
 * Two organizations, A and B. Whatever a caller of A asks for, with whatever
 * of B's ids, the answer holds nothing of B, is the answer for an id that does
 * not exist, and B's rows stay as they were.
 */

const { server } = useTestApi({ organization: false });
let a: World;
let b: World;
/** B's global ids, the first of each type being the one most paths target. */
let bIds: string[];
/** Every string by which B could be recognised: ids (global and local), names, emails, its slug. */
let bFingerprints: string[];

const B_MARK = 'bravo-only';

beforeAll(async () => {
  a = await seedWorld(server);
  b = await seedWorld(server);
  const token = b.callers.editor.token;
  const ws = await createWorkspace(server, token, `${B_MARK} workspace`);
  const ds = await createDataSource(server, token, ws, undefined, `${B_MARK} source`);
  const mapping = await createMapping(server, token, ws, { targetTable: `${B_MARK}_table` });
  const job = await createJob(server, token, ws);
  const sa = await createServiceAccount(server, b.callers.admin.token);
  const users = Object.values(b.org.users).map((u) => globalId('User', u.id));
  bIds = [ws, ds, mapping, job, sa.globalId, sa.keyId, globalId('Organization', b.org.id), ...users, globalId('ServiceAccount', b.callers.serviceAccount.actorId)];
  bFingerprints = [...bIds, ...bIds.map(localId), B_MARK, b.org.slug, ...Object.values(b.org.users).map((u) => u.email)];
  await createWorkspace(server, a.callers.editor.token, 'alpha workspace');
});

/** Everything of B's: its tenant schema, and its rows in the platform tables. */
async function footprintOfB() {
  const org = b.org.id;
  // test probe: B's platform rows
  const { rows } = await sql<{ f: string }>`select concat_ws('|',
      (select json_agg(o order by o.id)::text from datalinx_platform.organizations o where o.id = ${org}),
      (select json_agg(u order by u.id)::text from datalinx_platform.users u where u.organization_id = ${org}),
      (select json_agg(s order by s.id)::text from datalinx_platform.service_accounts s where s.organization_id = ${org}),
      (select json_agg(k order by k.id)::text from datalinx_platform.service_account_keys k join datalinx_platform.service_accounts s on s.id = k.service_account_id where s.organization_id = ${org}),
      (select json_agg(l order by l.id)::text from datalinx_platform.audit_log l where l.organization_id = ${org})) as f`.execute(server.db.db);
  return { platform: rows[0]!.f, tenant: await snapshot(server, [b.org.schema_name]) };
}

const NODE = '...N';
const NODE_FRAGMENT = `fragment N on Node { id __typename
  ... on Workspace { name description dataSources { totalCount edges { node { id name } } } mappings { totalCount edges { node { id targetTable } } } pipelineJobs { totalCount edges { node { id status } } } }
  ... on DataSource { name workspace { id name } connectionConfig { __typename ... on PostgresConnectionConfig { host user } } }
  ... on Mapping { targetTable sourceTable workspace { id name } }
  ... on PipelineJob { status workspace { id name } createdBy { id email } }
  ... on User { email displayName organization { id name slug } }
  ... on Organization { name slug users { edges { node { id email } } } }
  ... on ServiceAccount { name keys { id prefix } } }`;

interface Request {
  query: string;
  variables: Record<string, unknown>;
}
type AccessPath = (ids: string[], caller: CallerKind) => Promise<Request>;

const byId = (field: string): AccessPath => async ([id]) => ({ query: `query($id: ID!) { ${field}(id: $id) { ${NODE} } }`, variables: { id } });

const QUERY_PATHS: Record<string, AccessPath> = {
  workspace: byId('workspace'),
  dataSource: byId('dataSource'),
  mapping: byId('mapping'),
  pipelineJob: byId('pipelineJob'),
  node: byId('node'),
  nodes: async (ids) => ({ query: `query($ids: [ID!]!) { nodes(ids: $ids) { ${NODE} } }`, variables: { ids } }),
  'mappings(workspaceId)': async ([id]) => ({ query: 'query($id: ID) { mappings(workspaceId: $id) { totalCount edges { node { id targetTable workspace { name } } } } }', variables: { id } }),
  'pipelineJobs(workspaceId)': async ([id]) => ({ query: 'query($id: ID) { pipelineJobs(workspaceId: $id) { totalCount edges { node { id workspace { name } } } } }', variables: { id } }),
  'auditLog(entityId)': async ([id]) => ({ query: 'query($id: ID) { auditLog(entityId: $id) { totalCount edges { node { id action entityId actorId changes } } } }', variables: { id } }),
  'auditLog(actorId)': async ([id]) => ({ query: 'query($id: ID) { auditLog(actorId: $id) { totalCount edges { node { id action entityId changes } } } }', variables: { id } }),
  'everything A can list': async () => ({
    query: `{ organization { name users { edges { node { id email } } } workspaces { edges { node { ${NODE} } } } }
      mappings { edges { node { id targetTable } } } pipelineJobs { edges { node { id } } }
      serviceAccounts { edges { node { id name } } } auditLog(first: 100) { edges { node { entityId actorId changes } } } }`,
    variables: {},
  }),
  'deleteOrganization(B slug)': async () => ({ query: 'mutation($s: String!) { deleteOrganization(confirmSlug: $s) { __typename } }', variables: { s: b.org.slug } }),
};

const isGlobalId = (v: unknown) => typeof v === 'string' && /^[A-Z][A-Za-z]*:[0-9a-f-]{36}$/.test(Buffer.from(v, 'base64url').toString('utf8'));

/** The variables with every global id (A's, as arranged) replaced by the target. */
function retarget(value: unknown, target: string): unknown {
  if (isGlobalId(value)) return target;
  if (Array.isArray(value)) return value.map((v) => retarget(v, target));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, retarget(v, target)]));
  return value;
}

/** A mutation pointed at one of B's entities: arranged as for A, then every id swapped for B's. */
const mutationPath = (name: string): AccessPath => async ([id], kind) => {
  const c = MUTATIONS[name]!;
  const arranged = await c.arrange(a, a.callers[kind], 0);
  return { query: mutationDocument(name, c.select), variables: retarget(arranged.variables, id!) as Record<string, unknown> };
};

/** The mutations whose arguments hold one of our global ids. */
const idMutations: string[] = [];

beforeAll(async () => {
  const withIdArgs = Object.keys(MUTATIONS).filter((n) => inputLeaves(n).some((l) => l.type === 'ID'));
  for (const name of withIdArgs) {
    const arranged = await MUTATIONS[name]!.arrange(a, a.callers.owner, 0);
    if (JSON.stringify(retarget(arranged.variables, '<B>')).includes('<B>')) idMutations.push(name);
  }
});

/** The response text with the targeted ids and request ids written the same way, to compare two answers. */
function normalized(text: string, ids: string[]): string {
  let out = text.replace(/"requestId":"[^"]*"/g, '"requestId":"<request>"');
  ids.forEach((id, i) => {
    out = out.split(id).join(`<id ${i}>`).split(localId(id)).join(`<id ${i}>`);
  });
  return out;
}

async function ask(req: Request, token: string) {
  const query = req.query.includes(NODE) ? `${req.query}\n${NODE_FRAGMENT}` : req.query;
  const res = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ ...req, query }),
  });
  return { status: res.status, text: await res.text() };
}

/**
 * Asks by the path with B's ids and with ids that exist nowhere: the answers
 * are the same (B's entities are indistinguishable from missing ones), and
 * hold nothing of B beyond the ids the caller sent.
 */
async function expectNothingOfB(path: AccessPath, ids: string[], kind: CallerKind): Promise<void> {
  const absent = ids.map((id) => NO_SUCH_ID(typenameOf(id)));
  const token = a.callers[kind].token;
  const withB = await ask(await path(ids, kind), token);
  const withNothing = await ask(await path(absent, kind), token);

  expect(withB.status).toBe(withNothing.status);
  expect(withB.status).toBeLessThan(500);
  const rest = normalized(withB.text, ids);
  for (const f of bFingerprints) expect(rest).not.toContain(f);
  expect(rest).toEqual(normalized(withNothing.text, absent));
}

describe('tenant isolation, as a property', () => {
  it('points every mutation that takes one of our ids at B (createWorkspace takes only an outside schema id)', () => {
    const withIdArgs = Object.keys(MUTATIONS).filter((n) => inputLeaves(n).some((l) => l.type === 'ID'));
    expect(withIdArgs.filter((n) => !idMutations.includes(n))).toEqual(['createWorkspace']);
    expect(idMutations.length).toBeGreaterThan(15);
  });

  it('the paths do reach what A owns (the property is not vacuous)', async () => {
    const token = a.callers.owner.token;
    const ws = await createWorkspace(server, a.callers.editor.token, 'alpha control');
    const own: [string, string][] = [
      ['workspace', ws],
      ['dataSource', await createDataSource(server, a.callers.editor.token, ws)],
      ['mapping', await createMapping(server, a.callers.editor.token, ws)],
      ['pipelineJob', await createJob(server, a.callers.editor.token, ws)],
      ['node', ws],
      ['nodes', ws],
      ['mappings(workspaceId)', ws],
      ['pipelineJobs(workspaceId)', ws],
      ['auditLog(entityId)', ws],
    ];
    for (const [path, id] of own) {
      const res = await ask(await QUERY_PATHS[path]!([id], 'owner'), token);
      expect(JSON.parse(res.text)).not.toHaveProperty('errors');
      expect(res.text).toMatch(path.includes('(') ? /"totalCount":[1-9]/ : new RegExp(id));
    }
  });

  it("every read path, with each of B's ids, as A's owner: nothing of B", async () => {
    const before = await footprintOfB();
    for (const pathName of Object.keys(QUERY_PATHS)) {
      for (const id of bIds) await expectNothingOfB(QUERY_PATHS[pathName]!, [id], 'owner');
    }
    expect(await footprintOfB()).toEqual(before);
  });

  it("a caller of A learns nothing of B and changes nothing of B, by any path, with any of B's ids", async () => {
    const before = await footprintOfB();
    const paths = { ...QUERY_PATHS, ...Object.fromEntries(idMutations.map((n) => [`mutation ${n}`, mutationPath(n)])) };
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...Object.keys(paths)),
        fc.constantFrom(...bIds),
        fc.subarray(bIds),
        fc.constantFrom(...CALLER_KINDS),
        async (pathName, target, more, kind) => {
          await expectNothingOfB(paths[pathName]!, [target, ...more.filter((m) => m !== target)], kind);
          expect(await footprintOfB()).toEqual(before);
        },
      ),
      propertyParams(50),
    );
  });
});
