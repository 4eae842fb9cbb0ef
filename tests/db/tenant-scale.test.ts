import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import { systemScope } from '../../src/auth/scope.js';
import { hashPassword } from '../../src/auth/passwords.js';
import { loadConfig } from '../../src/config.js';
import { createDb, createPool } from '../../src/db/connection.js';
import type { PlatformDatabase } from '../../src/db/database.js';
import type { OrganizationRow } from '../../src/db/tables/organizations.table.js';
import { findPipelineJobById, insertPipelineJob } from '../../src/jobs/pipeline-job.dao.js';
import { createLogger } from '../../src/logger.js';
import { createOrganization, createOrganizationIn, deleteOrganization } from '../../src/organizations/organization.manager.js';
import { createServices } from '../../src/services.js';
import { login } from '../../src/sessions/session.manager.js';
import { Tenant } from '../../src/tenancy/tenant.js';
import { insertUser } from '../../src/users/user.dao.js';
import { removeUser } from '../../src/users/user.manager.js';
import { insertWorkspace } from '../../src/workspaces/workspace.dao.js';
import { createTestDb, provisionOrganization, type TestDb, testKeyringJson } from '../support/index.js';

/**
 * An organization must cost the shared tables nothing: no trigger or
 * constraint per tenant, no lock on another tenant when a user or an
 * organization goes, and no lock that makes provisioning and logins wait.
 */

const ORGS = 300;
const PASSWORD = 'correct horse battery';
let t: TestDb;

beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.close());

interface TableCost {
  table: string;
  triggers: number;
  constraints: number;
}

/** Triggers on, and constraints on or referencing, every datalinx_platform table. */
async function platformTableCosts(): Promise<TableCost[]> {
  // test: per-table trigger and constraint counts of the shared schema
  const { rows } = await sql<TableCost>`
    select c.relname as table,
      (select count(*) from pg_trigger tg where tg.tgrelid = c.oid)::int as triggers,
      (select count(*) from pg_constraint k where k.conrelid = c.oid or k.confrelid = c.oid)::int as constraints
    from pg_class c where c.relnamespace = 'datalinx_platform'::regnamespace and c.relkind = 'r'
    order by c.relname`.execute(t.db);
  return rows;
}

/** Objects in organization schemas that depend on a datalinx_platform table (foreign keys, triggers, views …). */
async function tenantObjectsOnPlatformTables(): Promise<string[]> {
  // test: catalog dependencies from tenant schemas onto shared tables
  const { rows } = await sql<{ identity: string }>`
    select (pg_identify_object(d.classid, d.objid, d.objsubid)).identity from pg_depend d
    join pg_class ref on d.refclassid = 'pg_class'::regclass and ref.oid = d.refobjid
    where ref.relnamespace = 'datalinx_platform'::regnamespace
      and (pg_identify_object(d.classid, d.objid, d.objsubid)).schema like 'org\\_%'`.execute(t.db);
  return rows.map((r) => r.identity);
}

async function provisionMany(count: number, prefix: string, concurrency = 4): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await provisionOrganization(t, `${prefix}-${next++}`);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

describe(`with ${ORGS} organizations`, () => {
  it('the shared tables carry the same triggers and constraints as with one, and no tenant object depends on them', async () => {
    await provisionOrganization(t, 'first');
    const withOne = await platformTableCosts();

    await provisionMany(ORGS - 1, 'scale');

    expect(await platformTableCosts()).toEqual(withOne);
    expect(await tenantObjectsOnPlatformTables()).toEqual([]);
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from datalinx_platform.organizations`.execute(t.db);
    expect(rows[0]!.n).toBe(ORGS);
  }, 300_000);
});

/** A pool that records the relation locks its transaction holds just before each COMMIT. */
function lockRecordingDb(): { db: Kysely<PlatformDatabase>; pool: pg.Pool; commits: { oid: number; schema: string | null; mode: string }[][] } {
  const pool = createPool(t.url, { min: 0, max: 2, maxUses: 0, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 10_000, statementTimeoutMillis: 30_000 });
  const commits: { oid: number; schema: string | null; mode: string }[][] = [];
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as { query: unknown }).query = async (...args: unknown[]) => {
      if (typeof args[0] === 'string' && args[0].trim().toLowerCase() === 'commit') {
        // test: relation locks held by this transaction
        const locks = (await query(`
          select l.relation::int as oid, n.nspname as schema, l.mode from pg_locks l
          left join pg_class c on c.oid = l.relation left join pg_namespace n on n.oid = c.relnamespace
          where l.pid = pg_backend_pid() and l.locktype = 'relation' and n.nspname is distinct from 'pg_catalog'`)) as { rows: { oid: number; schema: string | null; mode: string }[] };
        commits.push(locks.rows);
      }
      return query(...args);
    };
  });
  return { db: createDb(pool), pool, commits };
}

/** Every relation of the organization schemas other than `schema`. */
async function otherTenantRelations(schema: string): Promise<Set<number>> {
  // test: relations of the other organizations
  const { rows } = await sql<{ oid: number }>`
    select c.oid::int as oid from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname like 'org\\_%' and n.nspname <> ${schema}`.execute(t.db);
  return new Set(rows.map((r) => r.oid));
}

describe('removing a user and deleting an organization', () => {
  let org: OrganizationRow;
  let recording: ReturnType<typeof lockRecordingDb>;

  beforeAll(async () => {
    if ((await otherTenantRelations('none')).size === 0) await provisionMany(20, 'neighbour');
    org = await provisionOrganization(t, 'leaving');
    recording = lockRecordingDb();
  });
  afterAll(() => recording.db.destroy());

  it('removeUser locks only platform rows and its own organization, and clears the jobs it created', async () => {
    const owner = await insertUser(t.db, { organization_id: org.id, email: 'owner@leaving.test', role: 'owner' });
    const member = await insertUser(t.db, { organization_id: org.id, email: 'member@leaving.test', role: 'editor' });
    const tenant = new Tenant(recording.db, org);
    const workspace = await insertWorkspace(tenant.db, { name: 'W' });
    const job = await insertPipelineJob(tenant.db, { workspace_id: workspace.id, job_type: 'incremental', created_by: member.id });
    const others = await otherTenantRelations(org.schema_name);
    recording.commits.length = 0;

    const services = await createServices(loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', KEYRING: testKeyringJson() }), createLogger('silent'), {
      ...t,
      db: recording.db,
    });
    await removeUser(
      { services, actor: { kind: 'user', id: owner.id, organizationId: org.id, role: 'owner' }, tenant, requestId: 'test', clientAddress: null },
      member.id,
    );

    expect((await findPipelineJobById(tenant.db, job.id))?.created_by).toBeNull();
    const locks = recording.commits.flat();
    expect(locks.length).toBeGreaterThan(0);
    expect(locks.filter((l) => others.has(l.oid))).toEqual([]);
    expect([...new Set(locks.map((l) => l.schema))].sort()).toEqual(['datalinx_platform', org.schema_name]);
  });

  it('deleteOrganization locks nothing of any other organization', async () => {
    const others = await otherTenantRelations(org.schema_name);
    recording.commits.length = 0;

    await deleteOrganization(systemScope({ system: { ...t, db: recording.db } }, 'test'), org.id);

    const locks = recording.commits.flat();
    expect(locks.length).toBeGreaterThan(0);
    expect(locks.filter((l) => others.has(l.oid))).toEqual([]);
    // Relations of the dropped schema are gone from pg_class by commit time (schema null): what is named is the platform.
    expect([...new Set(locks.map((l) => l.schema).filter((s) => s !== null))].sort()).toEqual(['datalinx_platform']);
  });
});

describe('provisioning and logins', () => {
  it('do not wait on each other: while one organization is being created, another is created and a user logs in', async () => {
    const member = await provisionOrganization(t, 'member-org');
    await insertUser(t.db, { organization_id: member.id, email: 'ada@member.test', role: 'owner', password_hash: await hashPassword(PASSWORD) });
    // The second pool gives up after 2 s of waiting for any lock instead of waiting for the open transaction.
    const impatient = new URL(t.url);
    impatient.searchParams.set('options', '-c lock_timeout=2000');
    const other = createDb(createPool(impatient.toString(), { min: 0, max: 4, maxUses: 0, idleTimeoutMillis: 10_000, connectionTimeoutMillis: 10_000, statementTimeoutMillis: 30_000 }));
    const services = await createServices(
      loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', KEYRING: testKeyringJson() }),
      createLogger('silent'),
      { ...t, db: other },
    );

    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    const slow = t.db.transaction().execute(async (trx) => {
      await createOrganizationIn(trx, systemScope({ system: t }, 'test'), { name: 'Slow', slug: 'slow-org' });
      opened();
      await held;
    });
    try {
      await isOpen;
      const [signedIn, created] = await Promise.all([
        login({ services, actor: null, requestId: 'test', clientAddress: null }, { email: 'ada@member.test', password: PASSWORD }),
        createOrganization(systemScope({ system: { ...t, db: other } }, 'test'), { name: 'Quick', slug: 'quick-org' }),
      ]);
      expect(signedIn.kind).toBe('signedIn');
      expect(created.slug).toBe('quick-org');
    } finally {
      release();
      await slow;
      await other.destroy();
    }
  });
});
