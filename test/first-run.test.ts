import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBanner, startFields } from '../src/first-run.js';
import { describeOutput, freePort, freshDir, migratedDataDir, processCleanup, start, stop, waitHealthy } from './helpers/process.js';

/**
 * A calm first run (issue 14): once listening, `npm start` says where the API, its reference and
 * the admin console (when built) are, and how to make the first superadmin when there is none: a
 * few lines on a terminal (src/first-run.ts), one JSON line with the same fields otherwise.
 */

processCleanup();

const address = { address: '0.0.0.0', family: 'IPv4', port: 5000 };

describe('what the service says once it listens', () => {
  it('on a terminal: the API, its reference, the console and how to make the first superadmin', () => {
    const built = freshDir();
    mkdirSync(built, { recursive: true });
    writeFileSync(join(built, 'index.html'), '<!doctype html>');
    const text = startBanner({ address, consoleDir: built, noSuperadmin: true, metrics: null });
    expect(text).toContain('http://localhost:5000/api/v1');
    expect(text).toContain('http://localhost:5000/docs');
    expect(text).toContain('http://localhost:5000/admin/');
    expect(text).toContain('SUPERADMIN_EMAIL and SUPERADMIN_PASSWORD');
    expect(text).toContain('npm run create-superadmin -- --email');
    expect(text).not.toContain('Metrics');

    const calm = startBanner({ address, consoleDir: freshDir(), noSuperadmin: false, metrics: 'public' });
    expect(calm).toMatch(/Admin console\s+not built \(run `npm run build`/);
    expect(calm).not.toContain('superadmin');
    expect(calm).toContain('http://localhost:5000/metrics (Authorization: Bearer $METRICS_TOKEN)');
    expect(
      startFields({ address: { address: '::1', family: 'IPv6', port: 81 }, consoleDir: built, noSuperadmin: null, metrics: null }),
    ).toEqual({
      api: 'http://[::1]:81/api/v1',
      docs: 'http://[::1]:81/docs',
      console: 'http://[::1]:81/admin/',
      metrics: null,
      noSuperadmin: false,
    });
  });

  it('the service process logs the same as one JSON line when its output is not a terminal', async () => {
    const port = await freePort();
    const proc = start({ DATA_DIR: await migratedDataDir(), PORT: String(port), NODE_ENV: 'development', LOG_LEVEL: 'info' });
    await waitHealthy(proc, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + 10_000;
    while (!proc.stdout().includes('"msg":"listening"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const line = proc
      .stdout()
      .split('\n')
      .find((l) => l.includes('"msg":"listening"'));
    expect(line, describeOutput(proc)).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({
      api: `http://localhost:${port}/api/v1`,
      docs: `http://localhost:${port}/docs`,
      noSuperadmin: true,
      metrics: null,
    });
    expect(await stop(proc), describeOutput(proc)).toEqual({ code: 0, signal: null });
  }, 120_000);
});
