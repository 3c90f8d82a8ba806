import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/db/migrate.js';
import { openPglite } from '../../src/db/pglite.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string | null;
  }
}

/**
 * Creating a PGlite database costs seconds; loading a dump of one costs a fraction of that.
 * So the migrated schema is built once here, and every test file starts from a copy of it.
 * Against a server (DATABASE_URL), each file creates its own database instead.
 */
export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) {
    project.provide('pgliteTemplate', null);
    return;
  }
  const db = await openPglite({ dataDir: null });
  await migrate(db);
  const dump = await db.dump();
  await db.close();
  const file = join(tmpdir(), `sociox-template-${process.pid}.tar`);
  await writeFile(file, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteTemplate', file);
  return async () => {
    await rm(file, { force: true });
  };
}
