import { useState } from 'preact/hooks';
import { type Admin, type AdminPermission, api, messageOf, ok } from '../api/client';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { useAction } from '../components/use-action';
import { useLoad } from '../components/use-load';
import { formatDateTime } from '../format';
import { knownPermissions } from '../permissions';
import { can, getSession, useSession } from '../session';
import { NewAdmin } from './admins/NewAdmin';
import { PermissionPicker } from './admins/PermissionPicker';

/** `#/admins` (superadmins only): the staff accounts, a new one, their permissions, deletion (never of the last superadmin: the API says so). */
export function AdminsPage() {
  const session = useSession();
  const allowed = can('superadmin', session);
  const { data, error, reload } = useLoad(async () => (allowed ? (await ok(api.GET('/api/v1/admin/admins', {}))).data : []), [allowed]);
  const { busy, run } = useAction();
  const [editing, setEditing] = useState<{ admin: Admin; permissions: AdminPermission[] } | null>(null);
  const [deleting, setDeleting] = useState<Admin | null>(null);

  const save = async () => {
    if (!editing) return;
    const params = { path: { adminId: editing.admin.id } };
    const done = await run(
      'permissions',
      () => ok(api.PUT('/api/v1/admin/admins/{adminId}/permissions', { params, body: { permissions: editing.permissions } })),
      (b) => b.message,
    );
    setEditing(null);
    if (done) reload();
  };
  const remove = async () => {
    if (!deleting) return;
    const params = { path: { adminId: deleting.id } };
    const done = await run(
      'delete',
      () => ok(api.DELETE('/api/v1/admin/admins/{adminId}', { params })),
      (b) => b.message,
    );
    setDeleting(null);
    if (done) reload();
  };

  if (!allowed) {
    return (
      <>
        <h1 tabIndex={-1}>Admins</h1>
        <p>Only a superadmin manages admins.</p>
      </>
    );
  }
  return (
    <>
      <h1 tabIndex={-1}>Admins</h1>
      {error !== null && <p class="field-error">The admins could not be loaded: {messageOf(error)}</p>}
      {data && (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Email</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Permissions</th>
                <th scope="col">Last sign-in</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {data.map((a) => (
                <tr key={a.id}>
                  <td>
                    {a.email}
                    {a.id === getSession()?.admin.id && <span class="badge badge-info">you</span>}
                  </td>
                  <td>{a.name}</td>
                  <td>{a.role}</td>
                  <td class="detail">{a.role === 'superadmin' ? 'all' : a.permissions.join(', ') || 'none'}</td>
                  <td class="nowrap">{formatDateTime(a.last_login_at)}</td>
                  <td class="row-actions">
                    {a.role === 'admin' && (
                      <button type="button" onClick={() => setEditing({ admin: a, permissions: knownPermissions(a.permissions) })}>
                        Edit permissions
                      </button>
                    )}
                    <button type="button" class="danger" onClick={() => setDeleting(a)} disabled={busy === 'delete'}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <NewAdmin created={reload} />
      <ConfirmDialog
        open={editing !== null}
        title={`Permissions of ${editing?.admin.email ?? ''}`}
        confirmLabel="Save permissions"
        danger={false}
        busy={busy === 'permissions'}
        onConfirm={save}
        onClose={() => setEditing(null)}
      >
        {editing && (
          <PermissionPicker
            idPrefix="edit-admin"
            legend="Permissions"
            value={editing.permissions}
            onValue={(permissions) => setEditing({ ...editing, permissions })}
          />
        )}
        <p class="hint">Saving signs this admin out everywhere, so the change applies at once.</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this admin?"
        busy={busy === 'delete'}
        onConfirm={remove}
        onClose={() => setDeleting(null)}
      >
        <p>
          Delete the admin <strong>{deleting?.email}</strong>? They can no longer sign in.
        </p>
      </ConfirmDialog>
    </>
  );
}
