import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from './helpers/harness.js';
import { expectError, MALFORMED, organisationHelpers, UNKNOWN } from './helpers/organisations.js';

/**
 * Organisations (HNG Stage 2 and the canonical /api/v1 routes): create, list, change and delete.
 * Members, a member's profile and what deleting an account does to organisations are in
 * organisations-members.test.ts.
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const { createOrg, addMember, notificationsOf, orgExists, isMember } = organisationHelpers(() => h);

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
