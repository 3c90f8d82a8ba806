#!/usr/bin/env node
/**
 * Active health checks on /readyz for open-source nginx, whose own checks are only passive (the
 * `health_check` directive is NGINX Plus). It polls every instance of an `upstream` block, and when
 * one fails its check `fall` times in a row it marks that server `down` in the configuration file
 * and reloads nginx; after `rise` passes in a row it takes the mark away and reloads again.
 *
 *   node deploy/upstream-health.mjs --conf /etc/nginx/conf.d/sociox.conf
 *        [--upstream sociox] [--path /readyz] [--interval 1000] [--timeout 1000] [--fall 2] [--rise 2]
 *        [--reload "nginx -s reload"]
 *
 * No dependencies: Node 20 and this file (deploy/sociox-upstream-health.service runs it under
 * systemd). It writes one JSON line per change to stdout. docs/DEPLOYMENT.md "Health checks".
 *
 * - The servers are the `server host:port …;` lines of the upstream block, read at start (restart
 *   it after changing the list). A line you marked `down` yourself is left alone and not polled.
 * - Its marks are ` down; # upstream-health: <why>` at the end of the line; it removes only those
 *   (a comment at the end of a server line is not kept while the server is down: put yours above).
 * - It never marks every server down: when all of them fail (the shared database is away) nginx
 *   keeps passing requests and the instances answer their own 503 with Retry-After, which says more
 *   than nginx's "no live upstreams".
 * - The file is rewritten whole (a temporary file, then a rename) and only when a mark changes;
 *   each pass also puts back marks someone else's rewrite removed.
 *
 * With SHUTDOWN_DELAY_MS on the instances (a stopping instance answers /readyz 503 while it still
 * serves), a rolling restart is `systemctl restart` of one instance at a time and no client sees it.
 */
import { execFile } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const MARK = '# upstream-health:';
const SERVER_LINE = /^(\s*)server\s+(\S+)([^;\n]*);([^\n]*)$/gm;

/** The block `upstream <name> { … }` of `conf`: its text and where it is. */
function upstreamBlock(conf, name) {
  const re = new RegExp(`(upstream\\s+${name.replace(/[^\w-]/g, '')}\\s*\\{)([\\s\\S]*?)(\\n\\s*\\})`);
  const m = re.exec(conf);
  if (!m) throw new Error(`no \`upstream ${name} { … }\` block`);
  return { whole: m[0], head: m[1], body: m[2], tail: m[3] };
}

const hasDown = (params) => /(^|\s)down(\s|$)/.test(params);

/**
 * The servers of upstream `name`: address, whether someone marked it down by hand (`manual`), and
 * whether this checker marked it down (`marked`, with its reason).
 */
export function upstreamServers(conf, name = 'sociox') {
  const { body } = upstreamBlock(conf, name);
  return [...body.matchAll(SERVER_LINE)].map(([, , address, params, rest]) => {
    const ours = rest.trim().startsWith(MARK);
    return {
      address,
      manual: hasDown(params) && !ours,
      marked: hasDown(params) && ours,
      reason: ours ? rest.trim().slice(MARK.length).trim() : null,
    };
  });
}

/** A reason as it can stand in a comment: one short line. */
const oneLine = (s) =>
  String(s)
    .split('')
    .map((c) => (c < ' ' || c === '\u007f' ? ' ' : c))
    .join('')
    .replace(/ {2,}/g, ' ')
    .slice(0, 100)
    .trim();

/**
 * `conf` with the servers in `down` (address → reason) marked down by this checker and every other
 * server's mark removed; servers marked down by hand are not touched.
 */
export function withMarks(conf, down, name = 'sociox') {
  const block = upstreamBlock(conf, name);
  const body = block.body.replace(SERVER_LINE, (line, indent, address, params, rest) => {
    const ours = rest.trim().startsWith(MARK);
    if (hasDown(params) && !ours) return line; // down by hand
    const bare = ours ? params.replace(/\s+down(?=\s|$)/, '') : params;
    if (down.has(address)) return `${indent}server ${address}${bare} down; ${MARK} ${oneLine(down.get(address))}`;
    return `${indent}server ${address}${bare};${ours ? '' : rest}`;
  });
  return conf.replace(block.whole, `${block.head}${body}${block.tail}`);
}

/** One check: GET http://<address><path>; passes on a 200 within `timeoutMs`. */
async function probe(address, path, timeoutMs) {
  try {
    const res = await fetch(`http://${address}${path}`, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    const text = await res.text().catch(() => '');
    if (res.status === 200) return { ok: true, reason: null };
    let message = '';
    try {
      message = JSON.parse(text).message ?? '';
    } catch {
      // not the service's JSON: the status says enough
    }
    return { ok: false, reason: `${path} ${res.status}${message ? ` ${message}` : ''}` };
  } catch (err) {
    const cause = err?.cause?.code ?? (err?.name === 'TimeoutError' ? `no answer in ${timeoutMs} ms` : (err?.message ?? 'failed'));
    return { ok: false, reason: `${path} ${cause}` };
  }
}

/**
 * The checker without its file: polls `servers` every `intervalMs` and calls `apply(down)` after each
 * pass with the servers to keep out (address → why), which is never all of them. `onChange` hears
 * each server going down or coming back. `initiallyDown` (address → why): marks found at start.
 */
export function createHealthChecker({
  servers,
  apply,
  path = '/readyz',
  intervalMs = 1_000,
  timeoutMs = 1_000,
  fall = 2,
  rise = 2,
  initiallyDown = new Map(),
  onChange = () => {},
  log = () => {},
}) {
  const state = new Map(servers.map((a) => [a, { up: !initiallyDown.has(a), fails: 0, passes: 0, reason: initiallyDown.get(a) ?? null }]));
  let timer = null;
  let running = null;
  let allFailing = false;

  async function pass() {
    const results = await Promise.all(servers.map(async (a) => [a, await probe(a, path, timeoutMs)]));
    for (const [address, r] of results) {
      const s = state.get(address);
      if (r.ok) {
        s.fails = 0;
        s.passes++;
        if (!s.up && s.passes >= rise) {
          s.up = true;
          s.reason = null;
          onChange({ address, up: true, reason: `${rise} checks passed` });
        }
      } else {
        s.passes = 0;
        s.fails++;
        s.reason = r.reason;
        if (s.up && s.fails >= fall) {
          s.up = false;
          onChange({ address, up: false, reason: r.reason });
        }
      }
    }
    const down = new Map([...state].filter(([, s]) => !s.up).map(([a, s]) => [a, s.reason ?? 'failing']));
    const everyone = down.size > 0 && down.size === servers.length;
    if (everyone !== allFailing) {
      allFailing = everyone;
      log(
        everyone
          ? 'every server fails its check: all left in the rotation (their own 503 answers the clients)'
          : 'not every server fails its check any more',
      );
    }
    await apply(everyone ? new Map() : down);
  }

  const loop = async () => {
    running = pass().catch((err) => log(`check or apply failed: ${err?.message ?? err}`));
    await running;
    running = null;
    if (timer !== null) timer = setTimeout(loop, intervalMs);
  };

  return {
    /** address → { up, fails, passes, reason } */
    state,
    start() {
      if (timer === null) timer = setTimeout(loop, 0);
    },
    async stop() {
      clearTimeout(timer);
      timer = null;
      await running;
    },
    /** one pass now (tests) */
    pass,
  };
}

/** The command line: marks in the nginx file, `reload` after each change. */
function parseArgs(argv) {
  const opts = { upstream: 'sociox', path: '/readyz', interval: 1000, timeout: 1000, fall: 2, rise: 2, reload: 'nginx -s reload' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const key = flag.replace(/^--/, '');
    if (!(key in opts) && key !== 'conf') throw new Error(`unknown option ${flag}`);
    const value = argv[++i];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    opts[key] = typeof opts[key] === 'number' ? Number(value) : value;
    if (typeof opts[key] === 'number' && !(Number.isInteger(opts[key]) && opts[key] > 0)) {
      throw new Error(`${flag} must be a positive whole number`);
    }
  }
  if (!opts.conf) throw new Error('--conf <nginx file with the upstream block> is required');
  return opts;
}

function say(fields) {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}

function reloadNginx(command) {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], { timeout: 10_000 }, (err, _stdout, stderr) =>
      err ? reject(new Error(`${command}: ${stderr.trim() || err.message}`)) : resolve(),
    );
  });
}

async function cli() {
  const opts = parseArgs(process.argv.slice(2));
  const found = upstreamServers(readFileSync(opts.conf, 'utf8'), opts.upstream);
  const servers = found.filter((s) => !s.manual && /^[^/]+:\d+$/.test(s.address)).map((s) => s.address);
  if (servers.length === 0) throw new Error(`${opts.conf}: no host:port server to check in upstream ${opts.upstream}`);
  const initiallyDown = new Map(found.filter((s) => s.marked).map((s) => [s.address, s.reason ?? 'marked before']));
  say({ msg: 'checking', conf: opts.conf, upstream: opts.upstream, servers, path: opts.path, intervalMs: opts.interval });

  const apply = async (down) => {
    const before = readFileSync(opts.conf, 'utf8');
    const after = withMarks(before, down, opts.upstream);
    if (after === before) return;
    const temp = `${opts.conf}.upstream-health.tmp`;
    writeFileSync(temp, after);
    renameSync(temp, opts.conf);
    await reloadNginx(opts.reload);
    say({ msg: 'nginx reloaded', down: Object.fromEntries(down) });
  };
  const checker = createHealthChecker({
    servers,
    apply,
    path: opts.path,
    intervalMs: opts.interval,
    timeoutMs: opts.timeout,
    fall: opts.fall,
    rise: opts.rise,
    initiallyDown,
    onChange: ({ address, up, reason }) => say({ msg: up ? 'up' : 'down', server: address, reason }),
    log: (msg) => say({ msg }),
  });
  checker.start();
  const stop = async () => {
    await checker.stop();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  cli().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  });
}
