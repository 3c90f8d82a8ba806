import pino from 'pino';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { type App, buildApp } from '../../src/app.js';
import type { Db } from '../../src/db/index.js';
import { MemoryMailer } from '../../src/modules/email/mailer.js';
import { buildServices } from '../../src/services.js';
import { Harness } from './harness.js';

/** Another app on the harness's database whose change feed hears everything `delayMs` late, as a loaded network might. */
export async function slowFeedApp(h: Harness, delayMs = 150): Promise<App> {
  const db: Db = {
    ...h.db,
    listen: (channel, handlers) =>
      h.db.listen(channel, { message: (p) => void setTimeout(() => handlers.message(p), delayMs), state: handlers.state }),
  };
  const app = await buildApp(
    buildServices({ config: h.config, db, clock: h.clock, mailer: new MemoryMailer(), log: pino({ level: 'silent' }) }),
  );
  await app.ready();
  return app;
}

/** A request on an app of its own (not the harness's), with a bearer token. */
export function call(app: App, method: string, url: string, token: string, payload?: unknown) {
  return app.inject({
    method: method as 'GET',
    url,
    headers: { authorization: `Bearer ${token}` },
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });
}

/**
 * Two instances on one database (each with its own caches and change feed) for a test file:
 * built once, the database emptied and both caches dropped before each test.
 */
export function twoInstances(): { a: () => Harness; b: () => Harness } {
  let a: Harness;
  let b: Harness;
  beforeAll(async () => {
    a = await Harness.create();
    b = await a.sibling();
  });
  afterAll(async () => {
    await b.app.close();
    await a.close();
  });
  // the harness's reset drops what every app on the database keeps (b's too)
  beforeEach(() => a.reset());
  return { a: () => a, b: () => b };
}
