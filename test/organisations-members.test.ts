import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countsForUser } from '../src/modules/organisations/repository.js';
import { adminWith } from './helpers/fixtures.js';
import { Harness } from './helpers/harness.js';
import { expectError, MALFORMED, organisationHelpers, UNKNOWN } from './helpers/organisations.js';

/**
 * Organisation members: adding and removing them, reading a fellow member at GET /api/users/{id},
 * and what deleting a user account does to the organisations it created or belonged to.
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const { createOrg, addMember, notificationsOf, orgExists, isMember } = organisationHelpers(() => h);

describe('POST /api/organisation/{org_id}/users', () => {
  it("adds a user: 'User added to organisation successfully'; the user sees it and is notified", async () => {
    const owner = await h.registerUser();
    const user = await h.registerUser();
    const id = await createOrg(owner, 'Golf lovers');
    const res = await h.post(`/api/organisation/${id}/users`, { user_id: user.id }, owner.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: true, message: 'User added to organisation successfully' });
    expect(await isMember(id, user.id)).toBe(true);
    expect(await notificationsOf(user.id)).toEqual([
      { kind: 'organisation.member_added', message: 'You have been added to the organisation "Golf lovers"' },
    ]);
    const list = (await h.get('/api/organisation', user.token)).json();
    expect(list.data).toMatchObject([{ id, creator: false }]);

    const another = await h.registerUser();
    expect((await h.post(`/api/v1/organisations/${id}/members`, { user_id: another.id }, owner.token)).statusCode).toBe(200);
    expect(await isMember(id, another.id)).toBe(true);
  });

  it("answers 422 'User_id is required to add user to an organisation' without a user_id", async () => {
    const owner = await h.registerUser();
    const id = await createOrg(owner);
    for (const body of [{}, undefined, { user_id: '' }, { userId: 'x' }]) {
      expectError(
        await h.post(`/api/organisation/${id}/users`, body, owner.token),
        422,
        'User_id is required to add user to an organisation',
      );
    }
  });

  it("refuses anyone but the creator with 403 'You can only add users to organisation you created.'", async () => {
    const owner = await h.registerUser();
    const member = await h.registerUser();
    const stranger = await h.registerUser();
    const id = await createOrg(owner);
    await addMember(owner, id, member);
    for (const caller of [member, stranger]) {
      const res = await h.post(`/api/organisation/${id}/users`, { user_id: stranger.id }, caller.token);
      expectError(res, 403, 'You can only add users to organisation you created.');
    }
    expect(await isMember(id, stranger.id)).toBe(false);
  });

  it("answers 404 'User not found' for an unknown or malformed user_id, and 'Organisation not found' for an unknown organisation", async () => {
    const owner = await h.registerUser();
    const user = await h.registerUser();
    const id = await createOrg(owner);
    for (const userId of [UNKNOWN, ...MALFORMED]) {
      expectError(await h.post(`/api/organisation/${id}/users`, { user_id: userId }, owner.token), 404, 'User not found');
    }
    expectError(await h.post(`/api/organisation/${UNKNOWN}/users`, { user_id: user.id }, owner.token), 404, 'Organisation not found');
    expectError(await h.post('/api/organisation/not-a-uuid/users', { user_id: user.id }, owner.token), 404, 'Organisation not found');
  });

  it("answers 409 'User is already a member of this organisation' for a member, and for the creator", async () => {
    const owner = await h.registerUser();
    const user = await h.registerUser();
    const id = await createOrg(owner);
    await addMember(owner, id, user);
    expectError(
      await h.post(`/api/organisation/${id}/users`, { user_id: user.id }, owner.token),
      409,
      'User is already a member of this organisation',
    );
    expectError(
      await h.post(`/api/organisation/${id}/users`, { user_id: owner.id }, owner.token),
      409,
      'User is already a member of this organisation',
    );
    expectError(
      await h.post(`/api/organisation/${id}/users`, { user_id: owner.id.toUpperCase() }, owner.token),
      409,
      'User is already a member of this organisation',
    );
    expectError(
      await h.post(`/api/organisation/${id.toUpperCase()}/users`, { user_id: user.id.toUpperCase() }, owner.token),
      409,
      'User is already a member of this organisation',
    );
    expect(await notificationsOf(user.id)).toHaveLength(1);
  });

  it('two concurrent adds of the same user give exactly one 200 and one 409, and one membership', async () => {
    const owner = await h.registerUser();
    const user = await h.registerUser();
    const id = await createOrg(owner);
    const results = await Promise.all([
      h.post(`/api/organisation/${id}/users`, { user_id: user.id }, owner.token),
      h.post(`/api/v1/organisations/${id}/members`, { user_id: user.id }, owner.token),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const { rows } = await h.db.query<{ n: number }>('select count(*)::int as n from organisation_members where organisation_id = $1', [
      id,
    ]);
    expect(rows[0]!.n).toBe(1);
    expect(await notificationsOf(user.id)).toHaveLength(1);
  });

  it('answers 401 without a token', async () => {
    expect((await h.post(`/api/organisation/${UNKNOWN}/users`, { user_id: UNKNOWN })).statusCode).toBe(401);
  });
});

describe('PATCH /api/organisation/{org_id}/users (remove a member)', () => {
  it("removes a member: 'User removed from organisation successfully'; the user is notified", async () => {
    const owner = await h.registerUser();
    const user = await h.registerUser();
    const id = await createOrg(owner, 'Golf lovers');
    await addMember(owner, id, user);
    const res = await h.patch(`/api/organisation/${id}/users`, { user_id: user.id }, owner.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: true, message: 'User removed from organisation successfully' });
    expect(await isMember(id, user.id)).toBe(false);
    expect(await notificationsOf(user.id)).toContainEqual({
      kind: 'organisation.member_removed',
      message: 'You have been removed from the organisation "Golf lovers"',
    });
    expect((await h.get('/api/organisation', user.token)).json().data).toEqual([]);
  });

  it('removes at the canonical DELETE /api/v1/organisations/{org_id}/members, user_id in the body or the query', async () => {
    const owner = await h.registerUser();
    const a = await h.registerUser();
    const b = await h.registerUser();
    const id = await createOrg(owner);
    await addMember(owner, id, a);
    await addMember(owner, id, b);
    expect((await h.delete(`/api/v1/organisations/${id}/members`, owner.token, { user_id: a.id })).statusCode).toBe(200);
    expect((await h.delete(`/api/v1/organisations/${id}/members?user_id=${b.id}`, owner.token)).statusCode).toBe(200);
    expect(await isMember(id, a.id)).toBe(false);
    expect(await isMember(id, b.id)).toBe(false);
  });

  it("answers 422 'User_id is required to remove user from an organisation' without a user_id", async () => {
    const owner = await h.registerUser();
    const id = await createOrg(owner);
    for (const body of [{}, undefined, { user_id: '  ' }]) {
      expectError(
        await h.patch(`/api/organisation/${id}/users`, body, owner.token),
        422,
        'User_id is required to remove user from an organisation',
      );
    }
    expectError(
      await h.delete(`/api/v1/organisations/${id}/members`, owner.token),
      422,
      'User_id is required to remove user from an organisation',
    );
  });

  it("refuses anyone but the creator with 403 'You can only remove users from organisation you created.'", async () => {
    const owner = await h.registerUser();
    const member = await h.registerUser();
    const other = await h.registerUser();
    const id = await createOrg(owner);
    await addMember(owner, id, member);
    await addMember(owner, id, other);
    expectError(
      await h.patch(`/api/organisation/${id}/users`, { user_id: other.id }, member.token),
      403,
      'You can only remove users from organisation you created.',
    );
    expect(await isMember(id, other.id)).toBe(true);
  });

  it("answers 404 'User not found' for an unknown user, and 'Organisation not found' for an unknown organisation", async () => {
    const owner = await h.registerUser();
    const id = await createOrg(owner);
    for (const userId of [UNKNOWN, 'not-a-uuid']) {
      expectError(await h.patch(`/api/organisation/${id}/users`, { user_id: userId }, owner.token), 404, 'User not found');
    }
    expectError(await h.patch(`/api/organisation/${UNKNOWN}/users`, { user_id: owner.id }, owner.token), 404, 'Organisation not found');
    expectError(await h.patch('/api/organisation/123/users', { user_id: owner.id }, owner.token), 404, 'Organisation not found');
  });

  it("answers 400 'User is not a member of this organisation' for a user who is not one", async () => {
    const owner = await h.registerUser();
    const user = await h.registerUser();
    const id = await createOrg(owner);
    expectError(
      await h.patch(`/api/organisation/${id}/users`, { user_id: user.id }, owner.token),
      400,
      'User is not a member of this organisation',
    );
    expect(await notificationsOf(user.id)).toEqual([]);
    // the creator cannot be removed from their own organisation
    const self = await h.patch(`/api/organisation/${id}/users`, { user_id: owner.id }, owner.token);
    expectError(self, 400, 'The creator of an organisation cannot be removed from it');
    expectError(
      await h.patch(`/api/organisation/${id}/users`, { user_id: owner.id.toUpperCase() }, owner.token),
      400,
      'The creator of an organisation cannot be removed from it',
    );
    expect(await orgExists(id)).toBe(true);
  });
});

describe('GET /api/users/{id}', () => {
  async function people() {
    const me = await h.registerUser({ name: undefined, first_name: 'Grace', last_name: 'Hopper', phone: '5550001' });
    const member = await h.registerUser({ name: undefined, first_name: 'Impala', last_name: 'Golden', phone: '1234567' });
    const id = await createOrg(me);
    await addMember(me, id, member);
    return { me, member, id };
  }

  it("returns a member of an organisation the caller created: 'Fetched user successfully' with first_name, last_name, phone, email", async () => {
    const { me, member } = await people();
    for (const path of [`/api/users/${member.id}`, `/api/v1/users/${member.id}`]) {
      const res = await h.get(path, me.token);
      expect(res.statusCode, path).toBe(200);
      expect(res.json()).toEqual({
        status: true,
        message: 'Fetched user successfully',
        data: { id: member.id, name: 'Impala Golden', first_name: 'Impala', last_name: 'Golden', phone: '1234567', email: member.email },
      });
      expect(res.body).not.toMatch(/password|hash|token_version/i);
    }
  });

  it("returns the caller's own child users and the caller themself", async () => {
    const { me } = await people();
    const child = await h.createChild(me, { name: 'Child One' });
    const c = await h.get(`/api/users/${child.id}`, me.token);
    expect(c.statusCode).toBe(200);
    expect(c.json().data).toMatchObject({ id: child.id, email: child.email, first_name: 'Child', last_name: 'One' });
    for (const id of [me.id, me.id.toUpperCase()]) {
      const self = await h.get(`/api/users/${id}`, me.token);
      expect(self.statusCode).toBe(200);
      expect(self.json().data).toMatchObject({ id: me.id, first_name: 'Grace', last_name: 'Hopper', phone: '5550001', email: me.email });
    }
  });

  it("refuses anyone else with 403 'You can only get users in organisations you created.'", async () => {
    const { me, member, id } = await people();
    const stranger = await h.registerUser();
    const otherParent = await h.registerUser();
    const otherChild = await h.createChild(otherParent);
    for (const target of [stranger, otherChild]) {
      expectError(await h.get(`/api/users/${target.id}`, me.token), 403, 'You can only get users in organisations you created.');
    }
    // membership runs one way: a member may not look up the creator, nor another member
    const fellow = await h.registerUser();
    await addMember(me, id, fellow);
    expectError(await h.get(`/api/users/${me.id}`, member.token), 403, 'You can only get users in organisations you created.');
    expectError(await h.get(`/api/users/${fellow.id}`, member.token), 403, 'You can only get users in organisations you created.');
    // a child may not look up its parent
    const child = await h.createChild(me);
    expectError(await h.get(`/api/users/${me.id}`, child.token), 403, 'You can only get users in organisations you created.');
  });

  it("answers 404 'User not found' for an unknown or malformed id", async () => {
    const { me } = await people();
    expectError(await h.get(`/api/users/${UNKNOWN}`, me.token), 404, 'User not found');
    for (const bad of MALFORMED) expectError(await h.get(`/api/users/${bad}`, me.token), 404, 'User not found');
    expectError(await h.get('/api/v1/users/not-a-uuid', me.token), 404, 'User not found');
  });

  it('does not shadow GET /api/users/details or /api/v1/users/me, /api/v1/users/children', async () => {
    const { me } = await people();
    const details = await h.get('/api/users/details', me.token);
    expect(details.statusCode).toBe(200);
    expect(details.json().data.user).toMatchObject({ id: me.id });
    expect((await h.get('/api/v1/users/me', me.token)).json().data.user.id).toBe(me.id);
    const children = await h.get('/api/v1/users/children', me.token);
    expect(children.statusCode).toBe(200);
    expect(children.json().data).toEqual([]);
  });

  it('answers 401 without a token', async () => {
    expect((await h.get(`/api/users/${UNKNOWN}`)).statusCode).toBe(401);
  });
});

describe('deleting a user account', () => {
  it('removes its memberships and the organisations it created, whose members are notified', async () => {
    const leaving = await h.registerUser();
    const member = await h.registerUser();
    const host = await h.registerUser();
    const created = await createOrg(leaving, 'Leaving club');
    await addMember(leaving, created, member);
    const joined = await createOrg(host, 'Host club');
    await addMember(host, joined, leaving);
    await addMember(host, joined, member);

    const res = await h.delete('/api/profile', leaving.token);
    expect(res.statusCode).toBe(200);
    expect(await orgExists(created)).toBe(false);
    expect(await isMember(joined, leaving.id)).toBe(false);
    expect(await isMember(joined, member.id)).toBe(true);
    expect(await orgExists(joined)).toBe(true);
    expect(await notificationsOf(member.id)).toContainEqual({
      kind: 'organisation.deleted',
      message: 'The organisation "Leaving club" has been deleted',
    });
    expect(await notificationsOf(host.id)).toEqual([]);
    expect((await h.get('/api/organisation', member.token)).json().data.map((o: { id: string }) => o.id)).toEqual([joined]);
  });

  /** `leaving` created an org with `member` in it, and belongs to `host`'s org. */
  async function leavingWithOrgs() {
    const leaving = await h.registerUser();
    const member = await h.registerUser();
    const host = await h.registerUser();
    const created = await createOrg(leaving, 'Leaving club');
    await addMember(leaving, created, member);
    const joined = await createOrg(host, 'Host club');
    await addMember(host, joined, leaving);
    return { leaving, member, host, created, joined };
  }

  async function expectOrgsCleanedUp({ leaving, member, created, joined }: Awaited<ReturnType<typeof leavingWithOrgs>>) {
    expect(await orgExists(created)).toBe(false);
    const { rows } = await h.db.query('select 1 from organisation_members where organisation_id = $1', [created]);
    expect(rows).toEqual([]);
    expect(await isMember(joined, leaving.id)).toBe(false);
    expect(await orgExists(joined)).toBe(true);
    expect(await notificationsOf(member.id)).toContainEqual({
      kind: 'organisation.deleted',
      message: 'The organisation "Leaving club" has been deleted',
    });
  }

  it('an admin deleting the account (DELETE /api/admin/users/{id}) does the same', async () => {
    const admin = await adminWith(h, ['manage_users']);
    const setup = await leavingWithOrgs();
    const res = await h.delete(`/api/admin/users/${setup.leaving.id}`, admin.token);
    expect(res.statusCode, res.body).toBe(200);
    await expectOrgsCleanedUp(setup);
  });

  it('deleting by the emailed confirmation link (POST /api/users/confirm-delete) does the same', async () => {
    const setup = await leavingWithOrgs();
    const { leaving } = setup;
    expect(
      (await h.post('/api/v1/users/delete', { name: 'Nikunja', email: 'xnikunja@gmail.com', picture: 'dsafsd' }, leaving.token)).statusCode,
    ).toBe(200);
    await h.deliver();
    const link = h.mailer.last(leaving.email)?.text.match(/\S+\/confirm-delete\?token=\S+/)?.[0];
    if (!link) throw new Error(`no deletion link emailed to ${leaving.email}`);
    const token = new URL(link).searchParams.get('token');
    const res = await h.post('/api/users/confirm-delete', { token });
    expect(res.statusCode, res.body).toBe(200);
    await expectOrgsCleanedUp(setup);
  });

  it("also closes the organisations of a deleted parent's child users, telling their members", async () => {
    const parent = await h.registerUser();
    const child = await h.createChild(parent);
    const member = await h.registerUser();
    const org = await createOrg(child, 'Child club');
    await addMember(child, org, member);
    await addMember(child, org, parent);
    expect((await h.delete('/api/v1/profile', parent.token)).statusCode).toBe(200);
    expect(await orgExists(org)).toBe(false);
    expect(await notificationsOf(member.id)).toContainEqual({
      kind: 'organisation.deleted',
      message: 'The organisation "Child club" has been deleted',
    });
  });

  it('counts organisations created and joined for the admin view', async () => {
    const user = await h.registerUser();
    const other = await h.registerUser();
    await createOrg(user, 'One');
    await createOrg(user, 'Two');
    await addMember(other, await createOrg(other, 'Three'), user);
    expect(await countsForUser(h.db, user.id)).toEqual({ created: 2, member: 1 });
    expect(await countsForUser(h.db, other.id)).toEqual({ created: 1, member: 0 });
  });
});
