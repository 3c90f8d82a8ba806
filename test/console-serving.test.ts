/**
 * The admin console's files served at /admin (src/http/console.ts): what is cached and for how long,
 * gzip, the console's own CSP, 404s in the envelope, and a service whose console is not built.
 * A small build is written to a temporary CONSOLE_DIR; the real build is driven in test/browser/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_HEADERS, CONSOLE_CSP } from '../src/http/security-headers.js';
import { Harness } from './helpers/harness.js';

const dir = mkdtempSync(join(tmpdir(), 'sociox-console-'));
const empty = mkdtempSync(join(tmpdir(), 'sociox-console-none-'));
const INDEX = '<!doctype html><html><head><script type="module" src="/admin/assets/index-Ab12Cd34.js"></script></head><body></body></html>';
const SCRIPT = `export const big = ${JSON.stringify('console '.repeat(400))};\n`;
mkdirSync(join(dir, 'assets'));
writeFileSync(join(dir, 'index.html'), INDEX);
writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
writeFileSync(join(dir, 'assets', 'index-Ab12Cd34.js'), SCRIPT);
writeFileSync(join(dir, 'assets', 'index-Ef56Gh78.css'), 'body{margin:0}');

let h: Harness;
let bare: Harness;
beforeAll(async () => {
  h = await Harness.create({ env: { CONSOLE_DIR: dir } });
  bare = await Harness.create({ env: { CONSOLE_DIR: empty } });
});
afterAll(async () => {
  await h?.close();
  await bare?.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(empty, { recursive: true, force: true });
});

describe('the admin console at /admin', () => {
  it('/admin and /admin/ answer index.html, never cached stale (no-cache), with the console CSP', async () => {
    for (const url of ['/admin', '/admin/', '/admin/?from=mail']) {
      const res = await h.get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toBe(INDEX);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
    // exactly its own origin: no inline script or style, no other origin, framed by nobody
    expect(CONSOLE_CSP).toContain("script-src 'self';");
    expect(CONSOLE_CSP).toContain("style-src 'self';");
    expect(CONSOLE_CSP).toContain("connect-src 'self';");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
  });

  it('hashed assets are cached for a year (immutable), gzipped for a client that accepts it', async () => {
    const plain = await h.get('/admin/assets/index-Ab12Cd34.js');
    expect(plain.statusCode).toBe(200);
    expect(plain.body).toBe(SCRIPT);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toBe('accept-encoding');

    const gz = await h.app.inject({ method: 'GET', url: '/admin/assets/index-Ab12Cd34.js', headers: { 'accept-encoding': 'br, gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.rawPayload.length).toBeLessThan(SCRIPT.length / 4);
    expect(gunzipSync(gz.rawPayload).toString('utf8')).toBe(SCRIPT);

    const css = await h.get('/admin/assets/index-Ef56Gh78.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    // a file of the build's root is not hashed: asked again each time
    const icon = await h.get('/admin/favicon.svg');
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('anything else under /admin is a 404 in the envelope, outside files included', async () => {
    for (const url of [
      '/admin/users',
      '/admin/assets/nope.js',
      '/admin/assets/../../package.json',
      '/admin/%2e%2e/package.json',
      '/admin/..%2f..%2fpackage.json',
      '/administrator',
    ]) {
      const res = await h.get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ status: false, code: 'NOT_FOUND' });
      expect(res.body, url).not.toContain('"name": "sociox-accounts"');
    }
    const post = await h.post('/admin', {});
    expect(post.statusCode).toBe(404);
  });

  it('the API keeps its strict headers (an /api/v1/admin route is not the console)', async () => {
    const res = await h.get('/api/v1/admin/users');
    expect(res.statusCode).toBe(401);
    for (const [name, value] of Object.entries(API_HEADERS)) expect(res.headers[name], name).toBe(value);
  });

  it('a service whose console is not built says how to build it; the API still works', async () => {
    const res = await bare.get('/admin');
    expect(res.statusCode).toBe(404);
    expect(res.json().message).toMatch(/not built.*npm run build/);
    expect((await bare.get('/healthz')).statusCode).toBe(200);
  });
});
