import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.js';

/**
 * The admin console (console/, built by Vite into CONSOLE_DIR, dist/console by default) served at
 * /admin by the service itself. Every file is read once at start and kept in memory with its gzip
 * form (the whole build is a few hundred KB):
 *
 * - `/admin` and `/admin/` answer `index.html` with `Cache-Control: no-cache` (a new build is seen
 *   on the next load);
 * - `/admin/assets/<name>-<hash>.<ext>` answer with a year's `immutable` cache: a file's name
 *   changes with its content, so a cached one is never stale;
 * - other files of the build's root (an icon) get `no-cache`;
 * - anything else under /admin is a 404 in the envelope; so is every path when the console is not
 *   built (the message says how to build it).
 *
 * The console routes with the URL's hash (`/admin/#/users`), so no other path needs index.html.
 * Its CSP (only its own scripts, styles and API) is set with the other security headers.
 */
interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  cache: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.svg', '.json', '.txt']);
const IMMUTABLE = 'public, max-age=31536000, immutable';
const NOT_BUILT = 'The admin console is not built: run `npm run build` (npm ci builds it)';

function load(path: string, cache: string): Asset {
  const body = readFileSync(path);
  const ext = extname(path).toLowerCase();
  const gz = COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body, { level: 9 }) : null;
  return { body, gzip: gz && gz.length < body.length ? gz : null, type: TYPES[ext] ?? 'application/octet-stream', cache };
}

/** Every file of a console build, by the path it is served at. Empty when there is no build. */
export function loadConsole(dir: string): Map<string, Asset> {
  const files = new Map<string, Asset>();
  if (!existsSync(join(dir, 'index.html'))) return files;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isFile()) files.set(`/admin/${name}`, load(path, 'no-cache'));
  }
  const assets = join(dir, 'assets');
  if (existsSync(assets)) {
    for (const name of readdirSync(assets)) {
      const path = join(assets, name);
      if (statSync(path).isFile()) files.set(`/admin/assets/${name}`, load(path, IMMUTABLE));
    }
  }
  const index = files.get('/admin/index.html')!;
  files.set('/admin', index);
  files.set('/admin/', index);
  return files;
}

function send(request: FastifyRequest, reply: FastifyReply, asset: Asset): FastifyReply {
  reply.header('cache-control', asset.cache).header('content-type', asset.type).header('vary', 'accept-encoding');
  const accepts = String(request.headers['accept-encoding'] ?? '');
  if (asset.gzip && /\bgzip\b/.test(accepts)) return reply.header('content-encoding', 'gzip').send(asset.gzip);
  return reply.send(asset.body);
}

export async function consoleRoutes(app: FastifyInstance, options: { dir: string }): Promise<void> {
  const files = loadConsole(options.dir);
  if (files.size === 0) app.log.warn({ dir: options.dir }, 'the admin console is not built: /admin answers 404');
  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?', 1)[0]!;
    const asset = files.get(path);
    if (!asset) throw new AppError('NOT_FOUND', files.size === 0 ? NOT_BUILT : 'Not found');
    return send(request, reply, asset);
  };
  const schema = { hide: true };
  app.get('/admin', { schema, config: { publicRead: true } }, serve);
  app.get('/admin/*', { schema, config: { publicRead: true } }, serve);
}
