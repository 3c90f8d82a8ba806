import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMigrations } from '../src/db/migrate.js';
import { baseEnv, freshDir, processCleanup, ROOT } from './helpers/process.js';

/**
 * `npm run migrate` and `npm run db:status` (src/cli/migrate.ts, run here through tsx as
 * process-superadmin.test.ts runs its command) on a new DATA_DIR: for deployments that migrate
 * before rolling out, and scripts that ask whether they must.
 */

processCleanup();

function run(dataDir: string, ...args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'migrate.ts'), ...args], {
    cwd: ROOT,
    env: { ...baseEnv(), DATA_DIR: dataDir, NODE_ENV: 'development' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  const output = `\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}\n--- error ---\n${String(result.error ?? '')}`;
  return { code: result.status, stdout: result.stdout, output };
}

describe('the migration commands (src/cli/migrate.ts)', () => {
  it('db:status lists every migration pending (exit 1), migrate applies them, then status says none pending (exit 0) and migrate applies nothing', () => {
    const versions = readMigrations().map((m) => m.version);
    expect(versions.length).toBeGreaterThan(10);
    const dataDir = freshDir();

    const before = run(dataDir, '--status');
    expect(before.code, before.output).toBe(1);
    for (const v of versions) expect(before.stdout, before.output).toMatch(new RegExp(`^\\s*pending\\s+${v}$`, 'm'));
    expect(before.stdout).not.toMatch(/^\s*applied\s/m);
    expect(before.stdout).toContain(`0 applied, ${versions.length} pending`);

    const migrated = run(dataDir);
    expect(migrated.code, migrated.output).toBe(0);
    expect(migrated.stdout.match(/^applied \S+$/gm)).toEqual(versions.map((v) => `applied ${v}`));
    expect(migrated.stdout).toContain(`Applied ${versions.length} migrations`);

    const after = run(dataDir, '--status');
    expect(after.code, after.output).toBe(0);
    for (const v of versions) expect(after.stdout, after.output).toMatch(new RegExp(`^\\s*applied\\s+${v}\\s+\\d{4}-\\d\\d-\\d\\dT`, 'm'));
    expect(after.stdout).not.toMatch(/^\s*pending\s/m);
    expect(after.stdout).toContain(`${versions.length} applied, none pending`);

    const again = run(dataDir);
    expect(again.code, again.output).toBe(0);
    expect(again.stdout).not.toMatch(/^applied /m);
    expect(again.stdout).toContain('Nothing to apply');
  }, 180_000);

  it('a configuration the service would refuse is exit code 2, for both', () => {
    const dataDir = freshDir();
    for (const args of [[], ['--status']]) {
      const result = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'cli', 'migrate.ts'), ...args], {
        cwd: ROOT,
        env: { ...baseEnv(), DATA_DIR: dataDir, NODE_ENV: 'development', DATABASE_URL: 'mysql://nope' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(result.status, result.stderr).toBe(2);
      expect(result.stderr).toContain('DATABASE_URL');
    }
  }, 120_000);
});
