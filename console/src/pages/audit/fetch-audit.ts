import { api, ok } from '../../api/client';
import type { AuditEntry } from './AuditTable';

export interface AuditFilters {
  adminId: string;
  action: string;
  /** YYYY-MM-DD (UTC days, inclusive), or '' */
  from: string;
  to: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** the API's cursor to go on from, or null at the end */
  next: number | null;
}

const SHOWN = 50;
const BATCH = 100;
/** at most this many requests for one "Filter" or "Load more" when the date range skips entries */
const MAX_REQUESTS = 10;

/**
 * One page of the audit log, newest first, in the API's keyset pages. The API filters by admin and
 * action; it has no date filter, so the dates are applied here: entries after `to` are skipped,
 * and the walk ends at the first entry before `from` (the log is newest first).
 */
export async function fetchAudit(f: AuditFilters, cursor: number | null): Promise<AuditPage> {
  const fromTime = f.from ? Date.parse(`${f.from}T00:00:00Z`) : null;
  const toTime = f.to ? Date.parse(`${f.to}T00:00:00Z`) + 86_400_000 : null;
  const entries: AuditEntry[] = [];
  let next = cursor;
  for (let i = 0; i < MAX_REQUESTS; i++) {
    const query = {
      limit: fromTime === null && toTime === null ? SHOWN : BATCH,
      ...(f.adminId ? { admin_id: f.adminId } : {}),
      ...(f.action ? { action: f.action } : {}),
      ...(next !== null ? { cursor: next } : {}),
    };
    const body = await ok(api.GET('/api/v1/admin/audit-log', { params: { query } }));
    next = body.meta.next_cursor;
    for (const e of body.data) {
      const t = Date.parse(e.created_at);
      if (toTime !== null && t >= toTime) continue;
      if (fromTime !== null && t < fromTime) return { entries, next: null };
      entries.push(e);
    }
    if (next === null || entries.length >= SHOWN) break;
  }
  return { entries, next };
}
