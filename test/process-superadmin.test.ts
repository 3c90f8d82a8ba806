import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  baseEnv,
  describeOutput,
  freePort,
  migratedDataDir,
  post,
  processCleanup,
  ROOT,
  start,
  stop,
  waitHealthy,
} from './helpers/process.js';

/**
 * The first superadmin of a real process (src/main.ts, through tsx): created from
 * SUPERADMIN_EMAIL/SUPERADMIN_PASSWORD at start-up once, or beforehand by `npm run create-superadmin`.
 */

processCleanup();

describe('the service process (src/main.ts)', () => {
  it('creates the first superadmin from SUPERADMIN_EMAIL/SUPERADMIN_PASSWORD once, and keeps it across a restart', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      DATA_DIR: await migratedDataDir(),
      PORT: String(port),
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      SUPERADMIN_EMAIL: 'ops@example.com',
      SUPERADMIN_PASSWORD: 'ops password 123',
    };
    const credentials = { email: 'ops@example.com', password: 'ops password 123' };

    const first = start(env);
    await waitHealthy(first, base);
    const login = await post(base, '/api/v1/admin/login', credentials);
    expect(login.status, JSON.stringify(login.body) + describeOutput(first)).toBe(200);
    expect(login.body.data.admin.role).toBe('superadmin');
    expect(login.body.data.admin.email).toBe('ops@example.com');
    expect(login.body.token).toEqual(expect.any(String));
    expect(first.stdout()).toContain('created the first superadmin');
    const wrong = await post(base, '/api/v1/admin/login', { ...credentials, password: 'not the password' });
    expect(wrong.status).toBe(401);
    expect(await stop(first), describeOutput(first)).toEqual({ code: 0, signal: null });

    const second = start(env);
    await waitHealthy(second, base);
    const again = await post(base, '/api/v1/admin/login', credentials);
    expect(again.status, JSON.stringify(again.body) + describeOutput(second)).toBe(200);
    expect(again.body.data.admin.role).toBe('superadmin');
    expect(second.stdout()).toContain('database ready');
    expect(second.stdout()).not.toContain('created the first superadmin');
    expect(await stop(second), describeOutput(second)).toEqual({ code: 0, signal: null });
  }, 180_000);

  it('npm run create-superadmin creates a superadmin the service then accepts', async () => {
    // on a new DATA_DIR the command creates the database too: admins-superadmin.test.ts runs it so
    const dataDir = await migratedDataDir();
    const cli = spawnSync('npm', ['run', 'create-superadmin', '--', '--email', 'cli@example.com', '--password', 'cli password 123'], {
      cwd: ROOT,
      env: { ...baseEnv(), DATA_DIR: dataDir, NODE_ENV: 'development' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const cliOutput = `\n--- stdout ---\n${cli.stdout}\n--- stderr ---\n${cli.stderr}\n--- error ---\n${String(cli.error ?? '')}`;
    expect(cli.status, cliOutput).toBe(0);
    expect(cli.stdout, cliOutput).toContain('Created superadmin cli@example.com');

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const proc = start({ DATA_DIR: dataDir, PORT: String(port), NODE_ENV: 'development', LOG_LEVEL: 'info' });
    await waitHealthy(proc, base);
    const login = await post(base, '/api/v1/admin/login', { email: 'cli@example.com', password: 'cli password 123' });
    expect(login.status, JSON.stringify(login.body) + describeOutput(proc)).toBe(200);
    expect(login.body.data.admin.role).toBe('superadmin');
    expect(login.body.data.admin.email).toBe('cli@example.com');
    expect(await stop(proc), describeOutput(proc)).toEqual({ code: 0, signal: null });
  }, 180_000);
});
