import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** What `npm start` says once it listens: where everything is, and what to do first. */
export interface StartInfo {
  /** the public listener's address */
  address: AddressInfo | string | null;
  /** the admin console's build directory (CONFIG consoleDir) */
  consoleDir: string;
  /** true when no superadmin exists yet (null: could not tell, the database is away) */
  noSuperadmin: boolean | null;
  /** the metrics: their own listener's address, `public` (on the API's port, behind METRICS_TOKEN), or off */
  metrics: AddressInfo | 'public' | null;
}

function base(address: AddressInfo | string | null): string {
  if (address === null) return 'http://localhost';
  if (typeof address === 'string') return address; // a pipe or socket path
  const host = ['0.0.0.0', '::', ''].includes(address.address)
    ? 'localhost'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  return `http://${host}:${address.port}`;
}

export const CREATE_SUPERADMIN = "npm run create-superadmin -- --email you@example.com --password 'at least 8 characters'";

/** The fields of the "listening" line: a log collector reads them, a person reads the banner. */
export function startFields(info: StartInfo) {
  const url = base(info.address);
  const consoleBuilt = existsSync(join(info.consoleDir, 'index.html'));
  return {
    api: `${url}/api/v1`,
    docs: `${url}/docs`,
    console: consoleBuilt ? `${url}/admin/` : null,
    metrics: info.metrics === null ? null : info.metrics === 'public' ? `${url}/metrics` : `${base(info.metrics)}/metrics`,
    noSuperadmin: info.noSuperadmin === true,
  };
}

/** The same, as a few lines for a person at a terminal. */
export function startBanner(info: StartInfo): string {
  const f = startFields(info);
  const lines = [
    '',
    'SocioX Accounts is running',
    `  API            ${f.api}`,
    `  Reference      ${f.docs}`,
    `  Admin console  ${f.console ?? 'not built (run `npm run build`, then start again)'}`,
  ];
  if (f.metrics) lines.push(`  Metrics        ${f.metrics}${info.metrics === 'public' ? ' (Authorization: Bearer $METRICS_TOKEN)' : ''}`);
  if (f.noSuperadmin) {
    lines.push(
      '',
      'There is no superadmin yet. Make the first one either way:',
      '  - set SUPERADMIN_EMAIL and SUPERADMIN_PASSWORD and start again, or',
      `  - stop the service and run: ${CREATE_SUPERADMIN}`,
    );
  }
  return `${lines.join('\n')}\n\n`;
}
