import type { FastifyInstance } from 'fastify';

/**
 * What @fastify/helmet 13 sets with its defaults (CSP aside), as one constant object set by one
 * synchronous hook. Measured on a Fastify hello on this 2-core machine: helmet took it from
 * 88,500 to 52,200 req/s; these headers set this way, to 61,600 (the bytes on the wire are the
 * same). A JSON API loads nothing, so its CSP is the strictest; the /docs page (the reference UI)
 * loads its scripts and styles, so it gets no CSP here, as before.
 */
const COMMON = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
} as const;

export const API_HEADERS = { ...COMMON, 'content-security-policy': "default-src 'none'; frame-ancestors 'none'" } as const;
export const DOCS_HEADERS = COMMON;

export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(request.url.startsWith('/docs') ? DOCS_HEADERS : API_HEADERS);
    done();
  });
}
