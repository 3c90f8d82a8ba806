/**
 * The admin console in Debian's Chromium against the real service (issue 13's "done means"): a
 * superadmin signs in, sees the dashboard's charts drawn from seeded data, creates a plan, finds a
 * user by search and deactivates them (the user's token then fails), sees the audit row, creates
 * an admin with only view_user_details who then sees no deactivate button; an ended session goes
 * back to sign-in with a clear message; no CSP violation anywhere; 360 px wide works. Every page
 * is photographed into artifacts/screenshots/.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, browserAvailable, launch, ROOT_ADMIN, type Service, shot, startService, watchConsole } from './world.js';

const enabled = browserAvailable();
let service: Service;
let browser: Browser;
let page: Page;
let problems: string[];
let rootToken: string;
const users: { id: string; email: string; token: string }[] = [];
const VIEWER = { email: 'viewer@console.test', password: 'Viewer-Passw0rd!', name: 'Vera Viewer' };

const plan = (name: string, monthly: number, yearly: number, currency: string) => ({
  name,
  displayName: `${name} plan`,
  price: { monthly: { amount: monthly, currency }, yearly: { amount: yearly, currency } },
  features: { teamMembers: 5 },
  category: 'business',
});

beforeAll(async () => {
  if (!enabled) return;
  service = await startService();
  const b = service.base;
  rootToken = (await api(b, 'POST', '/api/v1/admin/login', ROOT_ADMIN)).body.token;
  const basic = (await api(b, 'POST', '/api/v1/admin/plans', plan('Basic', 10, 100, 'USD'), rootToken)).body.data;
  const pro = (await api(b, 'POST', '/api/v1/admin/plans', plan('Pro', 24, 240, 'EUR'), rootToken)).body.data;
  for (let i = 1; i <= 5; i++) {
    const email = `customer${i}@console.test`;
    const r = await api(b, 'POST', '/api/v1/auth/register', { name: `Customer ${i}`, email, password: 'customer password 1' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    users.push({ id: r.body.data.user.id, email, token: r.body.token });
  }
  // two on Basic monthly, one on Pro yearly: MRR 20 USD and 20 EUR
  for (const [u, planId, billingCycle] of [
    [users[0]!, basic.id, 'monthly'],
    [users[1]!, basic.id, 'monthly'],
    [users[2]!, pro.id, 'yearly'],
  ] as const) {
    const r = await api(b, 'POST', '/api/v1/users/subscribe', { planId, billingCycle }, u.token);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  }
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  problems = watchConsole(page);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

async function signIn(email: string, password: string): Promise<void> {
  await page.goto(`${service.base}/admin/`);
  await page.getByRole('heading', { name: 'SocioX admin console' }).waitFor();
  // the keyboard alone: type, Tab, type, Enter
  await page.getByLabel('Email').focus();
  await page.keyboard.type(email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
}

async function go(link: string, heading: string): Promise<void> {
  await page.getByRole('navigation').getByRole('link', { name: link, exact: true }).click();
  await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
}

/** The text of the data table under one dashboard figure. */
async function figureData(caption: string): Promise<string> {
  const figure = page.locator('figure', { has: page.locator('figcaption', { hasText: caption }) });
  await figure.locator('summary', { hasText: 'Show data' }).click();
  // one line per row, cells separated by " | "
  return figure
    .locator('table')
    .evaluate((t) => [...(t as HTMLTableElement).rows].map((r) => [...r.cells].map((c) => c.textContent?.trim()).join(' | ')).join('\n'));
}

async function toast(): Promise<string> {
  const status = page.getByRole('status').filter({ hasNotText: /^\s*$/ }).first();
  await status.waitFor();
  return (await status.textContent()) ?? '';
}

describe.runIf(enabled)('the admin console in Chromium', () => {
  it('a superadmin signs in with the keyboard and sees the dashboard drawn from the seeded data', async () => {
    await signIn(ROOT_ADMIN.email, ROOT_ADMIN.password);
    for (const caption of [
      'Sign-ups per day (30 days)',
      'Accounts by status',
      'Live subscriptions by plan',
      'Monthly recurring revenue',
      'Renewals and expiries (next 7 days)',
    ]) {
      const figure = page.locator('figure', { has: page.locator('figcaption', { hasText: caption }) });
      const canvas = figure.locator('canvas').first();
      await canvas.waitFor();
      // the chart drew something: some pixel of its canvas is not transparent
      await page.waitForFunction(
        (el) => {
          const c = el as HTMLCanvasElement;
          const ctx = c.getContext('2d');
          if (!ctx || c.width === 0) return false;
          const { data } = ctx.getImageData(0, 0, c.width, c.height);
          for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) return true;
          return false;
        },
        await canvas.elementHandle(),
        { timeout: 10_000 },
      );
    }
    await shot(page, '01-dashboard');
    expect(await figureData('Live subscriptions by plan')).toMatch(/^Basic \|.*\| 2$/m);
    const mrr = await figureData('Monthly recurring revenue');
    expect(mrr).toMatch(/^USD \|.*\b20(\.00)?\b/m);
    expect(mrr).toMatch(/^EUR \|.*\b20(\.00)?\b/m);
    expect(await figureData('Accounts by status')).toMatch(/^active \| 5$/im);
  });

  it('creates a plan; a features field that is not JSON is refused before anything is sent', async () => {
    await go('Plans', 'Plans');
    await page.getByRole('button', { name: 'New plan' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Team');
    await page.getByLabel('Display name').fill('Team plan');
    await page.getByLabel('Monthly price').fill('49');
    await page.getByLabel('Yearly price').fill('490');
    await page.getByLabel('Currency').fill('USD');
    await page.getByLabel('Category').fill('business');
    await page.getByLabel('Features (JSON)').fill('{"teamMembers": 10');
    await page.getByRole('button', { name: 'Save plan' }).click();
    await page.getByText(/JSON/).first().waitFor();
    expect((await api(service.base, 'GET', '/api/v1/admin/plans', undefined, rootToken)).body.data).toHaveLength(2);
    await page.getByLabel('Features (JSON)').fill('{"teamMembers": 10}');
    await page.getByRole('button', { name: 'Save plan' }).click();
    expect(await toast()).toMatch(/plan/i);
    const plans = (await api(service.base, 'GET', '/api/v1/admin/plans', undefined, rootToken)).body.data;
    expect(plans.find((p: any) => p.name === 'Team')).toMatchObject({ displayName: 'Team plan', features: { teamMembers: 10 } });
    await go('Plans', 'Plans');
    await page.getByRole('cell', { name: 'Team', exact: true }).waitFor();
    await shot(page, '02-plans');
  });

  it('finds a user by search and deactivates them after a confirmation naming them; their token then fails', async () => {
    const target = users[3]!;
    expect((await api(service.base, 'GET', '/api/v1/users/me', undefined, target.token)).status).toBe(200);
    await go('Users', 'Users');
    await page.getByLabel('Search users').fill('customer4');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: target.email }).click();
    await page
      .getByRole('heading', { level: 1 })
      .filter({ hasText: /Customer 4|customer4/ })
      .waitFor();
    await shot(page, '03-user');
    await page.getByRole('button', { name: 'Deactivate' }).click();
    const dialog = page.getByRole('dialog');
    expect(await dialog.textContent()).toContain(target.email);
    await dialog.getByRole('button', { name: 'Confirm' }).click();
    await toast();
    await page.getByRole('button', { name: 'Reactivate' }).waitFor();
    const after = await api(service.base, 'GET', '/api/v1/users/me', undefined, target.token);
    expect(after.status).toBeGreaterThanOrEqual(401);
    expect(after.status).toBeLessThanOrEqual(403);
    await go('Users', 'Users');
    await shot(page, '04-users');
  });

  it('the audit log shows the deactivation, linked to the user', async () => {
    await go('Audit log', 'Audit log');
    const row = page
      .getByRole('row')
      .filter({ hasText: /deactivate/i })
      .first();
    await row.waitFor();
    const link = row.getByRole('link').first();
    expect(await link.getAttribute('href')).toContain(users[3]!.id);
    // the date filter is the API's: from tomorrow, nothing; from today to today, the row again
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('From').fill(day(1));
    await page.getByRole('button', { name: 'Filter' }).click();
    await page
      .getByRole('row')
      .filter({ hasText: /deactivate/i })
      .first()
      .waitFor({ state: 'detached' });
    await page.getByLabel('From').fill(day(0));
    await page.getByLabel('To').fill(day(0));
    await page.getByRole('button', { name: 'Filter' }).click();
    await page
      .getByRole('row')
      .filter({ hasText: /deactivate/i })
      .first()
      .waitFor();
    await shot(page, '05-audit-log');
  });

  it('creates an admin with only view_user_details, who sees no deactivate button, no Admins page, no analytics', async () => {
    await go('Admins', 'Admins');
    await page.getByLabel('Email', { exact: true }).fill(VIEWER.email);
    await page.getByLabel('Name', { exact: true }).fill(VIEWER.name);
    await page.getByLabel('Password', { exact: true }).fill(VIEWER.password);
    await page.getByLabel('view_user_details', { exact: true }).check();
    await page.getByRole('button', { name: 'Create admin' }).click();
    await toast();
    await page.getByRole('cell', { name: VIEWER.email }).waitFor();
    await shot(page, '06-admins');
    const made = (await api(service.base, 'GET', '/api/v1/admin/admins', undefined, rootToken)).body.data.find(
      (a: any) => a.email === VIEWER.email,
    );
    expect(made.permissions).toEqual(['view_user_details']);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await signIn(VIEWER.email, VIEWER.password);
    await page.getByText('You do not have permission to view analytics.').waitFor();
    expect(await page.getByRole('navigation').getByRole('link', { name: 'Admins', exact: true }).count()).toBe(0);
    await go('Users', 'Users');
    await page.getByLabel('Search users').fill('customer1');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: users[0]!.email }).click();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    for (const name of ['Deactivate', 'Reactivate', 'Delete', 'Send reset link', 'Cancel subscription']) {
      expect(await page.getByRole('button', { name, exact: true }).count(), name).toBe(0);
    }
    await shot(page, '07-user-read-only');
  });

  it('works 360 px wide: no sideways scrolling of the page', async () => {
    await page.setViewportSize({ width: 360, height: 740 });
    await go('Users', 'Users');
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await shot(page, '08-users-360px');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('an ended session goes back to sign-in with a clear message', async () => {
    // the console's token, ended behind its back (sign-out elsewhere)
    const token = await page.evaluate(() => {
      for (let i = 0; i < sessionStorage.length; i++) {
        const v = sessionStorage.getItem(sessionStorage.key(i)!) ?? '';
        const m = v.match(/eyJ[\w-]+\.[\w-]+\.[\w-]+/);
        if (m) return m[0];
      }
      return null;
    });
    expect(token, 'the token is kept in sessionStorage').toBeTruthy();
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect((await api(service.base, 'POST', '/api/v1/admin/logout', {}, token!)).status).toBe(200);
    await page.getByRole('navigation').getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'Your session has expired. Please sign in again.' }).waitFor();
    await page.getByLabel('Email').waitFor();
    await shot(page, '09-session-expired');
  });

  it('no page broke its CSP or threw', () => {
    expect(problems).toEqual([]);
  });
});
