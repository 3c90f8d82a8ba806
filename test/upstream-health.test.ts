import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHealthChecker, upstreamServers, withMarks } from '../deploy/upstream-health.mjs';
import { freePort } from './helpers/process.js';

/**
 * deploy/upstream-health.mjs: active health checks on /readyz for open-source nginx (issue 14). The
 * marks in the configuration file, the fall/rise rules, "never every server", and the command line
 * against real HTTP servers. With nginx itself it runs in the cluster suite (test/cluster/).
 */

const CONF = `upstream sociox {
    # a comment
    server 127.0.0.1:5001 max_fails=1 fail_timeout=2s;
    server 127.0.0.1:5002 max_fails=1 fail_timeout=2s;
    server 127.0.0.1:5003 max_fails=1 fail_timeout=2s down; # in maintenance
}

upstream other {
    server 127.0.0.1:6001;
}
`;

/** A /readyz that answers what `status` says now. */
async function instance(): Promise<{ address: string; status: number; close(): Promise<void> }> {
  const self = { address: '', status: 200, close: async () => {} };
  const server: Server = createServer((req, res) => {
    res.writeHead(req.url === '/readyz' ? self.status : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: self.status === 200, message: self.status === 200 ? 'ready' : 'shutting down' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  self.address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  self.close = () => new Promise((resolve) => server.close(() => resolve()));
  return self;
}

const servers: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  for (const s of servers) await s.close();
});

describe('the nginx file', () => {
  it('lists the servers of the named upstream, telling hand-made `down` from its own marks', () => {
    expect(upstreamServers(CONF)).toEqual([
      { address: '127.0.0.1:5001', manual: false, marked: false, reason: null },
      { address: '127.0.0.1:5002', manual: false, marked: false, reason: null },
      { address: '127.0.0.1:5003', manual: true, marked: false, reason: null },
    ]);
    expect(upstreamServers(CONF, 'other').map((s) => s.address)).toEqual(['127.0.0.1:6001']);
    expect(() => upstreamServers(CONF, 'missing')).toThrow(/no `upstream missing/);
  });

  it('marks a server down with why, removes only its own marks, and leaves the rest of the file as it was', () => {
    const marked = withMarks(CONF, new Map([['127.0.0.1:5002', '/readyz 503 shutting down\nsecond line']]));
    expect(marked).toContain(
      '    server 127.0.0.1:5002 max_fails=1 fail_timeout=2s down; # upstream-health: /readyz 503 shutting down second line\n',
    );
    expect(marked).toContain('    server 127.0.0.1:5001 max_fails=1 fail_timeout=2s;\n');
    expect(upstreamServers(marked).find((s) => s.address === '127.0.0.1:5002')).toMatchObject({ marked: true, manual: false });
    // the same marks again change nothing; no marks give back the file it started from
    expect(withMarks(marked, new Map([['127.0.0.1:5002', '/readyz 503 shutting down\nsecond line']]))).toBe(marked);
    expect(withMarks(marked, new Map())).toBe(CONF);
    // a server someone marked down by hand stays as they wrote it, whatever the checks say
    expect(withMarks(CONF, new Map([['127.0.0.1:5003', 'x']]))).toBe(CONF);
    // another upstream with the same address is not touched
    expect(withMarks(CONF, new Map([['127.0.0.1:6001', 'x']]), 'sociox')).toBe(CONF);
  });
});

describe('the checks', () => {
  it('marks a server down after `fall` failures and back after `rise` passes; a refused connection is a failure', async () => {
    const a = await instance();
    const b = await instance();
    servers.push(a, b);
    const gone = `127.0.0.1:${await freePort()}`;
    const applied: Array<Record<string, string>> = [];
    const changes: string[] = [];
    const checker = createHealthChecker({
      servers: [a.address, b.address, gone],
      apply: (down) => void applied.push(Object.fromEntries(down)),
      fall: 2,
      rise: 2,
      onChange: (c) => changes.push(`${c.address} ${c.up ? 'up' : 'down'}: ${c.reason}`),
    });
    b.status = 503;
    await checker.pass();
    expect(applied.at(-1)).toEqual({}); // one failure is not enough
    await checker.pass();
    expect(applied.at(-1)).toEqual({ [b.address]: '/readyz 503 shutting down', [gone]: '/readyz ECONNREFUSED' });
    b.status = 200;
    await checker.pass();
    expect(Object.keys(applied.at(-1)!)).toEqual([b.address, gone]); // one pass is not enough
    await checker.pass();
    expect(applied.at(-1)).toEqual({ [gone]: '/readyz ECONNREFUSED' });
    expect(changes).toEqual([
      `${b.address} down: /readyz 503 shutting down`,
      `${gone} down: /readyz ECONNREFUSED`,
      `${b.address} up: 2 checks passed`,
    ]);
  });

  it('never marks every server down: when all fail (the database is away) all stay in the rotation, and it says so', async () => {
    const a = await instance();
    const b = await instance();
    servers.push(a, b);
    const applied: Array<Record<string, string>> = [];
    const notes: string[] = [];
    const checker = createHealthChecker({
      servers: [a.address, b.address],
      apply: (down) => void applied.push(Object.fromEntries(down)),
      fall: 1,
      rise: 1,
      log: (m) => notes.push(m),
    });
    a.status = 503;
    await checker.pass();
    expect(applied.at(-1)).toEqual({ [a.address]: '/readyz 503 shutting down' });
    b.status = 503;
    await checker.pass();
    expect(applied.at(-1)).toEqual({});
    expect(notes).toEqual(['every server fails its check: all left in the rotation (their own 503 answers the clients)']);
    a.status = 200;
    await checker.pass();
    expect(applied.at(-1)).toEqual({ [b.address]: '/readyz 503 shutting down' });
    expect(notes.at(-1)).toBe('not every server fails its check any more');
  });
});

describe('node deploy/upstream-health.mjs', () => {
  it('rewrites the file and runs the reload command when a server goes down and when it comes back', async () => {
    const a = await instance();
    const b = await instance();
    servers.push(a, b);
    const dir = mkdtempSync(join(tmpdir(), 'upstream-health-'));
    try {
      const conf = join(dir, 'sociox.conf');
      const reloads = join(dir, 'reloads');
      writeFileSync(conf, `upstream sociox {\n    server ${a.address} max_fails=1;\n    server ${b.address} max_fails=1;\n}\n`);
      b.status = 503;
      const child = spawn(
        process.execPath,
        [
          'deploy/upstream-health.mjs',
          '--conf',
          conf,
          '--interval',
          '50',
          '--fall',
          '2',
          '--rise',
          '2',
          '--reload',
          `echo reloaded >> ${reloads}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (out += c));
      const until = async (what: string, check: () => boolean) => {
        const deadline = Date.now() + 10_000;
        while (!check()) {
          if (Date.now() > deadline) throw new Error(`${what} did not happen:\n${out}\n${readFileSync(conf, 'utf8')}`);
          await new Promise((r) => setTimeout(r, 25));
        }
      };
      const lines = () => readFileSync(conf, 'utf8');
      const reloadCount = () => (existsSync(reloads) ? readFileSync(reloads, 'utf8').split('\n').filter(Boolean).length : 0);

      await until('marked down', () =>
        lines().includes(`server ${b.address} max_fails=1 down; # upstream-health: /readyz 503 shutting down`),
      );
      await until('reloaded', () => reloadCount() === 1);
      expect(lines()).toContain(`server ${a.address} max_fails=1;\n`);
      b.status = 200;
      await until('mark removed', () => lines().includes(`server ${b.address} max_fails=1;\n`));
      await until('reloaded again', () => reloadCount() === 2);
      const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
      const said = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).msg);
      expect(said).toEqual(['checking', 'down', 'nginx reloaded', 'up', 'nginx reloaded']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file without host:port servers, and unknown options, with exit code 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'upstream-health-'));
    try {
      const conf = join(dir, 'sociox.conf');
      writeFileSync(conf, 'upstream sociox {\n    server unix:/run/sociox.sock;\n}\n');
      const run = (args: string[]) =>
        new Promise<{ code: number | null; err: string }>((resolve) => {
          const child = spawn(process.execPath, ['deploy/upstream-health.mjs', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
          child.once('exit', (code) => resolve({ code, err }));
        });
      expect(await run(['--conf', conf])).toEqual({ code: 2, err: expect.stringContaining('no host:port server to check') });
      expect(await run(['--conf', conf, '--every', '1'])).toEqual({ code: 2, err: expect.stringContaining('unknown option --every') });
      expect(await run(['--conf', conf, '--fall', '0'])).toEqual({ code: 2, err: expect.stringContaining('--fall must be a positive') });
      expect(await run([])).toEqual({ code: 2, err: expect.stringContaining('--conf') });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
