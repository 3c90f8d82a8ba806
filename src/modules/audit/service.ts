import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/index.js';
import { type AuditEntry, type AuditFilter, auditRepository as repo } from './repository.js';

/**
 * Owns `audit_log`: what admins did. Every module that lets an admin change something records it
 * here with `record`, inside the transaction of the change (an action and its audit row commit
 * together); only this module writes the table.
 */
export function createAuditService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  return {
    record: (tx: Queryable, entry: AuditEntry): Promise<void> => repo.record(tx, entry, clock.now()),

    async list(filter: AuditFilter) {
      const rows = await repo.list(db, filter);
      return rows.map((r) => ({ ...r, id: Number(r.id), created_at: r.created_at.toISOString() }));
    },
  };
}

export type AuditService = ReturnType<typeof createAuditService>;
