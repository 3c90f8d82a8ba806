import { createHash } from 'node:crypto';
import type { Db, Tx } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import type { ActorName } from './repository.js';

/** How long a key is remembered; a retry after that acts again. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60_000;

export interface IdempotencyScope {
  /** whose key space: `user:<id>` or `admin:<id>` */
  principal: ActorName;
  key: string;
  /** what was asked: a retry with the same key must ask the same thing */
  request: unknown;
}

export function requestHash(request: unknown): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

/**
 * Runs `fn` once per (principal, key). The key row is inserted first, inside the same transaction
 * as the action: a concurrent twin blocks on the primary key until the first commits, then finds
 * the stored result and replays it. A failed action rolls back with its key, so a retry acts again.
 */
export async function runIdempotent<T>(
  db: Db,
  scope: IdempotencyScope | null,
  now: Date,
  fn: (tx: Tx) => Promise<T>,
): Promise<{ result: T; replayed: boolean }> {
  if (!scope) return { result: await db.transaction(fn), replayed: false };
  const hash = requestHash(scope.request);
  const stored = async () => {
    const { rows } = await db.query<{ request_hash: string; response: T }>(
      'select request_hash, response from idempotency_keys where principal = $1 and key = $2 and created_at > $3',
      [scope.principal, scope.key, new Date(now.getTime() - IDEMPOTENCY_TTL_MS)],
    );
    const row = rows[0];
    if (!row) return null;
    if (row.request_hash !== hash) {
      throw new AppError('VALIDATION_FAILED', 'This Idempotency-Key was used for a different request', [
        { field: 'Idempotency-Key', message: 'was used with a different request body' },
      ]);
    }
    return { result: row.response, replayed: true };
  };
  const previous = await stored();
  if (previous) return previous;
  try {
    const result = await db.transaction(async (tx) => {
      // an expired key of the same name is replaced
      await tx.query('delete from idempotency_keys where principal = $1 and key = $2 and created_at <= $3', [
        scope.principal,
        scope.key,
        new Date(now.getTime() - IDEMPOTENCY_TTL_MS),
      ]);
      await tx.query(
        `insert into idempotency_keys (principal, key, request_hash, status_code, response, created_at) values ($1, $2, $3, 0, '{}', $4)`,
        [scope.principal, scope.key, hash, now],
      );
      const value = await fn(tx);
      await tx.query('update idempotency_keys set status_code = 200, response = $3 where principal = $1 and key = $2', [
        scope.principal,
        scope.key,
        JSON.stringify(value),
      ]);
      return value;
    });
    return { result, replayed: false };
  } catch (err) {
    if ((err as { constraint?: string }).constraint === 'idempotency_keys_pkey') {
      const twin = await stored();
      if (twin) return twin;
    }
    throw err;
  }
}

/** The worker's housekeeping: forget keys past their lifetime. */
export async function purgeIdempotencyKeys(db: Db, now: Date): Promise<number> {
  const { rowCount } = await db.query('delete from idempotency_keys where created_at <= $1', [
    new Date(now.getTime() - IDEMPOTENCY_TTL_MS),
  ]);
  return rowCount;
}
