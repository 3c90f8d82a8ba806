import { describe, expect, it } from 'vitest';
import type { Cluster } from '../../scripts/cluster.mjs';
import { call, clusterAvailable, type Outcome, register, useCluster } from './world.js';

/**
 * Shared limits (issue 14): the per-IP credential rate limit and the login lockouts hold across the
 * three instances. Requests come through nginx from several loopback addresses (127.0.0.x: nginx's
 * $remote_addr, which it sets as X-Forwarded-For; the instances run with TRUST_PROXY=true), round
 * robin spreads each client's requests over the instances, and the sum is the limit, not three times it.
 */

const PER_MINUTE = 10;
const PER_IP_FAILURES = 5;
const PER_ACCOUNT_FAILURES = 12;

const RATE_LIMITED = /^Too many requests/;
const LOCKED = /^Too many failed login attempts/;

/** How many of a client's requests each instance served, from nginx's access log. */
function spread(cluster: Cluster, remote: string): number[] {
  const lines = cluster.nginx.accessLog().filter((l) => l.remote === remote);
  return cluster.instances.map((n) => lines.filter((l) => l.upstreams.includes(`127.0.0.1:${n.port}`)).length);
}

const statuses = (outcomes: Outcome[]) => outcomes.map((o) => o.status);

describe.runIf(clusterAvailable())('limits shared by the instances', () => {
  const world = useCluster({
    env: {
      RATE_LIMIT_PER_MINUTE: String(PER_MINUTE),
      LOGIN_MAX_FAILURES: String(PER_IP_FAILURES),
      LOGIN_MAX_FAILURES_PER_ACCOUNT: String(PER_ACCOUNT_FAILURES),
    },
  });
  const login = (cluster: Cluster, from: string, email: string, password: string, headers: Record<string, string> = {}) =>
    call(cluster.nginxUrl, 'POST', '/api/v1/auth/login', { email, password }, { localAddress: from, headers });

  it('the per-IP credential limit is RATE_LIMIT_PER_MINUTE across the three instances, and X-Forwarded-For from the client changes nothing', async () => {
    const cluster = world.get();
    const from = '127.0.0.11';
    const outcomes: Outcome[] = [];
    for (let i = 0; i < 3 * PER_MINUTE; i++) outcomes.push(await login(cluster, from, 'nobody@cluster.test', 'wrong password 1'));
    const allowed = outcomes.filter((o) => o.status !== 429);
    const limited = outcomes.filter((o) => o.status === 429 && RATE_LIMITED.test(o.body?.message));
    const perInstance = spread(cluster, from);

    // a client that sends its own X-Forwarded-For, a new address each time: nginx replaces it
    const spoofer = '127.0.0.12';
    const spoofed: Outcome[] = [];
    for (let i = 0; i < 2 * PER_MINUTE; i++) {
      spoofed.push(await login(cluster, spoofer, 'nobody@cluster.test', 'wrong password 1', { 'x-forwarded-for': `203.0.113.${i + 1}` }));
    }
    const other = await login(cluster, '127.0.0.13', 'nobody@cluster.test', 'wrong password 1');
    console.log(
      `per-IP credential limit (RATE_LIMIT_PER_MINUTE=${PER_MINUTE}): ${outcomes.length} logins from ${from} through nginx, served by the instances ` +
        `${perInstance.join(' / ')}: ${allowed.length} answered (401), ${limited.length} refused 429; ` +
        `${spoofed.length} from ${spoofer} each with its own X-Forwarded-For: ${spoofed.filter((o) => o.status !== 429).length} answered, ` +
        `${spoofed.filter((o) => o.status === 429).length} refused 429; another address: ${other.status}`,
    );
    expect(statuses(allowed)).toEqual(Array(PER_MINUTE).fill(401));
    expect(limited.length).toBe(2 * PER_MINUTE);
    // every instance took its share, so a limit per instance would have let all 30 through
    expect(perInstance.every((n) => n >= PER_MINUTE - 2)).toBe(true);
    expect(spoofed.filter((o) => o.status !== 429).length).toBe(PER_MINUTE);
    expect(other.status).toBe(401);
  });

  it('LOGIN_MAX_FAILURES per account and IP, and LOGIN_MAX_FAILURES_PER_ACCOUNT from every IP, count across the instances', async () => {
    const cluster = world.get();
    const a = await register(cluster.nginxUrl, 'lock-a', { localAddress: '127.0.0.20' });
    const b = await register(cluster.nginxUrl, 'lock-b', { localAddress: '127.0.0.20' });

    // one IP guessing one account's password
    const guesser = '127.0.0.21';
    const guesses: Outcome[] = [];
    for (let i = 0; i < PER_IP_FAILURES + 3; i++) guesses.push(await login(cluster, guesser, a.email, 'wrong password 1'));
    const rightFromGuesser = await login(cluster, guesser, a.email, a.password);
    const rightFromOwner = await login(cluster, '127.0.0.22', a.email, a.password);
    console.log(
      `per account and IP (LOGIN_MAX_FAILURES=${PER_IP_FAILURES}): ${guesses.length} wrong passwords then the right one from ${guesser}, served by the instances ` +
        `${spread(cluster, guesser).join(' / ')}: ${statuses(guesses).join(' ')}, then ${rightFromGuesser.status}; the right password from another address ${rightFromOwner.status}`,
    );
    expect(statuses(guesses)).toEqual([...Array(PER_IP_FAILURES).fill(401), 429, 429, 429]);
    expect(guesses.slice(PER_IP_FAILURES).every((o) => LOCKED.test(o.body?.message))).toBe(true);
    expect(rightFromGuesser.status).toBe(429);
    expect(rightFromOwner.status).toBe(200);

    // many IPs guessing one account, each below its own limit: the account-wide count
    const failures: Outcome[] = [];
    const ips = ['127.0.0.31', '127.0.0.32', '127.0.0.33', '127.0.0.34'];
    for (const ip of ips)
      for (let i = 0; i < PER_ACCOUNT_FAILURES / ips.length; i++) failures.push(await login(cluster, ip, b.email, 'wrong password 1'));
    const next = await login(cluster, '127.0.0.35', b.email, 'wrong password 1');
    const right = await login(cluster, '127.0.0.36', b.email, b.password);
    const perInstance = cluster.instances.map((n) => ips.reduce((sum, ip) => sum + spread(cluster, ip)[n.index - 1]!, 0));
    console.log(
      `per account from every IP (LOGIN_MAX_FAILURES_PER_ACCOUNT=${PER_ACCOUNT_FAILURES}): ${failures.length} wrong passwords from ${ips.length} addresses, ` +
        `served by the instances ${perInstance.join(' / ')}: ${failures.filter((o) => o.status === 401).length}×401; ` +
        `the next from a new address ${next.status}, the right password from another ${right.status}`,
    );
    expect(statuses(failures)).toEqual(Array(PER_ACCOUNT_FAILURES).fill(401));
    expect(perInstance.every((n) => n > 0)).toBe(true);
    expect(next.status).toBe(429);
    expect(LOCKED.test(next.body?.message)).toBe(true);
    expect(right.status).toBe(429);
  });
});
