import type { Queryable } from '../../db/index.js';
import type { AuditAction } from './actions.js';

export interface AuditEntry {
  admin: { id: string; email: string };
  action: AuditAction;
  targetType: string;
  targetId: string | null;
  ip: string | null;
  detail?: Record<string, unknown>;
}

export interface AuditRow {
  id: number;
  admin_id: string | null;
  admin_email: string;
  action: string;
  target_type: string;
  target_id: string | null;
  ip: string | null;
  detail: Record<string, unknown>;
  created_at: Date;
}

export interface AuditFilter {
  adminId?: string;
  targetId?: string;
  action?: string;
  /** entries at or after this instant */
  from?: Date;
  /** entries before this instant */
  to?: Date;
  /** keyset: rows with an id below this one */
  beforeId?: number;
  limit: number;
}

/** The only SQL for the audit log. Written inside the transaction of the action it records. */
export const auditRepository = {
  async record(q: Queryable, e: AuditEntry, now: Date): Promise<void> {
    await q.query(
      `insert into audit_log (admin_id, admin_email, action, target_type, target_id, ip, detail, created_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [e.admin.id, e.admin.email, e.action, e.targetType, e.targetId, e.ip, JSON.stringify(e.detail ?? {}), now],
    );
  },

  /** Newest first; ids only grow, so `id < cursor` pages without OFFSET. */
  async list(q: Queryable, f: AuditFilter): Promise<AuditRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (f.adminId) add('admin_id = ?', f.adminId);
    if (f.targetId) add('target_id = ?', f.targetId);
    if (f.action) add('action = ?', f.action);
    if (f.from) add('created_at >= ?', f.from);
    if (f.to) add('created_at < ?', f.to);
    if (f.beforeId) add('id < ?', f.beforeId);
    params.push(f.limit);
    const { rows } = await q.query<AuditRow>(
      `select id, admin_id, admin_email, action, target_type, target_id, ip, detail, created_at from audit_log
       ${where.length ? `where ${where.join(' and ')}` : ''} order by id desc limit $${params.length}`,
      params,
    );
    return rows;
  },
};
