/**
 * `npm start`'s Node flags and environment (package.json) are read in one place,
 * scripts/start-command.mjs, by the bench and the cluster; the systemd unit keeps its own copy (a
 * config file an operator edits), so this checks the copy is the same.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startCommand } from '../scripts/start-command.mjs';

const unit = readFileSync(join(import.meta.dirname, '..', 'deploy', 'sociox.service'), 'utf8');

describe('npm start and deploy/sociox.service', () => {
  it('npm start runs node with the memory flags README names', () => {
    const { nodeFlags, env } = startCommand();
    expect(nodeFlags).toEqual(['--max-semi-space-size=2', '--no-allocation-site-pretenuring']);
    expect(env).toEqual({ MALLOC_MMAP_THRESHOLD_: '1048576' });
  });

  it('the unit starts node with the same flags and environment', () => {
    const { nodeFlags, env } = startCommand();
    const execStart = /^ExecStart=(\S+) (.*)$/m.exec(unit);
    expect(execStart?.[1]).toMatch(/\/node$/);
    const words = execStart![2]!.split(/\s+/);
    expect(words.filter((w) => w.startsWith('--'))).toEqual(nodeFlags);
    expect(words.at(-1)).toBe('dist/main.js');
    for (const [name, value] of Object.entries(env)) expect(unit).toMatch(new RegExp(`^Environment=${name}=${value}$`, 'm'));
  });
});
