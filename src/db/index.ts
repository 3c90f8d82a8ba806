import { join } from 'node:path';
import type { Config } from '../config.js';
import { openPglite } from './pglite.js';
import { openPostgres } from './postgres.js';
import type { Db } from './types.js';

export type { Db, Queryable, QueryResult, Statement, Tx } from './types.js';
export { afterCommitOrNow } from './types.js';
export { DatabaseBusyError, DatabaseUnavailableError, isDatabaseUnavailable } from './unavailable.js';

/** DATABASE_URL set: a PostgreSQL server. Unset: PGlite persisted under DATA_DIR/pgdata. */
export function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'databaseConnectTimeoutMs' | 'databaseQueryTimeoutMs' | 'databasePoolMax'>,
): Promise<Db> {
  return config.databaseUrl
    ? openPostgres(config.databaseUrl, {
        connectTimeoutMs: config.databaseConnectTimeoutMs,
        queryTimeoutMs: config.databaseQueryTimeoutMs,
        max: config.databasePoolMax,
      })
    : openPglite({ dataDir: join(config.dataDir, 'pgdata') });
}
