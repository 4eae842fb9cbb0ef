import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { newTotpSecret, openTotpSecret, sealTotpSecret } from '../../src/auth/mfa.js';
import { Keyring } from '../../src/crypto/keyring.js';
import { rotateKeys } from '../../src/admin/rotate-keys.js';
import { systemScope } from '../../src/auth/scope.js';
import { revealSecrets, sealConnectionConfig, type StoredConnectionConfig } from '../../src/data-sources/connection-config.js';
import { platform } from '../../src/db/database.js';
import type { OrganizationRow } from '../../src/db/tables/organizations.table.js';
import { createOrganization } from '../../src/organizations/organization.manager.js';
import { Tenant } from '../../src/tenancy/tenant.js';
import { insertUser } from '../../src/users/user.dao.js';
import { openWarehouseSettings, sealWarehouse } from '../../src/warehouses/warehouse-config.js';
import { adminCli, createTestDb, operatorScope, type TestDb, testKeyringJson } from '../support/index.js';

const KEYS = { k1: randomBytes(32), k2: randomBytes(32), k3: randomBytes(32) };
const ring = (...ids: (keyof typeof KEYS)[]) => new Keyring(ids.map((id) => ({ id, key: KEYS[id] })), ids.at(-1)!);

let db: TestDb;
let orgs: OrganizationRow[];
const sources: { org: OrganizationRow; id: string; password: string }[] = [];
const totp: { userId: string; secret: string }[] = [];

/** A postgresql data source whose password is sealed under `keyring`, written straight to the tenant table. */
async function sealedSource(org: OrganizationRow, keyring: Keyring, password: string): Promise<void> {
  const tenant = new Tenant(db.db, org).db;
  const ws = await tenant.insertInto('workspaces').values({ name: `ws ${password}` }).returning('id').executeTakeFirstOrThrow();
  const id = randomUUID();
  const config = sealConnectionConfig(keyring, { organizationId: org.id, dataSourceId: id }, 'postgresql', { host: 'h', database: 'd', user: 'u', password });
  await tenant.insertInto('data_sources').values({ id, workspace_id: ws.id, name: password, source_type: 'postgresql', connection_config: JSON.stringify(config) }).execute();
  sources.push({ org, id, password });
}

const warehouses: { org: OrganizationRow; id: string; password: string }[] = [];

/** A workspace whose warehouse password is sealed under `keyring`. */
async function sealedWarehouse(org: OrganizationRow, keyring: Keyring, password: string): Promise<void> {
  const tenant = new Tenant(db.db, org).db;
  const id = randomUUID();
  const input = { dialect: 'postgresql' as const, targetSchema: 'analytics', connectionConfig: { postgresql: { host: 'h', database: 'd', user: 'u', password } } };
  const warehouse = sealWarehouse(keyring, org.id, id, input, null);
  await tenant.insertInto('workspaces').values({ id, name: `wh ${password}`, warehouse: JSON.stringify(warehouse) } as never).execute();
  warehouses.push({ org, id, password });
}

const warehouseOf = async (w: (typeof warehouses)[number]) =>
  (await new Tenant(db.db, w.org).db.selectFrom('workspaces').select('warehouse').where('id', '=', w.id).executeTakeFirstOrThrow()).warehouse!;

async function storedKids(): Promise<string[]> {
  const kids: string[] = [];
  for (const w of warehouses) kids.push(((await warehouseOf(w)).connection_config as StoredConnectionConfig).secrets!.kid);
  for (const s of sources) {
    const row = await new Tenant(db.db, s.org).db.selectFrom('data_sources').select('connection_config').where('id', '=', s.id).executeTakeFirstOrThrow();
    kids.push((row.connection_config as StoredConnectionConfig).secrets!.kid);
  }
  return kids;
}

/** Every sealed secret in the database, opened with `keyring` alone. */
async function openAll(keyring: Keyring): Promise<{ passwords: string[]; totp: string[] }> {
  const passwords: string[] = [];
  for (const w of warehouses) passwords.push(String(openWarehouseSettings(keyring, w.org.id, w.id, await warehouseOf(w)).password));
  for (const s of sources) {
    const row = await new Tenant(db.db, s.org).db.selectFrom('data_sources').select('connection_config').where('id', '=', s.id).executeTakeFirstOrThrow();
    passwords.push(revealSecrets(keyring, { organizationId: s.org.id, dataSourceId: s.id }, row.connection_config as StoredConnectionConfig).password!);
  }
  const users = await platform(db.db).selectFrom('users').select(['id', 'mfa_secret_encrypted']).where('id', 'in', totp.map((t) => t.userId)).execute();
  const opened = totp.map((t) => openTotpSecret(keyring, t.userId, users.find((u) => u.id === t.userId)!.mfa_secret_encrypted!));
  return { passwords, totp: opened };
}

const expected = () => ({ passwords: [...warehouses, ...sources].map((s) => s.password), totp: totp.map((t) => t.secret) });

beforeAll(async () => {
  db = await createTestDb();
  orgs = [
    await createOrganization(operatorScope(db), { name: 'Rot A', slug: 'rot-a' }),
    await createOrganization(operatorScope(db), { name: 'Rot B', slug: 'rot-b' }),
  ];
  await sealedSource(orgs[0]!, ring('k1'), 'pw-a-1');
  await sealedSource(orgs[0]!, ring('k1'), 'pw-a-2');
  await sealedSource(orgs[1]!, ring('k1'), 'pw-b-1');
  await sealedWarehouse(orgs[1]!, ring('k1'), 'wh-b-1');
  const user = await insertUser(db.db, { organization_id: orgs[0]!.id, email: 'mfa@rot.test', role: 'admin' });
  const secret = newTotpSecret();
  await platform(db.db).updateTable('users').set({ mfa_enabled: true, mfa_secret_encrypted: sealTotpSecret(ring('k1'), user.id, secret) }).where('id', '=', user.id).execute();
  totp.push({ userId: user.id, secret });
});
afterAll(() => db.close());

describe('rotateKeys', () => {
  it('starts from secrets that only the old key opens', async () => {
    expect(await storedKids()).toEqual(['k1', 'k1', 'k1', 'k1']);
    await expect(openAll(ring('k2'))).rejects.toThrow('unknown key id k1');
  });

  it('re-seals every credential and TOTP secret under the current key, in every organization', async () => {
    expect(await rotateKeys(systemScope({ system: db, keyring: ring('k1', 'k2') }, 'test'))).toEqual({ dataSources: 3, warehouses: 1, mfaSecrets: 1 });

    expect(await storedKids()).toEqual(['k2', 'k2', 'k2', 'k2']);
    expect(await openAll(ring('k2'))).toEqual(expected());
    await expect(openAll(ring('k1'))).rejects.toThrow('unknown key id k2');
  });

  it('leaves what is already current alone when run again', async () => {
    expect(await rotateKeys(systemScope({ system: db, keyring: ring('k1', 'k2') }, 'test'))).toEqual({ dataSources: 0, warehouses: 0, mfaSecrets: 0 });
    expect(await openAll(ring('k2'))).toEqual(expected());
  });
});

describe('admin CLI rotate-keys', () => {
  it('rotates with the KEYRING from the environment and reports the counts', async () => {
    const env = {
      DATABASE_URL: db.url,
      KEYRING: testKeyringJson({ k2: KEYS.k2, k3: KEYS.k3 }),
      JWT_SECRET: randomBytes(32).toString('hex'),
      DATA_DIR: await mkdtemp(path.join(os.tmpdir(), 'datalinx-cli-')),
    };

    const out = await adminCli(env, 'rotate-keys');

    expect(out).toEqual({ code: 0, stdout: [expect.any(String)], stderr: [] });
    expect(JSON.parse(out.stdout[0]!)).toEqual({ currentKey: 'k3', dataSources: 3, warehouses: 1, mfaSecrets: 1 });
    expect(await storedKids()).toEqual(['k3', 'k3', 'k3', 'k3']);
    expect(await openAll(ring('k3'))).toEqual(expected());
  });
});
