import { ConflictError, NotFoundError } from '../../src/errors.js';
import * as organizations from '../../src/organizations/organization.dao.js';
import * as users from '../../src/users/user.dao.js';
import { createTestDb, rejection, type TestDb } from '../support/index.js';

let t: TestDb;

beforeAll(async () => {
  t = await createTestDb();
});
afterAll(() => t.close());

const UUID = expect.stringMatching(/^[0-9a-f-]{36}$/);

describe('organization DAO', () => {
  it('creates, reads, updates and deletes an organization row', async () => {
    const created = await organizations.insertOrganization(t.db, { name: 'Globex', slug: 'globex', schema_name: 'org_globex' });
    expect(created).toEqual({
      id: UUID,
      name: 'Globex',
      slug: 'globex',
      schema_name: 'org_globex',
      settings: {},
      created_at: expect.any(Date),
      updated_at: expect.any(Date),
    });

    expect(await organizations.findOrganizationById(t.db, created.id)).toEqual(created);
    expect(await organizations.findOrganizationBySlug(t.db, 'globex')).toEqual(created);
    expect(await organizations.findOrganizationsByIds(t.db, [created.id])).toEqual([created]);
    expect(await organizations.findOrganizationsByIds(t.db, [])).toEqual([]);

    const updated = await organizations.updateOrganization(t.db, created.id, { name: 'Globex Corp', settings: { plan: 'pro' } });
    expect(updated).toEqual({ ...created, name: 'Globex Corp', settings: { plan: 'pro' }, updated_at: expect.any(Date) });

    expect(await organizations.deleteOrganization(t.db, created.id)).toBe(true);
    expect(await organizations.findOrganizationById(t.db, created.id)).toBeUndefined();
    expect(await organizations.deleteOrganization(t.db, created.id)).toBe(false);
  });

  it('lists organizations oldest first', async () => {
    const a = await organizations.insertOrganization(t.db, { name: 'First', slug: 'first', schema_name: 'org_first' });
    const b = await organizations.insertOrganization(t.db, { name: 'Second', slug: 'second', schema_name: 'org_second' });

    const listed = await organizations.listOrganizations(t.db);

    expect(listed.map((o) => o.slug)).toEqual(['first', 'second']);
    expect(listed).toEqual([a, b]);
  });

  it('maps a duplicate slug to a ConflictError', async () => {
    await organizations.insertOrganization(t.db, { name: 'Dup', slug: 'dup', schema_name: 'org_dup' });
    const err = await rejection(organizations.insertOrganization(t.db, { name: 'Dup 2', slug: 'dup', schema_name: 'org_dup_2' }));
    expect(err).toBeInstanceOf(ConflictError);
    expect(err).toMatchObject({ message: 'An organization with this slug already exists' });
  });
});

describe('user DAO', () => {
  it('creates, reads, updates and deletes a user, keeping emails lowercase', async () => {
    const org = await organizations.insertOrganization(t.db, { name: 'Users Inc', slug: 'users-inc', schema_name: 'org_users_inc' });

    const created = await users.insertUser(t.db, { organization_id: org.id, email: 'Ada@Example.COM', display_name: 'Ada', role: 'admin' });
    expect(created).toEqual({
      id: UUID,
      organization_id: org.id,
      email: 'ada@example.com',
      password_hash: null,
      display_name: 'Ada',
      role: 'admin',
      created_at: expect.any(Date),
      last_login_at: null,
      mfa_enabled: false,
      mfa_secret_encrypted: null,
      mfa_last_used_step: null,
      mfa_pending_secret_encrypted: null,
      failed_login_count: 0,
      locked_until: null,
      lockout_count: 0,
    });

    expect(await users.findUserById(t.db, created.id)).toEqual(created);
    expect(await users.findUserByEmail(t.db, 'ADA@example.com')).toEqual(created);
    expect(await users.countUsersOfOrganization(t.db, org.id)).toBe(1);
    expect(await users.listUsersOfOrganization(t.db, org.id, { first: 10 })).toEqual({ rows: [created], hasNextPage: false, hasPreviousPage: false });

    const loginAt = new Date('2024-05-01T12:00:00Z');
    const updated = await users.updateUser(t.db, created.id, { role: 'owner', last_login_at: loginAt, mfa_last_used_step: 57_000_000 });
    expect(updated).toEqual({ ...created, role: 'owner', last_login_at: loginAt, mfa_last_used_step: 57_000_000 });

    expect(await users.deleteUser(t.db, created.id)).toBe(true);
    expect(await users.findUserById(t.db, created.id)).toBeUndefined();
    expect(await users.countUsersOfOrganization(t.db, org.id)).toBe(0);
  });

  it("finds users by id only within the asked organization", async () => {
    const a = await organizations.insertOrganization(t.db, { name: 'A', slug: 'org-a', schema_name: 'org_org_a' });
    const b = await organizations.insertOrganization(t.db, { name: 'B', slug: 'org-b', schema_name: 'org_org_b' });
    const ua = await users.insertUser(t.db, { organization_id: a.id, email: 'a@a.test' });
    const ub = await users.insertUser(t.db, { organization_id: b.id, email: 'b@b.test' });

    expect(await users.findUsersByIds(t.db, a.id, [ua.id, ub.id])).toEqual([ua]);
    expect(await users.findUsersByIds(t.db, b.id, [ua.id, ub.id])).toEqual([ub]);
    expect(await users.findUsersByIds(t.db, a.id, [])).toEqual([]);
  });

  it('maps a duplicate email (in any case) to a ConflictError and a missing organization to NotFound', async () => {
    await users.insertUser(t.db, { organization_id: null, email: 'taken@example.com' });

    const dup = await rejection(users.insertUser(t.db, { organization_id: null, email: 'TAKEN@example.com' }));
    expect(dup).toBeInstanceOf(ConflictError);
    expect(dup).toMatchObject({ message: 'A user with this email already exists', details: { field: 'email' } });

    const orphan = await rejection(users.insertUser(t.db, { organization_id: '00000000-0000-4000-8000-000000000000', email: 'x@y.test' }));
    expect(orphan).toBeInstanceOf(NotFoundError);
    expect(orphan).toMatchObject({ message: 'Organization was not found' });
  });

  it('deletes the users of an organization with it', async () => {
    const org = await organizations.insertOrganization(t.db, { name: 'Gone', slug: 'gone', schema_name: 'org_gone' });
    const user = await users.insertUser(t.db, { organization_id: org.id, email: 'left@gone.test' });

    await organizations.deleteOrganization(t.db, org.id);

    expect(await users.findUserById(t.db, user.id)).toBeUndefined();
  });
});
