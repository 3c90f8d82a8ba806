import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fieldsOf, userLogin } from './helpers/fixtures.js';
import { Harness, type TestUser, uniqueEmail } from './helpers/harness.js';
import { expectNoSecrets, userHelpers } from './helpers/users.js';

/**
 * The signed-in user's own account: details, the HNG profile (read, change, delete) and account
 * deletion confirmed by email. Child users are in users-children.test.ts.
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const { countUsers } = userHelpers(() => h);

const HOUR = 60 * 60 * 1000;

/** Delivers the outbox and returns the newest account-deletion link sent to `email`. */
async function deletionLink(email: string): Promise<string> {
  await h.deliver();
  const mails = h.mailer.to(email).filter((m) => m.text.includes('/confirm-delete?token='));
  const mail = mails.at(-1);
  if (!mail) throw new Error(`no deletion email for ${email}`);
  const link = mail.text.match(/\S+\/confirm-delete\?token=\S+/)?.[0];
  if (!link) throw new Error(`no link in: ${mail.text}`);
  return link;
}

function tokenOf(link: string): string {
  const token = new URL(link).searchParams.get('token');
  if (!token) throw new Error(`no token in ${link}`);
  return token;
}

async function requestDeletionToken(user: TestUser): Promise<string> {
  const res = await h.post('/api/v1/users/delete', { name: 'Nikunja', email: 'xnikunja@gmail.com', picture: 'dsafsd' }, user.token);
  expect(res.statusCode).toBe(200);
  return tokenOf(await deletionLink(user.email));
}

describe('GET /api/users/details and /api/v1/users/me', () => {
  it('returns the signed-in parent with its children, and no password or hash anywhere', async () => {
    const parent = await h.registerUser({ name: 'Ada Lovelace', phone: '+44 20 7946 0000' });
    const c1 = await h.createChild(parent, { name: 'Byron Child', permissions: ['create_posts', 'view_analytics'] });
    const c2 = await h.createChild(parent, { name: 'Second Child' });

    for (const path of ['/api/users/details', '/api/v1/users/me']) {
      const res = await h.get(path, parent.token);
      expect(res.statusCode, path).toBe(200);
      const body = res.json();
      expect(body.status).toBe(true);
      expect(typeof body.message).toBe('string');
      expect(body.data.user).toMatchObject({
        id: parent.id,
        email: parent.email,
        name: 'Ada Lovelace',
        first_name: 'Ada',
        last_name: 'Lovelace',
        phone: '+44 20 7946 0000',
        role: 'parent',
        status: 'active',
        parent_id: null,
        permissions: [],
      });
      expect(new Date(body.data.user.created_at).toString()).not.toBe('Invalid Date');
      expect(body.data.user).toHaveProperty('updated_at');
      const children = body.data.children as { id: string; role: string; parent_id: string; permissions: string[] }[];
      expect(children.map((c) => c.id).sort()).toEqual([c1.id, c2.id].sort());
      for (const c of children) expect(c).toMatchObject({ role: 'child', parent_id: parent.id });
      expect(children.find((c) => c.id === c1.id)!.permissions).toEqual(['create_posts', 'view_analytics']);

      expectNoSecrets(res.body);
      expect(res.body).not.toContain('$argon2');
      expect(res.body).not.toContain(parent.password);
      expect(res.body).not.toContain('child password 1');
    }
  });

  it('gives a child its own record (role child, parent_id, permissions) and an empty children list', async () => {
    const parent = await h.registerUser();
    const child = await h.createChild(parent, { permissions: ['schedule_posts'] });
    const res = await h.get('/api/users/details', child.token);
    expect(res.statusCode).toBe(200);
    expect(res.json().data.user).toMatchObject({ id: child.id, role: 'child', parent_id: parent.id, permissions: ['schedule_posts'] });
    expect(res.json().data.children).toEqual([]);
  });

  it('answers 401 without a token or with a forged one', async () => {
    for (const path of ['/api/users/details', '/api/v1/users/me']) {
      const none = await h.get(path);
      expect(none.statusCode, path).toBe(401);
      expect(none.json()).toMatchObject({ status: false, code: 'UNAUTHENTICATED' });
      expect((await h.get(path, 'not.a.jwt')).statusCode, path).toBe(401);
    }
  });
});

describe('GET /api/profile', () => {
  it('returns the profile as a top-level `profile` with the documented message, at both paths', async () => {
    const user = await h.registerUser({ name: 'Garfield Shenko', phone: '1234567890' });
    for (const path of ['/api/profile', '/api/v1/profile']) {
      const res = await h.get(path, user.token);
      expect(res.statusCode, path).toBe(200);
      const body = res.json();
      expect(body).toMatchObject({
        status: true,
        message: 'Profile fetched successfully',
        profile: {
          id: user.id,
          name: 'Garfield Shenko',
          email: user.email,
          phone: '1234567890',
          first_name: 'Garfield',
          last_name: 'Shenko',
        },
      });
      expectNoSecrets(res.body);
    }
  });

  it('answers 401 without a token', async () => {
    expect((await h.get('/api/profile')).statusCode).toBe(401);
    expect((await h.get('/api/v1/profile')).statusCode).toBe(401);
  });
});

describe('PUT /api/profile', () => {
  it('updates name, email and phone, answers with the new profile, and GET shows it', async () => {
    const user = await h.registerUser({ name: 'Old Name' });
    const email = uniqueEmail('new');
    const res = await h.put('/api/profile', { name: 'Grace Brewster Hopper', email, phone: '5550001111' }, user.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      status: true,
      message: 'Profile updated successfully',
      profile: {
        id: user.id,
        name: 'Grace Brewster Hopper',
        first_name: 'Grace',
        last_name: 'Brewster Hopper',
        email,
        phone: '5550001111',
      },
    });
    const got = await h.get('/api/profile', user.token);
    expect(got.json().profile).toMatchObject({
      name: 'Grace Brewster Hopper',
      first_name: 'Grace',
      last_name: 'Brewster Hopper',
      email,
      phone: '5550001111',
    });
  });

  it('recomputes name from first_name and last_name, at the canonical path too', async () => {
    const user = await h.registerUser({ name: 'Ada Lovelace' });
    const res = await h.put('/api/v1/profile', { first_name: 'Augusta', last_name: 'King' }, user.token);
    expect(res.statusCode).toBe(200);
    expect(res.json().profile).toMatchObject({ name: 'Augusta King', first_name: 'Augusta', last_name: 'King' });

    const onlyLast = await h.put('/api/profile', { last_name: 'Byron' }, user.token);
    expect(onlyLast.statusCode).toBe(200);
    expect(onlyLast.json().profile).toMatchObject({ name: 'Augusta Byron', first_name: 'Augusta', last_name: 'Byron' });
    expect((await h.get('/api/users/details', user.token)).json().data.user).toMatchObject({
      name: 'Augusta Byron',
      first_name: 'Augusta',
      last_name: 'Byron',
    });
  });

  it('stores the email lowercased', async () => {
    const user = await h.registerUser();
    const res = await h.put('/api/profile', { email: 'Mixed.Case@Example.COM' }, user.token);
    expect(res.statusCode).toBe(200);
    expect(res.json().profile.email).toBe('mixed.case@example.com');
    expect((await h.get('/api/profile', user.token)).json().profile.email).toBe('mixed.case@example.com');
    expect((await userLogin(h, 'mixed.case@example.com', user.password)).statusCode).toBe(200);
  });

  it("refuses another account's email, in any case, with 409 'Email already in use' and changes nothing", async () => {
    const other = await h.registerUser();
    const user = await h.registerUser({ name: 'Keep Me' });
    for (const email of [other.email, other.email.toUpperCase()]) {
      const res = await h.put('/api/profile', { email, name: 'Changed' }, user.token);
      expect(res.statusCode, email).toBe(409);
      expect(res.json()).toMatchObject({ status: false, message: 'Email already in use', code: 'CONFLICT' });
    }
    expect((await h.get('/api/profile', user.token)).json().profile).toMatchObject({ email: user.email, name: 'Keep Me' });
  });

  it("refuses a child user's email too (children share the email namespace)", async () => {
    const parent = await h.registerUser();
    const child = await h.createChild(parent);
    const user = await h.registerUser();
    const res = await h.put('/api/profile', { email: child.email }, user.token);
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toBe('Email already in use');
  });

  it("answers an empty body with 422 'One or more required fields missing'", async () => {
    const user = await h.registerUser();
    const res = await h.put('/api/profile', {}, user.token);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: false, message: 'One or more required fields missing', code: 'VALIDATION_FAILED' });
  });

  it('answers an invalid email with 422 naming email', async () => {
    const user = await h.registerUser();
    const res = await h.put('/api/profile', { email: 'not-an-email' }, user.token);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
    expect(fieldsOf(res)).toContain('email');
    expect((await h.get('/api/profile', user.token)).json().profile.email).toBe(user.email);
  });

  it('ignores role, status, permissions and parent_id: only the name changes', async () => {
    const other = await h.registerUser();
    const user = await h.registerUser({ name: 'Before' });
    const res = await h.put(
      '/api/profile',
      { role: 'child', status: 'deactivated', permissions: ['manage_billing'], parent_id: other.id, name: 'X' },
      user.token,
    );
    expect(res.statusCode).toBe(200);
    const me = (await h.get('/api/users/details', user.token)).json().data.user;
    expect(me).toMatchObject({ name: 'X', role: 'parent', status: 'active', permissions: [], parent_id: null });
    // the other account did not gain a child either
    expect((await h.get('/api/users/details', other.token)).json().data.children).toEqual([]);
    const { rows } = await h.db.query<{ role: string; status: string; parent_id: string | null; permissions: string[] }>(
      'select role, status, parent_id, permissions from users where id = $1',
      [user.id],
    );
    expect(rows[0]).toEqual({ role: 'parent', status: 'active', parent_id: null, permissions: [] });
  });

  it('lets a user re-submit their own email (any case) and keep logging in with it', async () => {
    const user = await h.registerUser();
    const res = await h.put('/api/profile', { email: user.email.toUpperCase(), name: 'Same Email' }, user.token);
    expect(res.statusCode).toBe(200);
    expect(res.json().profile.email).toBe(user.email);
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(200);
  });

  it('after an email change, logs in with the new email and no longer with the old one', async () => {
    const user = await h.registerUser();
    const email = uniqueEmail('moved');
    expect((await h.put('/api/profile', { email }, user.token)).statusCode).toBe(200);
    const ok = await userLogin(h, email, user.password);
    expect(ok.statusCode).toBe(200);
    expect(ok.json().data.user.id).toBe(user.id);
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(401);
    // the old email is free for someone else now
    expect((await h.post('/api/v1/auth/register', { name: 'New Owner', email: user.email, password: 'another password' })).statusCode).toBe(
      201,
    );
  });

  it('answers 401 without a token', async () => {
    expect((await h.put('/api/profile', { name: 'Nobody' })).statusCode).toBe(401);
  });
});

describe('DELETE /api/profile', () => {
  it("deletes the account: 'Profile deleted successfully', then its token and its password stop working", async () => {
    const user = await h.registerUser();
    const res = await h.delete('/api/profile', user.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: true, message: 'Profile deleted successfully' });
    expect((await h.get('/api/profile', user.token)).statusCode).toBe(401);
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(401);
    expect(await countUsers('id = $1', [user.id])).toBe(0);
    await h.deliver();
    expect(h.mailer.last(user.email)?.subject).toMatch(/deleted/i);
  });

  it("deletes a parent's children with it", async () => {
    const parent = await h.registerUser();
    const child = await h.createChild(parent);
    expect((await h.get('/api/profile', child.token)).statusCode).toBe(200);
    expect((await h.delete('/api/v1/profile', parent.token)).statusCode).toBe(200);
    expect((await h.get('/api/profile', child.token)).statusCode).toBe(401);
    expect((await userLogin(h, child.email, child.password)).statusCode).toBe(401);
    expect(await countUsers('parent_id = $1 or id = $2', [parent.id, child.id])).toBe(0);
  });

  it('deleting a child leaves its parent and siblings alone', async () => {
    const parent = await h.registerUser();
    const a = await h.createChild(parent);
    const b = await h.createChild(parent);
    expect((await h.delete('/api/profile', a.token)).statusCode).toBe(200);
    expect((await h.get('/api/profile', parent.token)).statusCode).toBe(200);
    expect((await h.get('/api/profile', b.token)).statusCode).toBe(200);
    const children = (await h.get('/api/users/details', parent.token)).json().data.children as { id: string }[];
    expect(children.map((c) => c.id)).toEqual([b.id]);
  });

  it('frees the email for a new registration', async () => {
    const user = await h.registerUser();
    expect((await h.delete('/api/profile', user.token)).statusCode).toBe(200);
    const again = await h.post('/api/v1/auth/register', { name: 'Comeback', email: user.email, password: 'a new password' });
    expect(again.statusCode).toBe(201);
    expect(again.json().data.user.id).not.toBe(user.id);
  });

  it('answers 401 without a token', async () => {
    expect((await h.delete('/api/profile')).statusCode).toBe(401);
  });
});

describe('account deletion by email confirmation', () => {
  it('refuses a deletion request without a token with 401, and sends nothing', async () => {
    const res = await h.post('/api/v1/users/delete', { name: 'Nikunja', email: 'xnikunja@gmail.com', picture: 'dsafsd' });
    expect(res.statusCode).toBe(401);
    await h.deliver();
    expect(h.mailer.sent).toHaveLength(0);
  });

  it("emails the signed-in user (not the body's email) an APP_URL/confirm-delete link, and deletes nothing yet", async () => {
    const user = await h.registerUser();
    const res = await h.post('/api/v1/users/delete', { name: 'Nikunja', email: 'xnikunja@gmail.com', picture: 'dsafsd' }, user.token);
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe(true);
    const link = await deletionLink(user.email);
    expect(link.startsWith(`${h.config.appUrl}/confirm-delete?token=`)).toBe(true);
    // the literal APP_URL the harness sets, so a wrong or missing base would show here
    expect(link.startsWith('https://app.example.test/confirm-delete?token=')).toBe(true);
    expect(tokenOf(link).length).toBeGreaterThanOrEqual(32);
    expect(h.mailer.to('xnikunja@gmail.com')).toHaveLength(0);
    // nothing happens until the link is used
    expect((await h.get('/api/profile', user.token)).statusCode).toBe(200);
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(200);
  });

  it('stores only a hash of the link token', async () => {
    const user = await h.registerUser();
    const token = await requestDeletionToken(user);
    const { rows } = await h.db.query<{ token_hash: string }>('select token_hash from user_tokens');
    expect(rows).toHaveLength(1);
    expect(rows[0]!.token_hash).not.toBe(token);
    expect(rows[0]!.token_hash).not.toContain(token);
  });

  it('confirming deletes the account and its children, revokes their tokens and logins, and emails a goodbye', async () => {
    const parent = await h.registerUser();
    const child = await h.createChild(parent);
    const token = await requestDeletionToken(parent);
    const res = await h.post('/api/users/confirm-delete', { token });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe(true);

    expect((await h.get('/api/profile', parent.token)).statusCode).toBe(401);
    expect((await userLogin(h, parent.email, parent.password)).statusCode).toBe(401);
    expect((await h.get('/api/profile', child.token)).statusCode).toBe(401);
    expect((await userLogin(h, child.email, child.password)).statusCode).toBe(401);
    expect(await countUsers('id = $1 or id = $2', [parent.id, child.id])).toBe(0);

    const { rows } = await h.db.query<{ kind: string }>('select kind from email_outbox where to_address = $1 order by id', [parent.email]);
    expect(rows.map((r) => r.kind)).toContain('account_deleted');
    await h.deliver();
    expect(h.mailer.last(parent.email)?.subject).toMatch(/deleted/i);
  });

  it('confirms at the canonical /api/v1/users/confirm-delete too', async () => {
    const user = await h.registerUser();
    const token = await requestDeletionToken(user);
    const res = await h.post('/api/v1/users/confirm-delete', { token });
    expect(res.statusCode).toBe(200);
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(401);
  });

  it('a link works once: the same token again is 400 INVALID_TOKEN', async () => {
    const user = await h.registerUser();
    const token = await requestDeletionToken(user);
    expect((await h.post('/api/users/confirm-delete', { token })).statusCode).toBe(200);
    // the email is free again; a new account under it must not be deletable by the old link
    const again = await h.registerUser({ email: user.email });
    const res = await h.post('/api/users/confirm-delete', { token });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: false, code: 'INVALID_TOKEN' });
    expect((await h.get('/api/profile', again.token)).statusCode).toBe(200);
  });

  it('refuses a garbage token with 400 and a missing token with 422', async () => {
    const user = await h.registerUser();
    await requestDeletionToken(user);
    const garbage = await h.post('/api/users/confirm-delete', { token: 'eyJhbGciOiJIUzI1NiJ9.garbage.sig' });
    expect(garbage.statusCode).toBe(400);
    expect(garbage.json()).toMatchObject({ status: false, code: 'INVALID_TOKEN' });
    const missing = await h.post('/api/users/confirm-delete', {});
    expect(missing.statusCode).toBe(422);
    expect(fieldsOf(missing)).toContain('token');
    expect((await h.get('/api/profile', user.token)).statusCode).toBe(200);
  });

  it('refuses a link older than an hour with 400 and keeps the account', async () => {
    const user = await h.registerUser();
    const token = await requestDeletionToken(user);
    h.clock.advance(61 * 60 * 1000);
    const res = await h.post('/api/users/confirm-delete', { token });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ status: false, code: 'INVALID_TOKEN' });
    expect(await countUsers('id = $1', [user.id])).toBe(1);
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(200);
  });

  it('a link still works just before the hour is up', async () => {
    const user = await h.registerUser();
    const token = await requestDeletionToken(user);
    h.clock.advance(HOUR - 60_000);
    expect((await h.post('/api/users/confirm-delete', { token })).statusCode).toBe(200);
    expect(await countUsers('id = $1', [user.id])).toBe(0);
  });

  it('a second request replaces the first link', async () => {
    const user = await h.registerUser();
    const first = await requestDeletionToken(user);
    const second = await requestDeletionToken(user);
    expect(second).not.toBe(first);
    const old = await h.post('/api/users/confirm-delete', { token: first });
    expect(old.statusCode).toBe(400);
    expect(old.json().code).toBe('INVALID_TOKEN');
    expect(await countUsers('id = $1', [user.id])).toBe(1);
    expect((await h.post('/api/users/confirm-delete', { token: second })).statusCode).toBe(200);
    expect(await countUsers('id = $1', [user.id])).toBe(0);
  });

  it("one user's link never deletes another user", async () => {
    const a = await h.registerUser();
    const b = await h.registerUser();
    const tokenA = await requestDeletionToken(a);
    await requestDeletionToken(b);
    expect((await h.post('/api/users/confirm-delete', { token: tokenA })).statusCode).toBe(200);
    expect(await countUsers('id = $1', [a.id])).toBe(0);
    expect((await h.get('/api/profile', b.token)).statusCode).toBe(200);
  });
});
