/**
 * Control and bidirectional characters in text people type and other people read (issue 8):
 * names, organisation names and descriptions, plan names and labels. Fails without the
 * SingleLine / MultiLine / Name schemas of src/http/schemas.ts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { countRows, createPlan, fieldsOf, rootToken } from './helpers/fixtures.js';
import { Harness, type Response } from './helpers/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await Harness.create();
});
afterAll(() => h.close());
beforeEach(() => h.reset());

function expectInvalid(res: Response): void {
  expect(res.statusCode, res.body).toBe(422);
  expect(res.json()).toMatchObject({ status: false, code: 'VALIDATION_FAILED' });
}

describe('control and bidirectional characters in text', () => {
  const CONTROL = 'must not contain control or bidirectional-override characters';
  const VISIBLE = 'must contain a visible character';
  const unsafe: [string, string][] = [
    ['an ANSI escape', 'Eve\u001b[31m red'],
    ['a BEL', 'Eve\u0007'],
    ['a TAB', 'Eve\tAdams'],
    ['a CR', 'Eve\rAdams'],
    ['an LF', 'Eve\nAdams'],
    ['CR LF', 'Eve\r\nSubject: forged'],
    ['a DEL', 'Eve\u007f'],
    ['a C1 NEL', 'Eve\u0085Adams'],
    ['a C1 CSI', 'Eve\u009b31m'],
    ['a right-to-left override', 'Eve\u202Etxt.exe'],
    ['a left-to-right embedding', 'Eve\u202A'],
    ['an isolate', 'Eve\u2066x\u2069'],
    ['a right-to-left mark', 'Eve\u200F'],
    ['a line separator', 'Eve\u2028Adams'],
    ['a paragraph separator', 'Eve\u2029Adams'],
  ];
  const invisible: [string, string][] = [
    ['a zero-width space', '\u200B'],
    ['zero-width characters', '\u200B\u200C\u200D\u2060\uFEFF'],
    ['spaces and a zero-width space', ' \u200B '],
  ];

  function expectRefused(res: Response, field: string, message: string): void {
    expectInvalid(res);
    expect(fieldsOf(res)).toContain(field);
    expect(res.json().message).toBe(`${field} ${message}`);
  }

  it.each(unsafe)('refuses %s in a name at register, storing nothing', async (_label, name) => {
    const res = await h.post('/api/v1/auth/register', { name, email: 'eve@example.com', password: 'correct horse battery' });
    expectRefused(res, 'name', CONTROL);
    expect(await countRows(h, 'users')).toBe(0);
  });

  it.each(unsafe)('refuses %s in first_name at profile update', async (_label, first_name) => {
    const user = await h.registerUser();
    expectRefused(await h.put('/api/profile', { first_name }, user.token), 'first_name', CONTROL);
    expect((await h.get('/api/profile', user.token)).json().profile.first_name).toBe('Test');
  });

  it.each(invisible)('refuses a name of only %s at register, profile, organisation, plan and admin', async (_label, name) => {
    expectRefused(
      await h.post('/api/v1/auth/register', { name, email: 'zw@example.com', password: 'correct horse battery' }),
      'name',
      VISIBLE,
    );
    const user = await h.registerUser();
    expectRefused(await h.put('/api/profile', { first_name: name }, user.token), 'first_name', VISIBLE);
    expectRefused(await h.put('/api/profile', { last_name: name }, user.token), 'last_name', VISIBLE);
    expectRefused(await h.post('/api/organisation', { name }, user.token), 'name', VISIBLE);
    const root = await rootToken(h);
    expectRefused(await h.post('/api/admin/subscription/plans', { name, price: {} }, root), 'name', VISIBLE);
    expectRefused(await h.post('/api/subscription', { name, price: 5 }, root), 'name', VISIBLE);
    expectRefused(
      await h.post('/api/v1/admin/create-admin', { name, email: 'staff@example.com', password: 'staff password 1', permissions: [] }, root),
      'name',
      VISIBLE,
    );
    expect(await countRows(h, 'organisations')).toBe(0);
    expect(await countRows(h, 'plans')).toBe(0);
  });

  it('refuses an organisation name with CR/LF and a description with an ANSI escape; a description may have lines', async () => {
    const user = await h.registerUser();
    expectRefused(await h.post('/api/organisation', { name: 'Golf\r\nYou have been removed' }, user.token), 'name', CONTROL);
    const ansi = await h.post('/api/organisation', { name: 'Golf', description: 'green \u001b[31mred' }, user.token);
    expectInvalid(ansi);
    expect(fieldsOf(ansi)).toEqual(['description']);
    expect(await countRows(h, 'organisations')).toBe(0);
    // a seed's blank-name message is kept
    expect((await h.post('/api/organisation', { name: '  ' }, user.token)).json().message).toBe(
      'Name is required to create an organisation',
    );

    const description = 'Line one\nLine two\r\n\tindented';
    const ok = await h.post('/api/organisation', { name: 'Golf lovers', description }, user.token);
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().data.description).toBe(description);
    const id = ok.json().data.id as string;
    expectRefused(await h.patch(`/api/v1/organisations/${id}`, { name: 'Golf\nlovers' }, user.token), 'name', CONTROL);
    const loneCr = await h.patch(`/api/v1/organisations/${id}`, { description: 'a\rb' }, user.token);
    expectInvalid(loneCr);
    expect(fieldsOf(loneCr)).toEqual(['description']);
  });

  it('refuses a plan name with U+202E, and control characters in display name, category and custom features', async () => {
    const root = await rootToken(h);
    expectRefused(await h.post('/api/admin/subscription/plans', { name: 'Pro\u202Eexe.txt', price: {} }, root), 'name', CONTROL);
    expectRefused(await h.post('/api/subscription', { name: 'Pro\u202E', price: 5 }, root), 'name', CONTROL);
    expectRefused(
      await h.post('/api/admin/subscription/plans', { name: 'Pro', displayName: 'Pro\n', price: {} }, root),
      'displayName',
      CONTROL,
    );
    expectRefused(
      await h.post('/api/admin/subscription/plans', { name: 'Pro', category: 'a\u0085b', price: {} }, root),
      'category',
      CONTROL,
    );
    const custom = await h.post('/api/admin/subscription/plans', { name: 'Pro', customFeatures: ['ok', 'bad\u001b[2J'], price: {} }, root);
    expectInvalid(custom);
    expect(fieldsOf(custom)).toEqual(['customFeatures.1']);
    expect(await countRows(h, 'plans')).toBe(0);
    const plan = await createPlan(h, root);
    expectRefused(await h.patch(`/api/subscription/${plan.id}`, { name: 'x\u2028y' }, root), 'name', CONTROL);
  });

  it('refuses an ANSI escape in a cancellation reason; lines are fine', async () => {
    const root = await rootToken(h);
    const plan = await createPlan(h, root);
    const user = await h.registerUser();
    expect((await h.post('/api/v1/users/subscribe', { planId: plan.id }, user.token)).statusCode).toBe(200);
    const bad = await h.post('/api/v1/users/cancel-subscription', { reason: 'too \u001b[5mexpensive' }, user.token);
    expectInvalid(bad);
    expect(fieldsOf(bad)).toEqual(['reason']);
    const ok = await h.post('/api/v1/users/cancel-subscription', { reason: 'Too expensive.\nMaybe later.' }, user.token);
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('refuses control characters in an admin name', async () => {
    const root = await rootToken(h);
    const res = await h.post(
      '/api/v1/admin/create-admin',
      { name: 'Mallory\u001b]0;pwned\u0007', email: 'staff@example.com', password: 'staff password 1', permissions: [] },
      root,
    );
    expectRefused(res, 'name', CONTROL);
  });

  it("accepts ordinary unicode names: accents, CJK, Cyrillic, Arabic, emoji, O'Brien, Jean-Luc", async () => {
    const names = [
      'Zoë Ångström',
      'José Núñez',
      '王小明',
      '山田 太郎',
      'Ольга Петрова',
      'محمد علي',
      'Dana 🙂',
      '👨‍👩‍👧 Family',
      "Seán O'Brien",
      'Jean-Luc Picard',
      'Ⅻ  spaced  out',
    ];
    for (const name of names) {
      const res = await h.post('/api/v1/auth/register', {
        name,
        email: `u${names.indexOf(name)}@example.com`,
        password: 'correct horse battery',
      });
      expect(res.statusCode, `${name}: ${res.body}`).toBe(201);
      expect(res.json().data.user.name).toBe(name);
    }
    const user = await h.registerUser();
    const profile = await h.put('/api/profile', { first_name: 'Zoë', last_name: '' }, user.token);
    expect(profile.statusCode, profile.body).toBe(200);
    const org = await h.post('/api/organisation', { name: '東京 Golf ⛳', description: 'Ünïcödé — “quoted”' }, user.token);
    expect(org.statusCode, org.body).toBe(201);
    const root = await rootToken(h);
    await createPlan(h, root, { name: 'Prémium 高级', displayName: 'Prémium ✨', customFeatures: ['Priorität-Support'] });
  });
});
