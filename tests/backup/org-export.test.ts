import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import { decryptingStream, encryptingStream } from '../../src/backup/archive-crypto.js';
import { ArchiveError, ArchiveWriter, type ArchiveManifest } from '../../src/backup/archive-format.js';
import { PLATFORM_TABLES, PLATFORM_TABLES_NOT_EXPORTED } from '../../src/backup/backup.dao.js';
import { exportOrganization, exportOrganizationToFile } from '../../src/backup/export-org.js';
import { importOrganization, openArchive } from '../../src/backup/import-org.js';
import { revealSecrets, type StoredConnectionConfig } from '../../src/data-sources/connection-config.js';
import type { PlatformDatabase } from '../../src/db/database.js';
import { compareVersions, readMigrations } from '../../src/db/migration-files.js';
import { migrate } from '../../src/db/migrator.js';
import { countMappings } from '../../src/mappings/mapping.dao.js';
import * as organizations from '../../src/organizations/organization.manager.js';
import { tenantDb } from '../../src/tenancy/tenancy.js';
import {
  copyMigrations,
  createDataSource,
  createActiveMapping,
  createJob,
  createTestDb,
  createWorkspace,
  insertMappings,
  insertWorkspaces,
  localId,
  login,
  MIGRATIONS_DIR,
  mutate,
  operatorScope,
  PASSWORD,
  POSTGRES_CONFIG,
  rejection,
  seedWorld,
  setPassword,
  snapshot,
  startTestServer,
  type TestDb,
  type TestServer,
  type World,
} from '../support/index.js';

let server: TestServer;
let world: World;
let dir: string;
let dataSourceId: string;
let fileCounter = 0;
const nextFile = () => path.join(dir, `export-${++fileCounter}.dlx`);
const asServer = (db: TestDb) => ({ db }) as unknown as TestServer;

/** Every row an organization owns, as JSON, platform and tenant, with the slug and schema name left out. */
async function orgRows(db: Kysely<PlatformDatabase>, orgId: string): Promise<Record<string, unknown[]>> {
  const org = (await organizations.listOrganizations(operatorScope({ db, migrations: [] }))).find((o) => o.id === orgId)!;
  const out: Record<string, unknown[]> = {};
  for (const { table, where } of PLATFORM_TABLES) {
    const condition = sql.raw(where.replaceAll('$org', `'${orgId}'::uuid`));
    // test probe: an organization's rows of a platform table
    const { rows } = await sql<{ j: Record<string, unknown> }>`select to_jsonb(t) - 'slug' - 'schema_name' as j from ${sql.table(`datalinx_platform.${table}`)} t where ${condition} order by 1`.execute(db);
    out[table] = rows.map((r) => r.j);
  }
  for (const table of ['workspaces', 'data_sources', 'mappings', 'mapping_field_sources', 'pipeline_jobs']) {
    // test probe: a tenant table's rows
    const { rows } = await sql<{ j: unknown }>`select to_jsonb(t) as j from ${sql.table(`${org.schema_name}.${table}`)} t order by 1`.execute(db);
    out[table] = rows.map((r) => r.j);
  }
  const { rows } = await sql<{ version: string }>`select version from datalinx_platform.tenant_schema_version where organization_id = ${orgId} order by version`.execute(db);
  out.tenant_schema_version = rows.map((r) => r.version);
  return out;
}

const rowsOf = (manifest: ArchiveManifest, table: string) => manifest.tables.find((t) => t.table === table)?.rows;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'datalinx-export-'));
  server = await startTestServer();
  world = await seedWorld(server, 'acme');
  const owner = world.callers.owner;
  await setPassword(server, owner.userId!, PASSWORD);
  expect(await login(server, world.org.users.owner.email, PASSWORD)).toMatchObject({ __typename: 'LoginPayload', session: { accessToken: expect.any(String) } }); // a session, which is not exported
  const ws = await createWorkspace(server, owner.token);
  dataSourceId = localId(await createDataSource(server, owner.token, ws, POSTGRES_CONFIG));
  const mapping = await createActiveMapping(server, owner.token, ws);
  await createJob(server, owner.token, ws, 'MAPPING_TEST', [mapping]);
  // A second organization whose rows must not leak into acme's file.
  await seedWorld(server, 'other-org');
}, 60_000);

afterAll(() => server.close());

describe('export-org / import-org', () => {
  it('classifies every platform table as exported or left out', async () => {
    const { rows } = await sql<{ t: string }>`select table_name as t from information_schema.tables where table_schema = 'datalinx_platform' and table_type = 'BASE TABLE'`.execute(server.db.db);
    const classified = [...PLATFORM_TABLES.map((t) => t.table), ...Object.keys(PLATFORM_TABLES_NOT_EXPORTED)].sort();
    expect(rows.map((r) => r.t).sort()).toEqual(classified);
  });

  it('round-trips into a new slug after the organization is deleted: every row equal, secrets still open', async () => {
    const before = await orgRows(server.db.db, world.org.id);
    const file = nextFile();
    const manifest = await exportOrganizationToFile(server.db.pool, { slug: 'acme', file });

    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(manifest).toMatchObject({ format: 1, organization: { id: world.org.id, slug: 'acme' }, keyIds: ['test-1'] });
    expect(rowsOf(manifest, 'users')).toBe(4);
    expect(rowsOf(manifest, 'service_accounts')).toBe(1);
    expect(rowsOf(manifest, 'mappings')).toBe(1);
    expect(rowsOf(manifest, 'mapping_field_sources')).toBe(1);
    expect(manifest.tables.map((t) => t.table)).not.toContain('refresh_tokens');

    await organizations.deleteOrganization(operatorScope(server.db), world.org.id);
    const result = await importOrganization(server.db, await openArchive(file, async () => ''), { slug: 'acme-restored' });

    expect(result.organization).toEqual({ id: world.org.id, slug: 'acme-restored', schemaName: 'org_acme_restored' });
    expect(await orgRows(server.db.db, world.org.id)).toEqual(before);
    const restored = await tenantDb(server.db.db, 'org_acme_restored').selectFrom('data_sources').selectAll().where('id', '=', dataSourceId).executeTakeFirstOrThrow();
    expect(revealSecrets(server.services.keyring, { organizationId: world.org.id, dataSourceId }, restored.connection_config as StoredConnectionConfig)).toEqual({ password: 'pg-password' });
    // The restored owner signs in with the password they had.
    expect(await login(server, world.org.users.owner.email, PASSWORD)).toMatchObject({ __typename: 'LoginPayload', session: { accessToken: expect.any(String) } });
  });

  it("derives mapping_field_sources again on import: the file's rows of it are not taken on their word", async () => {
    const live = tenantDb(server.db.db, 'org_acme_restored');
    const derived = () => live.selectFrom('mapping_field_sources').select(['mapping_id', 'target_field', 'source', 'transform']).orderBy('mapping_id').orderBy('target_field').execute();
    const expected = await derived();
    expect(expected.length).toBeGreaterThan(0);
    // An archive whose derived rows disagree with field_mappings: one row changed, one more.
    const [first] = expected;
    await live.updateTable('mapping_field_sources').set({ source: 'not_what_field_mappings_say' }).where('mapping_id', '=', first!.mapping_id).where('target_field', '=', first!.target_field).execute();
    await live.insertInto('mapping_field_sources').values({ mapping_id: first!.mapping_id, target_field: 'no_such_field', source: 'x', transform: null, mapping_created_at: new Date() }).execute();
    const file = nextFile();
    await exportOrganizationToFile(server.db.pool, { slug: 'acme-restored', file });
    await organizations.deleteOrganization(operatorScope(server.db), world.org.id);

    await importOrganization(server.db, await openArchive(file, async () => ''), { slug: 'acme-restored' });

    expect(await derived()).toEqual(expected);
  });

  it('imports under the same slug into an empty cluster, encrypted with a passphrase', async () => {
    const before = await orgRows(server.db.db, world.org.id);
    const file = nextFile();
    await exportOrganizationToFile(server.db.pool, { slug: 'acme-restored', file, passphrase: 'a long export passphrase' });
    expect((await readFile(file)).subarray(0, 8).toString()).toBe('DLXENC1\n');
    const empty = await createTestDb();
    try {
      expect(await rejection(openArchive(file, async () => 'not the passphrase'))).toEqual(new ArchiveError('wrong passphrase'));
      await importOrganization(empty, await openArchive(file, async () => 'a long export passphrase'));
      expect(await orgRows(empty.db, world.org.id)).toEqual(before);
    } finally {
      await empty.close();
    }
  });

  describe('a damaged file is refused and leaves nothing behind', () => {
    let bytes: Buffer;
    let target: TestDb;
    let untouched: Awaited<ReturnType<typeof snapshot>>;

    beforeAll(async () => {
      const file = nextFile();
      await exportOrganizationToFile(server.db.pool, { slug: 'acme-restored', file });
      bytes = await readFile(file);
      target = await createTestDb();
      untouched = await snapshot(asServer(target));
    });
    afterAll(() => target.close());

    const attempt = async (damaged: Buffer) => {
      const err = await rejection(importOrganization(target, Readable.from([damaged])));
      expect(await snapshot(asServer(target))).toEqual(untouched);
      return err;
    };

    it.each([0.3, 0.6, 0.9, 0.999])('cut short at %p of its length', async (fraction) => {
      const err = await attempt(bytes.subarray(0, Math.floor(bytes.length * fraction)));
      expect(err).toBeInstanceOf(ArchiveError);
      expect((err as Error).message).toMatch(/cut short/);
    });

    it('one byte of a row changed', async () => {
      const altered = Buffer.from(bytes);
      const at = altered.lastIndexOf('dim_customer'); // the last row naming it: the mapping's first version (mapping_versions follows mappings)
      altered[at] = 'D'.charCodeAt(0);
      expect(await attempt(altered)).toEqual(new ArchiveError('the checksum of table mapping_versions does not match: the file was altered'));
    });

    it('a row count in the manifest changed', async () => {
      const text = bytes.toString('latin1');
      const altered = Buffer.from(text.replace('"table":"users","rows":4', '"table":"users","rows":5'), 'latin1');
      expect(altered.equals(bytes)).toBe(false);
      expect(await attempt(altered)).toEqual(new ArchiveError('the manifest does not match the contents: the file was altered'));
    });

    it('an encrypted file with one ciphertext byte changed', async () => {
      const encrypt = await encryptingStream('a long export passphrase');
      const chunks: Buffer[] = [];
      encrypt.on('data', (c: Buffer) => chunks.push(c));
      encrypt.end(bytes);
      await new Promise((r) => encrypt.on('end', r));
      const encrypted = Buffer.concat(chunks);
      encrypted[encrypted.length - 40]! ^= 1;
      const err = await rejection(importOrganization(target, await decryptingStream(Readable.from([encrypted]), 'a long export passphrase')));
      expect(err).toBeInstanceOf(ArchiveError);
      expect(await snapshot(asServer(target))).toEqual(untouched);
    });
  });

  it('refuses a file from a newer schema version', async () => {
    const chunks: Buffer[] = [];
    const writer = new ArchiveWriter(new Writable({ write: (c, _e, done) => (chunks.push(c as Buffer), done()) }));
    const header = { format: 1 as const, schemaVersion: '99.0.0', tenantSchemaVersion: '99.0.0', exportedAt: new Date().toISOString(), organization: { id: crypto.randomUUID(), slug: 'future', name: 'Future' }, keyIds: [] };
    await writer.header(header);
    await writer.finish(header);
    const before = await snapshot(server);
    const err = await rejection(importOrganization(server.db, Readable.from([Buffer.concat(chunks)])));
    expect(err).toBeInstanceOf(ArchiveError);
    expect((err as Error).message).toMatch(/^the file is at schema version 99\.0\.0, newer than this database's \d+\.\d+\.\d+: upgrade Datalinx first$/);
    expect(await snapshot(server)).toEqual(before);
  });

  it('migrates a file from an older schema version forward', async () => {
    const older = await createTestDb({ migrate: false });
    const current = await createTestDb();
    try {
      // A database at v1.0.2: before workspace settings (a tenant change) and service accounts.
      const olderDir = await copyMigrations();
      const files = await readMigrations(olderDir);
      const kept = files.filter((f) => compareVersions(f.version, '1.0.2') <= 0);
      for (const f of files.filter((f) => compareVersions(f.version, '1.0.2') > 0)) await rm(path.join(olderDir, f.fileName));
      await migrate(older.db, { dir: olderDir });
      const org = await organizations.createOrganization(operatorScope({ db: older.db, migrations: kept }), { name: 'Old', slug: 'old-org' });
      const [ws] = await insertWorkspaces(tenantDb(older.db, org.schema_name), 2);
      const mapping = await tenantDb(older.db, org.schema_name)
        .insertInto('mappings')
        .values({ workspace_id: ws!, target_table: 'dim_customer', source_table: 'customers', field_mappings: JSON.stringify({ customer_id: { source: 'cust_id', transform: null } }) })
        .returning(['id', 'created_at'])
        .executeTakeFirstOrThrow();
      const chunks: Buffer[] = [];
      const manifest = await exportOrganization(older.pool, 'old-org', new Writable({ write: (c, _e, done) => (chunks.push(c as Buffer), done()) }));
      expect(manifest).toMatchObject({ schemaVersion: '1.0.2', tenantSchemaVersion: '1.0.0' });

      const result = await importOrganization(current, Readable.from([Buffer.concat(chunks)]));

      expect(result.migratedFrom).toBe('1.0.0');
      const workspaces = await tenantDb(current.db, 'org_old_org').selectFrom('workspaces').select(['name', 'settings']).orderBy('name').execute();
      expect(workspaces).toEqual([{ name: 'ws-001', settings: {} }, { name: 'ws-002', settings: {} }]);
      // mapping_field_sources did not exist then: its migration, run by the import, builds the mapping's rows
      expect(await tenantDb(current.db, 'org_old_org').selectFrom('mapping_field_sources').selectAll().execute()).toEqual([
        { mapping_id: mapping.id, target_field: 'customer_id', source: 'cust_id', transform: null, mapping_created_at: mapping.created_at },
      ]);
      const versions = (await orgRows(current.db, org.id)).tenant_schema_version;
      const tenantFiles = (await readMigrations(MIGRATIONS_DIR)).filter((f) => f.sections.tenant).map((f) => f.version);
      expect([...(versions ?? [])].sort()).toEqual([...tenantFiles].sort()); // as sets: stored versions come back in text order
    } finally {
      await older.close();
      await current.close();
    }
  });

  it('takes one snapshot: rows a concurrent writer commits during the export are not in the file', async () => {
    const snap = await seedWorld(server, 'snapshot-org');
    const tenant = tenantDb(server.db.db, snap.org.schema_name);
    await createWorkspace(server, snap.callers.owner.token);
    const auditBefore = (await orgRows(server.db.db, snap.org.id)).audit_log!.length;
    let wrote = false;
    let concurrent: Promise<void> = Promise.resolve();
    const chunks: Buffer[] = [];
    // The first write (the header) happens inside the snapshot, before any table is read;
    // a workspace and its audit entry are committed by another connection right then.
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        if (wrote) return done();
        wrote = true;
        concurrent = server.db.db.transaction().execute(async (trx) => {
          await tenantDb(trx, snap.org.schema_name).insertInto('workspaces').values({ name: 'written during export' }).execute();
          await trx.withSchema('datalinx_platform').insertInto('audit_log').values({ organization_id: snap.org.id, actor_type: 'system', action: 'workspace.create', entity_type: 'Workspace', changes: '{}' }).execute();
        });
        concurrent.then(() => done(), done);
      },
    });
    const manifest = await exportOrganization(server.db.pool, 'snapshot-org', out);
    // The writer's callback may still be committing when the export returns (the header was buffered).
    await concurrent;

    expect(wrote).toBe(true);
    expect(await tenant.selectFrom('workspaces').select('id').execute()).toHaveLength(2);
    expect(rowsOf(manifest, 'workspaces')).toBe(1);
    expect(rowsOf(manifest, 'audit_log')).toBe(auditBefore);
    expect(Buffer.concat(chunks).includes('written during export')).toBe(false);
  });

  it("imports a workspace schedule disabled (the queue scheduler has no copy of it), and says so", async () => {
    const sched = await seedWorld(server, 'sched-org');
    const workspaceId = await createWorkspace(server, sched.callers.owner.token);
    const set = await mutate<{ __typename: string }>(server, `mutation($input: SetWorkspaceScheduleInput!) { setWorkspaceSchedule(input: $input) { __typename } }`, {
      input: { workspaceId, cron: '0 3 * * *', jobType: 'MAPPING_TEST' },
    }, sched.callers.owner.token);
    expect(set.__typename).toBe('SetWorkspaceSchedulePayload');
    const file = nextFile();
    const manifest = await exportOrganizationToFile(server.db.pool, { slug: 'sched-org', file });
    expect(rowsOf(manifest, 'workspace_schedules')).toBe(1);
    await organizations.deleteOrganization(operatorScope(server.db), sched.org.id);
    const result = await importOrganization(server.db, await openArchive(file, async () => ''), { slug: 'sched-restored' });
    expect(result.schedulesDisabled).toBe(1);
    const rows = await tenantDb(server.db.db, 'org_sched_restored').selectFrom('workspace_schedules').select(['workspace_id', 'cron', 'enabled']).execute();
    expect(rows).toEqual([{ workspace_id: localId(workspaceId), cron: '0 3 * * *', enabled: false }]);
  });

  it('exports and imports 10,000 mappings', async () => {
    const big = await organizations.createOrganization(operatorScope(server.db), { name: 'Big', slug: 'big-org' });
    const tenant = tenantDb(server.db.db, big.schema_name);
    await insertMappings(tenant, await insertWorkspaces(tenant, 10), 1000);
    const file = nextFile();
    const manifest = await exportOrganizationToFile(server.db.pool, { slug: 'big-org', file });
    expect(rowsOf(manifest, 'mappings')).toBe(10_000);
    const empty = await createTestDb();
    try {
      await importOrganization(empty, await openArchive(file, async () => ''));
      const count = await tenantDb(empty.db, big.schema_name).selectFrom('mappings').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(count.n).toBe(10_000);
      // their field mappings came along: the contains filter finds them in the imported organization
      expect(rowsOf(manifest, 'mapping_field_sources')).toBe(10_000);
      expect(await countMappings(tenantDb(empty.db, big.schema_name), { fieldMappingsContain: { targetField: 'id', source: 'src_id' } })).toBe(10_000);
    } finally {
      await empty.close();
    }
  }, 60_000);

  it('refuses to overwrite an existing file and to import over an existing organization', async () => {
    const file = nextFile();
    await writeFile(file, 'keep me');
    expect(await rejection(exportOrganizationToFile(server.db.pool, { slug: 'acme-restored', file }))).toMatchObject({ message: `${file} already exists; choose another name or remove it` });
    expect(await readFile(file, 'utf8')).toBe('keep me');

    const again = nextFile();
    await exportOrganizationToFile(server.db.pool, { slug: 'acme-restored', file: again });
    expect(await rejection(importOrganization(server.db, await openArchive(again, async () => ''), { slug: 'acme-again' }))).toMatchObject({
      message: 'this database already has an organization with the same id (delete it first, or import into another database)',
    });
  });
});
