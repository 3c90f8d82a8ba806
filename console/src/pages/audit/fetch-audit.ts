import { type AuditAction, api, ok } from '../../api/client';
import type { AuditEntry } from './AuditTable';

export interface AuditFilters {
  adminId: string;
  /** '' for any action */
  action: AuditAction | '';
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
const DAY_MS = 86_400_000;

/**
 * One page of the audit log, newest first, in the API's keyset pages. Every filter is the API's:
 * admin, action, and the time range [from, to) — the "To" day is inclusive here, so the range
 * ends at the start of the next UTC day.
 */
export async function fetchAudit(f: AuditFilters, cursor: number | null): Promise<AuditPage> {
  const query = {
    limit: SHOWN,
    ...(f.adminId ? { admin_id: f.adminId } : {}),
    ...(f.action ? { action: f.action } : {}),
    ...(f.from ? { from: `${f.from}T00:00:00.000Z` } : {}),
    ...(f.to ? { to: new Date(Date.parse(`${f.to}T00:00:00Z`) + DAY_MS).toISOString() } : {}),
    ...(cursor !== null ? { cursor } : {}),
  };
  const body = await ok(api.GET('/api/v1/admin/audit-log', { params: { query } }));
  return { entries: body.data, next: body.meta.next_cursor };
}
