/**
 * The API reference at /docs in Debian's Chromium against the real service (issue 14, "a calm
 * first run"): it renders the operations from /openapi.json, and the page sends nothing to a third
 * party: every request it makes goes to the service's own host (no fonts from a CDN, no
 * telemetry, no upload of the API document), and none of the vendor's hosted-service controls
 * (Ask AI, Generate MCP or SDKs, Deploy, Share, its hosted API client) is offered. Served from
 * 127.0.0.1, where Scalar shows its developer toolbar unless told not to.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserAvailable, launch, type Service, shot, startService, watchConsole } from './world.js';

const enabled = browserAvailable();
let service: Service;
let browser: Browser;
let page: Page;
let problems: string[];
const requested: string[] = [];

beforeAll(async () => {
  if (!enabled) return;
  service = await startService();
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  problems = watchConsole(page);
  page.on('request', (request) => requested.push(request.url()));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await service?.stop();
});

describe.runIf(enabled)('the API reference (/docs) in Chromium', () => {
  it('renders the operations and every request it makes goes to the service itself', async () => {
    await page.goto(`${service.base}/docs`);
    await page.getByRole('heading', { name: 'SocioX Accounts API' }).waitFor({ timeout: 30_000 });
    // an operation's title, from the OpenAPI document, once its group is opened in the sidebar
    await page.getByText('auth', { exact: true }).first().click();
    await page.getByText('Log in with a password and an email or a phone number').first().waitFor();
    // what the rendered page loads (fonts come last), then a moment for anything late
    await page.evaluate(() => document.fonts.ready.then(() => undefined));
    await page.waitForTimeout(1_000);
    await shot(page, 'docs-01-reference');

    const own = new URL(service.base);
    const web = requested.filter((url) => /^(https?|wss?):/.test(url));
    expect(web.length, requested.join('\n')).toBeGreaterThan(0);
    expect(
      web.filter((url) => new URL(url).host !== own.host),
      'requests that left the host',
    ).toEqual([]);
    // nothing else either (a data: or blob: URL is the page's own)
    expect(requested.filter((url) => !/^(https?|wss?|data|blob):/.test(url))).toEqual([]);
    expect(web.map((url) => new URL(url).pathname)).toEqual(expect.arrayContaining(['/docs/', '/docs/js/scalar.js', '/openapi.json']));
    expect(problems).toEqual([]);
  });

  it('offers none of the vendor’s hosted-service controls', async () => {
    // Scalar's developer toolbar (Share, Generate SDKs, Configure) and its hosted client's button
    for (const name of [
      /ask ai/i,
      /\bmcp\b/i,
      /deploy/i,
      /generate/i,
      /\bshare\b/i,
      /configure/i,
      /open api client/i,
      /developer tools/i,
    ]) {
      const visible = await page.getByRole('button', { name }).or(page.getByRole('link', { name })).filter({ visible: true }).count();
      expect(visible, `a visible control named ${name}`).toBe(0);
      expect(await page.getByText(name).filter({ visible: true }).count(), `visible text ${name}`).toBe(0);
    }
  });
});
