import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** Scalar's reference UI as one script, shipped in the package (no CDN: the page works offline). */
const BUNDLE = fileURLToPath(new URL('./js/standalone.js', import.meta.resolve('@scalar/fastify-api-reference')));

/**
 * Scalar's options (its types: @scalar/types, api-reference-configuration) for a page that sends
 * nothing to a third party: no developer toolbar (shown on localhost by default: its "Share" and
 * "Generate" buttons upload the API document to Scalar's servers and open their dashboard), no
 * button to Scalar's hosted API client, no fonts from fonts.scalar.com (the system's are used), no
 * telemetry. `test/browser/docs.test.ts` checks in Chromium that every request stays on the host.
 */
export const SCALAR_OPTIONS = {
  url: '/openapi.json',
  showDeveloperTools: 'never',
  hideClientButton: true,
  withDefaultFonts: false,
  telemetry: false,
} as const;

const PAGE = `<!doctype html>
<html>
  <head>
    <title>SocioX Accounts API</title>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
  </head>
  <body>
    <div id="app"></div>
    <script src="js/scalar.js"></script>
    <script>Scalar.createApiReference('#app', ${JSON.stringify(SCALAR_OPTIONS)})</script>
  </body>
</html>
`;

/**
 * The reference UI at /docs: the page Scalar's Fastify plugin serves, with its 3.3 MB script
 * streamed from the package on request. The plugin reads the script into memory when it is
 * registered and keeps it for the life of the process (measured: 9 MiB of RSS at rest).
 */
export async function docsRoutes(app: FastifyInstance): Promise<void> {
  const hidden = { schema: { hide: true } };
  app.get('/docs', hidden, (_request, reply) => reply.redirect('/docs/', 301));
  app.get('/docs/', hidden, (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE));
  app.get('/docs/js/scalar.js', hidden, (_request, reply) =>
    reply.type('application/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(createReadStream(BUNDLE)),
  );
}
