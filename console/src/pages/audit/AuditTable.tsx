import type { paths } from '../../api/schema';
import { formatDateTime } from '../../format';
import { href } from '../../router';

export type AuditEntry = paths['/api/v1/admin/audit-log']['get']['responses'][200]['content']['application/json']['data'][number];

/** Where an entry's target is shown in the console: a user's page, a plan's form, the admins' list. */
function targetLink(e: AuditEntry): string | null {
  if (!e.target_id) return null;
  switch (e.target_type) {
    case 'user':
      return href(`/users/${e.target_id}`);
    case 'plan':
      return href(`/plans/${e.target_id}`);
    case 'admin':
      return href('/admins');
    default:
      return null;
  }
}

function detailText(detail: Record<string, unknown>): string {
  const entries = Object.entries(detail);
  return entries.length ? entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; ') : '';
}

export function AuditTable({ entries }: { entries: AuditEntry[] }) {
  return (
    <div class="table-scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Admin</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {entries.length === 0 ? (
            <tr>
              <td colSpan={5}>No entries.</td>
            </tr>
          ) : (
            entries.map((e) => {
              const link = targetLink(e);
              const named = e.detail.email ?? e.detail.name;
              const target = `${e.target_type} ${typeof named === 'string' ? named : (e.target_id ?? '')}`.trim();
              return (
                <tr key={e.id}>
                  <td class="nowrap">{formatDateTime(e.created_at)}</td>
                  <td>{e.admin_email}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{link ? <a href={link}>{target}</a> : target}</td>
                  <td class="detail">{detailText(e.detail)}</td>
                </tr>
              );
            })
          )}
        </tbody>
      </table>
    </div>
  );
}
