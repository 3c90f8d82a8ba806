import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countsForUser } from '../src/modules/organisations/repository.js';
import { adminWith } from './helpers/fixtures.js';
import { Harness, type TestUser } from './helpers/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const UNKNOWN = '00000000-0000-4000-8000-000000000000';
const MALFORMED = ['not-a-uuid', '507f1f77bcf86cd799439011', '1'];

async function createOrg(
  owner: TestUser,
  name = 'Golf lovers',
  description: string | undefined = 'Association for lovers of golf game',
): Promise<string> {
  const res = await h.post('/api/organisation', { name, ...(description !== undefined ? { description } : {}) }, owner.token);
  if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
  return res.json().data.id;
}

async function addMember(owner: TestUser, orgId: string, user: TestUser) {
  const res = await h.post(`/api/organisation/${orgId}/users`, { user_id: user.id }, owner.token);
  if (res.statusCode !== 200) throw new Error(`add failed: ${res.statusCode} ${res.body}`);
}

async function notificationsOf(userId: string): Promise<{ kind: string; message: string }[]> {
  const { rows } = await h.db.query<{ kind: string; message: string }>(
    'select kind, message from notifications where user_id = $1 order by created_at, id',
    [userId],
  );
  return rows;
}

async function orgExists(id: string): Promise<boolean> {
  const { rows } = await h.db.query('select 1 from organisations where id = $1', [id]);
  return rows.length === 1;
}

async function isMember(orgId: string, userId: string): Promise<boolean> {
  const { rows } = await h.db.query('select 1 from organisation_members where organisation_id = $1 and user_id = $2', [orgId, userId]);
  return rows.length === 1;
}

function expectError(res: { statusCode: number; json(): any }, status: number, message: string) {
  expect(res.statusCode, JSON.stringify(res.json())).toBe(status);
  expect(res.json()).toMatchObject({ status: false, message });
  expect(typeof res.json().code).toBe('string');
}

describe('POST /api/organisation and /api/v1/organisations', () => {
  it("creates an organisation (201 'Organisation created successfully') with the caller as creator, at both paths", async () => {
    const owner = await h.registerUser();
    for (const path of ['/api/organisation', '/api/v1/organisations']) {
      const res = await h.post(path, { name: 'Golf lovers', description: 'Association for lovers of golf game' }, owner.token);
      expect(res.statusCode, path).toBe(201);
      const body = res.json();
      expect(body).toMatchObject({
        status: true,
        message: 'Organisation created successfully',
        data: { name: 'Golf lovers', description: 'Association for lovers of golf game', creator: true },
      });
      expect(body.data.id).toMatch(/^[0-9a-f-]{36}$/);
      const { rows } = await h.db.query<{ creator_id: string }>('select creator_id from organisations where id = $1', [body.data.id]);
      expect(rows[0]?.creator_id).toBe(owner.id);
    }
  });

  it('makes the description optional', async () => {
    const owner = await h.registerUser();
    const res = await h.post('/api/organisation', { name: 'Impala golden' }, owner.token);
    expect(res.statusCode).toBe(201);
    expect(res.json().data).toMatchObject({ name: 'Impala golden', description: null });
  });

  it("answers a missing name with 422 'Name is required to create an organisation'", async () => {
    const owner = await h.registerUser();
    for (const body of [{}, { description: 'no name' }, { name: '' }, { name: '   ' }, undefined]) {
      const res = await h.post('/api/organisation', body, owner.token);
      expectError(res, 422, 'Name is required to create an organisation');
      expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(body === undefined ? 'body' : 'name');
    }
    const { rows } = await h.db.query('select 1 from organisations');
    expect(rows).toHaveLength(0);
  });

  it('accepts a 100-character name and refuses 101 characters, and a description over 1000, with 422', async () => {
    const owner = await h.registerUser();
    expect((await h.post('/api/organisation', { name: 'n'.repeat(100) }, owner.token)).statusCode).toBe(201);
    const long = await h.post('/api/organisation', { name: 'n'.repeat(101) }, owner.token);
    expect(long.statusCode).toBe(422);
    expect(long.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED', errors: [{ field: 'name' }] });
    const desc = await h.post('/api/organisation', { name: 'ok', description: 'd'.repeat(1001) }, owner.token);
    expect(desc.statusCode).toBe(422);
    expect(desc.json().errors[0].field).toBe('description');
  });

  it('answers 401 without a token', async () => {
    expect((await h.post('/api/organisation', { name: 'x' })).statusCode).toBe(401);
    expect((await h.post('/api/v1/organisations', { name: 'x' })).statusCode).toBe(401);
  });
});

describe('GET /api/organisation', () => {
  it("lists the organisations the caller created and those they belong to, with 'creator' and the documented message", async () => {
    const me = await h.registerUser();
    const other = await h.registerUser();
    const mine = await createOrg(me, 'Mine', 'created by me');
    const theirs = await createOrg(other, 'Impala golden', 'Resurrecting faith in mankind');
    await createOrg(other, 'Not mine');
    await addMember(other, theirs, me);

    for (const path of ['/api/organisation', '/api/v1/organisations']) {
      const res = await h.get(path, me.token);
      expect(res.statusCode, path).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({ status: true, message: 'Fetched organisation successfully', meta: { page: 1, limit: 20, total: 2 } });
      const byId = Object.fromEntries(body.data.map((o: { id: string }) => [o.id, o]));
      expect(Object.keys(byId).sort()).toEqual([mine, theirs].sort());
      expect(byId[mine]).toMatchObject({ id: mine, name: 'Mine', description: 'created by me', creator: true });
      expect(byId[theirs]).toMatchObject({
        id: theirs,
        name: 'Impala golden',
        description: 'Resurrecting faith in mankind',
        creator: false,
      });
    }

    const created = (await h.get('/api/organisation?creator=true', me.token)).json();
    expect(created.data.map((o: { id: string }) => o.id)).toEqual([mine]);
    expect(created.meta.total).toBe(1);
    const member = (await h.get('/api/organisation?creator=false', me.token)).json();
    expect(member.data.map((o: { id: string }) => o.id)).toEqual([theirs]);
    expect(member.data[0].creator).toBe(false);
  });

  it('paginates with page and limit, newest first, and counts the total', async () => {
    const me = await h.registerUser();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(await createOrg(me, `Org ${i}`));
      h.clock.advance(1000);
    }
    const newestFirst = [...ids].reverse();
    const p1 = (await h.get('/api/organisation?page=1&limit=2', me.token)).json();
    const p2 = (await h.get('/api/organisation?page=2&limit=2', me.token)).json();
    const p3 = (await h.get('/api/organisation?page=3&limit=2', me.token)).json();
    expect(p1.meta).toEqual({ page: 1, limit: 2, total: 5 });
    expect(p3.meta).toEqual({ page: 3, limit: 2, total: 5 });
    expect([...p1.data, ...p2.data, ...p3.data].map((o: { id: string }) => o.id)).toEqual(newestFirst);
    const beyond = (await h.get('/api/organisation?page=9&limit=2', me.token)).json();
    expect(beyond.data).toEqual([]);
    expect(beyond.meta.total).toBe(5);
    expect((await h.get('/api/organisation?limit=0', me.token)).statusCode).toBe(422);
    expect((await h.get('/api/organisation?creator=maybe', me.token)).statusCode).toBe(422);
  });

  it('returns an empty list for a user in no organisation, and 401 without a token', async () => {
    const me = await h.registerUser();
    const res = await h.get('/api/organisation', me.token);
    expect(res.json()).toMatchObject({ status: true, data: [], meta: { total: 0 } });
    expect((await h.get('/api/organisation')).statusCode).toBe(401);
  });
});

describe('PATCH /api/organisation and /api/organisation/{org_id}', () => {
  it("updates by path id at both spellings: 'Organisation details updated successfully'", async () => {
    const owner = await h.registerUser();
    const id = await createOrg(owner);
    const res = await h.patch(`/api/organisation/${id}`, { name: 'New name', description: 'New description' }, owner.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: true,
      message: 'Organisation details updated successfully',
      data: { id, name: 'New name', description: 'New description', creator: true },
    });
    const canonical = await h.patch(`/api/v1/organisations/${id}`, { description: null }, owner.token);
    expect(canonical.statusCode).toBe(200);
    expect(canonical.json().data).toMatchObject({ name: 'New name', description: null });
    const list = (await h.get('/api/organisation', owner.token)).json();
    expect(list.data[0]).toMatchObject({ id, name: 'New name', description: null });
  });

  it('without an id, updates the only organisation the caller created', async () => {
    const owner = await h.registerUser();
    const other = await h.registerUser();
    const id = await createOrg(owner);
    const theirs = await createOrg(other, 'Theirs');
    await addMember(other, theirs, owner);
    const res = await h.patch('/api/organisation', { name: 'New name' }, owner.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ message: 'Organisation details updated successfully', data: { id, name: 'New name' } });
    expect((await h.patch('/api/v1/organisations', { description: 'via canonical' }, owner.token)).json().data).toMatchObject({
      id,
      description: 'via canonical',
    });
  });

  it('without an id and several organisations, answers 422 saying org_id is required; org_id in the query or body picks one', async () => {
    const owner = await h.registerUser();
    const a = await createOrg(owner, 'A');
    const b = await createOrg(owner, 'B');
    const res = await h.patch('/api/organisation', { name: 'Which?' }, owner.token);
    expect(res.statusCode).toBe(422);
    expect(res.json().message).toMatch(/org_id is required/);
    expect(res.json().errors).toEqual([{ field: 'org_id', message: 'is required' }]);

    expect((await h.patch(`/api/organisation?org_id=${a}`, { name: 'A2' }, owner.token)).json().data).toMatchObject({ id: a, name: 'A2' });
    expect((await h.patch('/api/organisation', { org_id: b, name: 'B2' }, owner.token)).json().data).toMatchObject({ id: b, name: 'B2' });
    const names = (await h.get('/api/organisation', owner.token))
      .json()
      .data.map((o: { name: string }) => o.name)
      .sort();
    expect(names).toEqual(['A2', 'B2']);
  });

  it("without an id and no organisation of the caller's, answers 404 'Organisation not found'", async () => {
    const user = await h.registerUser();
    const other = await h.registerUser();
    const theirs = await createOrg(other);
    await addMember(other, theirs, user);
    expectError(await h.patch('/api/organisation', { name: 'x' }, user.token), 404, 'Organisation not found');
  });

  it("answers 422 'Enter fields to update' when nothing is sent", async () => {
    const owner = await h.registerUser();
    const id = await createOrg(owner);
    for (const [path, body] of [
      [`/api/organisation/${id}`, {}],
      [`/api/organisation/${id}`, undefined],
      [`/api/organisation/${id}`, { unknown: 'field' }],
      ['/api/organisation', {}],
      ['/api/organisation', { org_id: id }],
      [`/api/organisation?org_id=${id}`, undefined],
    ] as const) {
      expectError(await h.patch(path, body, owner.token), 422, 'Enter fields to update');
    }
  });

  it('refuses anyone but the creator with 403, even a member', async () => {
    const owner = await h.registerUser();
    const member = await h.registerUser();
    const id = await createOrg(owner, 'Kept');
    await addMember(owner, id, member);
    for (const path of [`/api/organisation/${id}`, `/api/organisation?org_id=${id}`]) {
      const res = await h.patch(path, { name: 'Hijacked' }, member.token);
      expectError(res, 403, 'User can only update organisations they created');
    }
    expect((await h.get('/api/organisation', owner.token)).json().data[0].name).toBe('Kept');
  });

  it("answers 404 'Organisation not found' for an unknown or malformed id", async () => {
    const owner = await h.registerUser();
    await createOrg(owner);
    expectError(await h.patch(`/api/organisation/${UNKNOWN}`, { name: 'x' }, owner.token), 404, 'Organisation not found');
    expectError(await h.patch(`/api/organisation?org_id=${UNKNOWN}`, { name: 'x' }, owner.token), 404, 'Organisation not found');
    for (const bad of MALFORMED) {
      expectError(await h.patch(`/api/organisation/${bad}`, { name: 'x' }, owner.token), 404, 'Organisation not found');
      expectError(await h.patch('/api/organisation', { org_id: bad, name: 'x' }, owner.token), 404, 'Organisation not found');
    }
  });

  it('refuses a name over 100 characters and an empty name with 422', async () => {
    const owner = await h.registerUser();
    const id = await createOrg(owner);
    expect((await h.patch(`/api/organisation/${id}`, { name: 'n'.repeat(101) }, owner.token)).statusCode).toBe(422);
    expect((await h.patch(`/api/organisation/${id}`, { name: '  ' }, owner.token)).statusCode).toBe(422);
  });
});

describe('DELETE /api/organisation and /api/organisation/{org_id}', () => {
  it("deletes by path id: 'Organisation deleted successfully'; members lose the membership and are notified", async () => {
    const owner = await h.registerUser();
    const m1 = await h.registerUser();
    const m2 = await h.registerUser();
    const id = await createOrg(owner, 'Golf lovers');
    await addMember(owner, id, m1);
    await addMember(owner, id, m2);

    const res = await h.delete(`/api/organisation/${id}`, owner.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: true, message: 'Organisation deleted successfully' });
    expect(await orgExists(id)).toBe(false);
    expect(await isMember(id, m1.id)).toBe(false);
    for (const m of [m1, m2]) {
      expect(await notificationsOf(m.id)).toContainEqual({
        kind: 'organisation.deleted',
        message: 'The organisation "Golf lovers" has been deleted',
      });
      expect((await h.get('/api/organisation', m.token)).json().data).toEqual([]);
    }
    expect(await notificationsOf(owner.id)).toEqual([]);
    expectError(await h.delete(`/api/organisation/${id}`, owner.token), 404, 'Organisation not found');
  });

  it('deletes at the canonical path too', async () => {
    const owner = await h.registerUser();
    const id = await createOrg(owner);
    expect((await h.delete(`/api/v1/organisations/${id}`, owner.token)).json().message).toBe('Organisation deleted successfully');
    expect(await orgExists(id)).toBe(false);
  });

  it('without an id, deletes the only organisation the caller created; with several answers 422; with none 404', async () => {
    const owner = await h.registerUser();
    const only = await createOrg(owner);
    expect((await h.delete('/api/organisation', owner.token)).json()).toEqual({
      status: true,
      message: 'Organisation deleted successfully',
    });
    expect(await orgExists(only)).toBe(false);

    expectError(await h.delete('/api/organisation', owner.token), 404, 'Organisation not found');

    const a = await createOrg(owner, 'A');
    const b = await createOrg(owner, 'B');
    const several = await h.delete('/api/organisation', owner.token);
    expect(several.statusCode).toBe(422);
    expect(several.json().message).toMatch(/org_id is required/);
    expect(await orgExists(a)).toBe(true);
    expect(await orgExists(b)).toBe(true);

    expect((await h.delete(`/api/organisation?org_id=${a}`, owner.token)).statusCode).toBe(200);
    expect(await orgExists(a)).toBe(false);
    expect((await h.delete('/api/v1/organisations', owner.token, { org_id: b })).statusCode).toBe(200);
    expect(await orgExists(b)).toBe(false);
  });

  it("refuses anyone but the creator with 403 'User can only delete organisations they created'", async () => {
    const owner = await h.registerUser();
    const member = await h.registerUser();
    const id = await createOrg(owner);
    await addMember(owner, id, member);
    expectError(await h.delete(`/api/organisation/${id}`, member.token), 403, 'User can only delete organisations they created');
    expectError(await h.delete('/api/organisation', member.token, { org_id: id }), 403, 'User can only delete organisations they created');
    expect(await orgExists(id)).toBe(true);
    expect(await notificationsOf(member.id)).toHaveLength(1); // only the "added" one
  });

  it("answers 404 'Organisation not found' for an unknown or malformed id", async () => {
    const owner = await h.registerUser();
    expectError(await h.delete(`/api/organisation/${UNKNOWN}`, owner.token), 404, 'Organisation not found');
    expectError(await h.delete(`/api/v1/organisations/${UNKNOWN}`, owner.token), 404, 'Organisation not found');
    for (const bad of MALFORMED) {
      expectError(await h.delete(`/api/organisation/${bad}`, owner.token), 404, 'Organisation not found');
      expectError(await h.delete(`/api/organisation?org_id=${bad}`, owner.token), 404, 'Organisation not found');
    }
  });

  it('answers 401 without a token', async () => {
    expect((await h.delete(`/api/organisation/${UNKNOWN}`)).statusCode).toBe(401);
    expect((await h.delete('/api/organisation')).statusCode).toBe(401);
  });
});

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

describe('OpenAPI', () => {
  it('lists every organisation route, canonical and documented, with its statuses', async () => {
    const doc = (await h.get('/openapi.json')).json();
    const expected: [string, string, string[], string?][] = [
      ['post', '/api/organisation', ['201', '401', '422'], '/api/v1/organisations'],
      ['get', '/api/organisation', ['200', '401'], '/api/v1/organisations'],
      ['patch', '/api/organisation', ['200', '401', '403', '404', '422'], '/api/v1/organisations'],
      ['delete', '/api/organisation', ['200', '401', '403', '404', '422'], '/api/v1/organisations'],
      ['patch', '/api/organisation/{org_id}', ['200', '401', '403', '404', '422'], '/api/v1/organisations/:org_id'],
      ['delete', '/api/organisation/{org_id}', ['200', '401', '403', '404'], '/api/v1/organisations/:org_id'],
      ['post', '/api/organisation/{org_id}/users', ['200', '401', '403', '404', '409', '422'], '/api/v1/organisations/:org_id/members'],
      ['patch', '/api/organisation/{org_id}/users', ['200', '400', '401', '403', '404', '422'], '/api/v1/organisations/:org_id/members'],
      ['get', '/api/users/{id}', ['200', '401', '403', '404'], '/api/v1/users/:id'],
      ['post', '/api/v1/organisations', ['201', '401', '422']],
      ['get', '/api/v1/organisations', ['200', '401']],
      ['patch', '/api/v1/organisations', ['200', '404', '422']],
      ['delete', '/api/v1/organisations', ['200', '404', '422']],
      ['patch', '/api/v1/organisations/{org_id}', ['200', '403', '404', '422']],
      ['delete', '/api/v1/organisations/{org_id}', ['200', '403', '404']],
      ['post', '/api/v1/organisations/{org_id}/members', ['200', '403', '404', '409', '422']],
      ['delete', '/api/v1/organisations/{org_id}/members', ['200', '400', '403', '404', '422']],
      ['get', '/api/v1/users/{id}', ['200', '403', '404']],
    ];
    for (const [method, path, statuses, aliasOf] of expected) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      for (const s of statuses) expect(op.responses, `${method} ${path} ${s}`).toHaveProperty(s);
      if (aliasOf) {
        expect(op['x-alias-of'], `${method} ${path}`).toBe(aliasOf);
        expect(op.description).toContain('alias');
      } else {
        expect(op.security).toEqual([{ bearerAuth: [] }]);
      }
    }
    expect(doc.paths['/api/users/details'].get).toBeDefined();
  });
});
