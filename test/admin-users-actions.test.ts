import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  adminUserHelpers,
  expectNoSecrets,
  ids,
  LIST,
  MINUTE,
  NEW_PASSWORD,
  RESET,
  RESET_CANONICAL,
  SEED_BODY,
  SEND_LINK,
  SEND_LINK_CANONICAL,
  UNKNOWN_ID,
} from './helpers/admin-users.js';
import { adminWith, fieldsOf, userLogin } from './helpers/fixtures.js';
import { Harness, type Response, uniqueEmail } from './helpers/harness.js';

/**
 * Admin user management (issue 3, "Admin user management"): deactivate / reactivate, delete, and
 * the admin-sent password-reset link, at every documented spelling and at the canonical routes;
 * and nothing an admin is shown carries a password.
 */

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

const { me } = adminUserHelpers(() => h);

/** Delivers the outbox and returns every reset link emailed to `email`, oldest first. */
async function resetLinks(email: string): Promise<string[]> {
  await h.deliver();
  return h.mailer
    .to(email)
    .map((m) => m.text.match(/\S+\/reset-password\?token=\S+/)?.[0])
    .filter((l): l is string => !!l);
}

function tokenOf(link: string): string {
  const token = new URL(link).searchParams.get('token');
  if (!token) throw new Error(`no token in ${link}`);
  return token;
}

/** An admin sends the user a reset link; returns the token from the delivered email. */
async function sendLink(admin: string, email: string, path = SEND_LINK): Promise<string> {
  const res = await h.post(path, { email }, admin);
  expect(res.statusCode, res.body).toBe(200);
  const link = (await resetLinks(email)).at(-1);
  if (!link) throw new Error(`no reset link emailed to ${email}`);
  return tokenOf(link);
}

describe('deactivate and reactivate', () => {
  const deactivations: [string, (id: string) => string][] = [
    ['GET', (id) => `/api/admin/users/${id}/deactivate`],
    ['POST', (id) => `/api/admin/users/${id}/deactivate`],
    ['POST', (id) => `/api/v1/admin/users/${id}/deactivate`],
  ];
  const reactivations: [string, (id: string) => string][] = [
    ['GET', (id) => `/api/admin/users/${id}/reactivate`],
    ['POST', (id) => `/api/admin/users/${id}/reactivate`],
    ['POST', (id) => `/api/v1/admin/users/${id}/reactivate`],
  ];

  for (const [method, path] of deactivations) {
    it(`${method} ${path(':userId')}: 200 deactivated, the existing token is refused at once, login → 403 ACCOUNT_DEACTIVATED`, async () => {
      // view_user_details too: the answer carries the whole user only with it (test/account-abuse.test.ts)
      const admin = (await adminWith(h, ['manage_users', 'view_user_details'])).token;
      const user = await h.registerUser();
      expect(await me(user.token)).toBe(200);

      const res = await h.request(method, path(user.id), { token: admin, body: method === 'GET' ? undefined : SEED_BODY });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ status: true, data: { id: user.id, email: user.email, status: 'deactivated' } });
      expectNoSecrets(res);

      // the very next request with the token the user already held
      const next = await h.get('/api/v1/users/me', user.token);
      expect(next.statusCode).toBe(401);
      expect(next.json()).toMatchObject({ status: false, code: 'UNAUTHENTICATED' });

      const denied = await userLogin(h, user.email, user.password);
      expect(denied.statusCode).toBe(403);
      expect(denied.json()).toMatchObject({ status: false, code: 'ACCOUNT_DEACTIVATED' });
      expect(denied.json().message).toMatch(/deactivated/i);
      expect(denied.json().token).toBeUndefined();
    });
  }

  for (const [method, path] of reactivations) {
    it(`${method} ${path(':userId')}: 200 active, login works again, the pre-deactivation token stays revoked`, async () => {
      const admin = (await adminWith(h, ['manage_users'])).token;
      const user = await h.registerUser();
      expect((await h.post(`/api/v1/admin/users/${user.id}/deactivate`, undefined, admin)).statusCode).toBe(200);

      const res = await h.request(method, path(user.id), { token: admin, body: method === 'GET' ? undefined : SEED_BODY });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ status: true, data: { id: user.id, status: 'active' } });
      expectNoSecrets(res);

      const again = await userLogin(h, user.email, user.password);
      expect(again.statusCode).toBe(200);
      expect(await me(again.json().token)).toBe(200);
      expect(await me(user.token)).toBe(401);
    });
  }

  it('the user directory and details show the status', async () => {
    const admin = (await adminWith(h, ['manage_users', 'view_user_details'])).token;
    const user = await h.registerUser();
    await h.get(`/api/admin/users/${user.id}/deactivate`, admin);
    expect((await h.get(`/api/admin/users/${user.id}/details`, admin)).json().data.user.status).toBe('deactivated');
    await h.get(`/api/admin/users/${user.id}/reactivate`, admin);
    expect((await h.get(`/api/admin/users/${user.id}/details`, admin)).json().data.user.status).toBe('active');
  });

  it('unknown user → 404 "User not found"; malformed id → 404', async () => {
    const admin = (await adminWith(h, ['manage_users'])).token;
    for (const [method, path] of [...deactivations, ...reactivations]) {
      for (const id of [UNKNOWN_ID, 'not-a-uuid']) {
        const res = await h.request(method, path(id), { token: admin });
        expect(res.statusCode, `${method} ${path(id)}`).toBe(404);
        expect(res.json()).toMatchObject({ status: false, code: 'NOT_FOUND', message: 'User not found' });
      }
    }
  });

  it('an admin with only view_user_details gets 403, and the user stays active', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    const user = await h.registerUser();
    for (const [method, path] of [...deactivations, ...reactivations]) {
      const res = await h.request(method, path(user.id), { token: admin });
      expect(res.statusCode, `${method} ${path(user.id)}`).toBe(403);
      expect(res.json()).toMatchObject({ status: false, code: 'FORBIDDEN' });
    }
    expect(await me(user.token)).toBe(200);
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(200);
  });
});

describe('DELETE /api/admin/users/{userId} and DELETE /api/v1/admin/users/{userId}', () => {
  for (const path of ['/api/admin/users/', '/api/v1/admin/users/']) {
    it(`${path}{userId}: 200, the user and its children are gone, tokens → 401, login fails`, async () => {
      const admin = (await adminWith(h, ['manage_users', 'view_user_details'])).token;
      const parent = await h.registerUser();
      const child = await h.createChild(parent);
      const bystander = await h.registerUser();

      const res = await h.delete(`${path}${parent.id}`, admin, SEED_BODY);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ status: true });
      expectNoSecrets(res);

      expect(await me(parent.token)).toBe(401);
      expect(await me(child.token)).toBe(401);
      expect((await userLogin(h, parent.email, parent.password)).statusCode).toBe(401);
      expect((await userLogin(h, child.email, child.password)).statusCode).toBe(401);
      expect((await h.get(`/api/admin/users/${parent.id}/details`, admin)).statusCode).toBe(404);
      expect((await h.get(`/api/admin/users/${child.id}/details`, admin)).statusCode).toBe(404);
      const { rows } = await h.db.query<{ id: string }>('select id from users where id = any($1::uuid[])', [[parent.id, child.id]]);
      expect(rows).toEqual([]);

      // nobody else is touched
      expect(await me(bystander.token)).toBe(200);
      expect(ids(await h.get(LIST, admin))).toEqual([bystander.id]);

      // a second delete finds nothing
      const second = await h.delete(`${path}${parent.id}`, admin);
      expect(second.statusCode).toBe(404);
      expect(second.json()).toMatchObject({ status: false, code: 'NOT_FOUND', message: 'User not found' });
    });
  }

  it('unknown → 404 "User not found"; malformed id → 404, never 500', async () => {
    const admin = (await adminWith(h, ['manage_users'])).token;
    for (const path of ['/api/admin/users/', '/api/v1/admin/users/']) {
      for (const id of [UNKNOWN_ID, 'not-a-uuid']) {
        const res = await h.delete(`${path}${id}`, admin);
        expect(res.statusCode, `${path}${id}`).toBe(404);
        expect(res.json()).toMatchObject({ status: false, code: 'NOT_FOUND', message: 'User not found' });
      }
    }
  });

  it('deleting a child leaves its parent', async () => {
    const admin = (await adminWith(h, ['manage_users'])).token;
    const parent = await h.registerUser();
    const child = await h.createChild(parent);
    expect((await h.delete(`/api/admin/users/${child.id}`, admin)).statusCode).toBe(200);
    expect(await me(child.token)).toBe(401);
    expect(await me(parent.token)).toBe(200);
  });

  it('an admin with only view_user_details gets 403 and the user survives', async () => {
    const admin = (await adminWith(h, ['view_user_details'])).token;
    const user = await h.registerUser();
    const res = await h.delete(`/api/admin/users/${user.id}`, admin);
    expect(res.statusCode).toBe(403);
    expect(await me(user.token)).toBe(200);
  });
});

describe('the admin-sent password reset link', () => {
  for (const path of [SEND_LINK, SEND_LINK_CANONICAL]) {
    it(`POST ${path}: 200, emails APP_URL/reset-password?token=…, and the token is in no response`, async () => {
      const admin = (await adminWith(h, ['manage_users'])).token;
      const user = await h.registerUser();
      const res = await h.post(path, { email: user.email.toUpperCase() }, admin);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ status: true });
      expect(res.json().data?.token).toBeUndefined();
      expectNoSecrets(res);

      const links = await resetLinks(user.email);
      expect(links).toHaveLength(1);
      const link = links[0]!;
      expect(link.startsWith(`${h.config.appUrl}/reset-password?token=`)).toBe(true);
      // the literal APP_URL the harness sets, so a wrong or missing base would show here
      expect(link.startsWith('https://app.example.test/reset-password?token=')).toBe(true);
      const token = tokenOf(link);
      expect(token.length).toBeGreaterThanOrEqual(32);
      expect(res.body).not.toContain(token);
      expect(res.body).not.toContain(encodeURIComponent(token));

      // stored hashed: the table never holds the token itself
      const { rows } = await h.db.query<{ token_hash: string }>(
        "select token_hash from user_tokens where user_id = $1 and purpose = 'password_reset_link'",
        [user.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]!.token_hash).not.toBe(token);
      expect(rows[0]!.token_hash).not.toContain(token);
    });
  }

  it('unknown email → 404; invalid or missing email → 422; without manage_users → 403', async () => {
    const admin = (await adminWith(h, ['manage_users'])).token;
    const unknown = await h.post(SEND_LINK, { email: uniqueEmail('nobody') }, admin);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ status: false, code: 'NOT_FOUND' });

    for (const body of [{ email: 'not-an-email' }, {}]) {
      for (const path of [SEND_LINK, SEND_LINK_CANONICAL]) {
        const res = await h.post(path, body, admin);
        expect(res.statusCode, `${path} ${JSON.stringify(body)}`).toBe(422);
        expect(res.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
        expect(fieldsOf(res)).toContain('email');
      }
    }
    await h.deliver();
    expect(h.mailer.sent).toHaveLength(0);

    const viewer = (await adminWith(h, ['view_user_details'])).token;
    const user = await h.registerUser();
    expect((await h.post(SEND_LINK, { email: user.email }, viewer)).statusCode).toBe(403);
    expect(await resetLinks(user.email)).toEqual([]);
  });

  for (const [sendPath, resetPath] of [
    [SEND_LINK, RESET],
    [SEND_LINK_CANONICAL, RESET_CANONICAL],
  ] as const) {
    it(`POST ${resetPath} without a bearer token: new password works, old fails, old tokens → 401, a notice is emailed`, async () => {
      const admin = (await adminWith(h, ['manage_users'])).token;
      const user = await h.registerUser();
      const before = (await userLogin(h, user.email, user.password)).json().token as string;
      const token = await sendLink(admin, user.email, sendPath);
      h.mailer.clear();

      const res = await h.post(resetPath, { token, newPassword: NEW_PASSWORD });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ status: true });
      expectNoSecrets(res);

      expect((await userLogin(h, user.email, NEW_PASSWORD)).statusCode).toBe(200);
      const old = await userLogin(h, user.email, user.password);
      expect(old.statusCode).toBe(401);
      expect(await me(user.token)).toBe(401);
      expect(await me(before)).toBe(401);

      await h.deliver();
      const notices = h.mailer.to(user.email);
      expect(notices).toHaveLength(1);
      expect(`${notices[0]!.subject}\n${notices[0]!.text}`).toMatch(/password was changed/i);
      expect(notices[0]!.text).not.toContain(NEW_PASSWORD);

      // single use
      const again = await h.post(resetPath, { token, newPassword: 'yet another password' });
      expect(again.statusCode).toBe(400);
      expect(again.json()).toMatchObject({ status: false, code: 'INVALID_TOKEN' });
      expect((await userLogin(h, user.email, NEW_PASSWORD)).statusCode).toBe(200);
      expect((await userLogin(h, user.email, 'yet another password')).statusCode).toBe(401);
    });
  }

  it('works up to the hour, and is refused after 61 minutes with the password unchanged', async () => {
    const admin = (await adminWith(h, ['manage_users'])).token;
    const early = await h.registerUser();
    const late = await h.registerUser();
    const earlyToken = await sendLink(admin, early.email);
    const lateToken = await sendLink(admin, late.email);

    h.clock.advance(59 * MINUTE);
    expect((await h.post(RESET, { token: earlyToken, newPassword: NEW_PASSWORD })).statusCode).toBe(200);

    h.clock.advance(2 * MINUTE);
    const expired = await h.post(RESET, { token: lateToken, newPassword: NEW_PASSWORD });
    expect(expired.statusCode).toBe(400);
    expect(expired.json()).toMatchObject({ status: false, code: 'INVALID_TOKEN' });
    expect((await userLogin(h, late.email, late.password)).statusCode).toBe(200);
    expect((await userLogin(h, late.email, NEW_PASSWORD)).statusCode).toBe(401);
  });

  it('a newer link replaces the older one', async () => {
    const admin = (await adminWith(h, ['manage_users'])).token;
    const user = await h.registerUser();
    const older = await sendLink(admin, user.email);
    const newer = await sendLink(admin, user.email);
    expect(newer).not.toBe(older);
    expect(await resetLinks(user.email)).toHaveLength(2);

    const stale = await h.post(RESET, { token: older, newPassword: NEW_PASSWORD });
    expect(stale.statusCode).toBe(400);
    expect(stale.json()).toMatchObject({ status: false, code: 'INVALID_TOKEN' });
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(200);

    expect((await h.post(RESET, { token: newer, newPassword: NEW_PASSWORD })).statusCode).toBe(200);
    expect((await userLogin(h, user.email, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it('a short newPassword → 422 and the token still works; a garbage token → 400', async () => {
    const admin = (await adminWith(h, ['manage_users'])).token;
    const user = await h.registerUser();
    const token = await sendLink(admin, user.email);

    for (const path of [RESET, RESET_CANONICAL]) {
      const short = await h.post(path, { token, newPassword: '1234567' });
      expect(short.statusCode, path).toBe(422);
      expect(short.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
      expect(fieldsOf(short)).toContain('newPassword');

      const seedExample = await h.post(path, { token, newPassword: '123456' });
      expect(seedExample.statusCode, path).toBe(422);

      const garbage = await h.post(path, { token: 'garbage-token', newPassword: NEW_PASSWORD });
      expect(garbage.statusCode, path).toBe(400);
      expect(garbage.json()).toMatchObject({ status: false, code: 'INVALID_TOKEN' });

      // a JWT-looking token like the seed's example is no reset token either
      const jwtLike = await h.post(path, { token: user.token, newPassword: NEW_PASSWORD });
      expect(jwtLike.statusCode, path).toBe(400);
    }
    expect((await userLogin(h, user.email, user.password)).statusCode).toBe(200);

    // the rejected attempts did not consume the link
    expect((await h.post(RESET, { token, newPassword: NEW_PASSWORD })).statusCode).toBe(200);
    expect((await userLogin(h, user.email, NEW_PASSWORD)).statusCode).toBe(200);
  });

  it("a deleted user's link no longer works", async () => {
    const admin = (await adminWith(h, ['manage_users'])).token;
    const user = await h.registerUser();
    const token = await sendLink(admin, user.email);
    expect((await h.delete(`/api/admin/users/${user.id}`, admin)).statusCode).toBe(200);
    const res = await h.post(RESET, { token, newPassword: NEW_PASSWORD });
    expect(res.statusCode).toBe(400);
  });
});

describe('an admin never sees a password', () => {
  it('no response of the user-management endpoints contains password_hash or $argon2', async () => {
    const admin = (await adminWith(h, ['manage_users', 'view_user_details'])).token;
    const parent = await h.registerUser();
    const child = await h.createChild(parent);
    const other = await h.registerUser();

    const responses: Response[] = [
      await h.get(LIST, admin),
      await h.get(`${LIST}?search=${encodeURIComponent(parent.email)}`, admin),
      await h.get(`${LIST}?limit=1`, admin),
      await h.get(`/api/admin/users/${parent.id}/details`, admin),
      await h.get(`/api/v1/admin/users/${child.id}`, admin),
      await h.get(`/api/admin/users/${other.id}/deactivate`, admin),
      await h.post(`/api/v1/admin/users/${other.id}/reactivate`, undefined, admin),
      await h.post(SEND_LINK, { email: parent.email }, admin),
      await h.delete(`/api/admin/users/${other.id}`, admin),
    ];
    const token = tokenOf((await resetLinks(parent.email)).at(-1)!);
    responses.push(await h.post(RESET, { token, newPassword: NEW_PASSWORD }));

    for (const res of responses) {
      expect(res.statusCode, res.body).toBe(200);
      expectNoSecrets(res);
      expect(res.body).not.toContain(parent.password);
      expect(res.body).not.toContain(NEW_PASSWORD);
    }
  });
});
