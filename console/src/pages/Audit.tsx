import { useEffect, useState } from 'preact/hooks';
import { api, ok } from '../api/client';
import { errorFor, type Option, Select, TextField } from '../components/fields';
import { useAction } from '../components/use-action';
import { useLoad } from '../components/use-load';
import { AUDIT_ACTIONS, auditAction } from '../permissions';
import { can, getSession, useSession } from '../session';
import { type AuditEntry, AuditTable } from './audit/AuditTable';
import { type AuditFilters, fetchAudit } from './audit/fetch-audit';

const NONE: AuditFilters = { adminId: '', action: '', from: '', to: '' };

/** `#/audit`: the audit log, filtered by admin, action and dates, in keyset pages; each row links to what it touched. */
export function AuditPage() {
  const session = useSession();
  const allowed = can('view_audit_log', session);
  // a superadmin can list the admins to choose from; another admin chooses among those the log shows
  const admins = useLoad(async () => (can('superadmin') ? (await ok(api.GET('/api/v1/admin/admins', {}))).data : []), []);
  const [form, setForm] = useState<AuditFilters>(NONE);
  const [shown, setShown] = useState<{ filters: AuditFilters; entries: AuditEntry[]; next: number | null } | null>(null);
  const { busy, errors, run } = useAction();

  const filter = async (filters: AuditFilters) => {
    const page = await run('filter', () => fetchAudit(filters, null));
    if (page) setShown({ filters, ...page });
  };
  const more = async () => {
    if (!shown?.next) return;
    const page = await run('more', () => fetchAudit(shown.filters, shown.next));
    if (page) setShown({ ...shown, entries: [...shown.entries, ...page.entries], next: page.next });
  };
  useEffect(() => {
    if (allowed) void filter(NONE);
  }, [allowed]);

  const me = getSession()?.admin;
  const known = new Map<string, string>();
  if (me) known.set(me.id, me.email);
  for (const a of admins.data ?? []) known.set(a.id, a.email);
  for (const e of shown?.entries ?? []) if (e.admin_id) known.set(e.admin_id, e.admin_email);
  const adminOptions: Option[] = [{ value: '', label: 'Any admin' }, ...[...known].map(([value, label]) => ({ value, label }))];

  if (!allowed) {
    return (
      <>
        <h1 tabIndex={-1}>Audit log</h1>
        <p>You do not have permission to view the audit log.</p>
      </>
    );
  }
  return (
    <>
      <h1 tabIndex={-1}>Audit log</h1>
      <form
        class="panel filters"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void filter(form);
        }}
      >
        <Select
          id="audit-admin"
          label="Admin"
          value={form.adminId}
          onValue={(adminId) => setForm({ ...form, adminId })}
          options={adminOptions}
          error={errorFor(errors, 'admin_id')}
        />
        <Select
          id="audit-action"
          label="Action"
          value={form.action}
          onValue={(action) => setForm({ ...form, action: auditAction(action) })}
          options={[{ value: '', label: 'Any action' }, ...AUDIT_ACTIONS.map((a) => ({ value: a, label: a }))]}
          error={errorFor(errors, 'action')}
        />
        <TextField
          id="audit-from"
          label="From"
          type="date"
          value={form.from}
          onValue={(from) => setForm({ ...form, from })}
          hint="UTC day, inclusive"
        />
        <TextField
          id="audit-to"
          label="To"
          type="date"
          value={form.to}
          onValue={(to) => setForm({ ...form, to })}
          hint="UTC day, inclusive"
        />
        <div class="filter-submit">
          <button type="submit" class="primary" disabled={busy === 'filter'}>
            Filter
          </button>
        </div>
      </form>
      {shown && (
        <>
          <AuditTable entries={shown.entries} />
          {shown.next !== null && (
            <button type="button" onClick={more} disabled={busy === 'more'}>
              Load more
            </button>
          )}
        </>
      )}
    </>
  );
}
