import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { migrate, readMigrations } from '../../src/db/migrate.js';
import { openPglite } from '../../src/db/pglite.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string | null;
  }
}

/**
 * What the migrated template is made from: the migrations, the code that opens the database and
 * applies them, and the PGlite version. A run whose inputs match an earlier one's reuses its template.
 */
function templateKey(): string {
  const hash = createHash('sha256');
  for (const m of readMigrations()) hash.update(`${m.version}\n${m.sql}\n`);
  for (const code of ['migrate.ts', 'pglite.ts']) hash.update(readFileSync(new URL(`../../src/db/${code}`, import.meta.url)));
  // package.json pins exact versions
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
  hash.update(pkg.dependencies['@electric-sql/pglite'] ?? '');
  return hash.digest('hex').slice(0, 16);
}

/**
 * Creating a PGlite database costs seconds; loading a dump of one costs a fraction of that.
 * So the migrated schema is built once here (and kept in the temporary directory for the next
 * run while the migrations stay the same: it costs ~1.5 s before any file can start), and every
 * test file starts from a copy of it. Against a server (DATABASE_URL), each file creates its own
 * database instead.
 */
export default async function setup(project: TestProject) {
  if (process.env.DATABASE_URL) {
    project.provide('pgliteTemplate', null);
    return;
  }
  const file = join(tmpdir(), `sociox-template-${templateKey()}.tar`);
  if (!existsSync(file)) {
    const db = await openPglite({ dataDir: null });
    await migrate(db);
    const dump = await db.dump();
    await db.close();
    // written aside and renamed, so a run started meanwhile never reads half a template
    const partial = `${file}.${process.pid}`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, file);
  }
  project.provide('pgliteTemplate', file);
}
