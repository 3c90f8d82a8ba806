import { useEffect, useState } from 'preact/hooks';
import { api, ok, type User } from '../api/client';
import { Select, TextField } from '../components/fields';
import { useAction } from '../components/use-action';
import { formatDate } from '../format';
import { href } from '../router';
import { can, useSession } from '../session';

type Status = 'active' | 'deactivated';
type Role = 'parent' | 'child';
interface Filters {
  search: string;
  status: '' | Status;
  role: '' | Role;
}

const PAGE = 25;

async function fetchPage(f: Filters, cursor: string | null) {
  const query = {
    limit: PAGE,
    ...(f.search.trim() ? { search: f.search.trim() } : {}),
    ...(f.status ? { status: f.status } : {}),
    ...(f.role ? { role: f.role } : {}),
    ...(cursor ? { cursor } : {}),
  };
  return ok(api.GET('/api/v1/admin/users', { params: { query } }));
}

/** `#/users`: the directory, searched and filtered, in keyset pages ("Load more" follows meta.next_cursor). */
export function UsersPage() {
  const session = useSession();
  const [form, setForm] = useState<Filters>({ search: '', status: '', role: '' });
  const [shown, setShown] = useState<{ filters: Filters; users: User[]; next: string | null; total: number | null } | null>(null);
  const { busy, run } = useAction();

  const search = async (filters: Filters) => {
    const body = await run('search', () => fetchPage(filters, null));
    if (body) setShown({ filters, users: body.data, next: body.meta.next_cursor, total: body.meta.total });
  };
  const more = async () => {
    if (!shown?.next) return;
    const body = await run('more', () => fetchPage(shown.filters, shown.next));
    if (!body) return;
    const first = shown.users.length;
    setShown({ ...shown, users: [...shown.users, ...body.data], next: body.meta.next_cursor });
    // the keyboard goes on from the first user loaded (the button may be gone)
    requestAnimationFrame(() => document.querySelectorAll<HTMLElement>('tbody a')[first]?.focus());
  };

  // the newest users, before any search
  useEffect(() => {
    if (can('view_user_details')) void search(form);
  }, []);

  if (!can('view_user_details', session)) {
    return (
      <>
        <h1 tabIndex={-1}>Users</h1>
        <p>You do not have permission to view users.</p>
      </>
    );
  }
  return (
    <>
      <h1 tabIndex={-1}>Users</h1>
      <form
        class="panel filters"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void search(form);
        }}
      >
        <TextField
          id="users-search"
          label="Search users"
          type="search"
          value={form.search}
          onValue={(search) => setForm({ ...form, search })}
          hint="The beginning of a word of the name or email"
        />
        <Select
          id="users-status"
          label="Status"
          value={form.status}
          onValue={(v) => setForm({ ...form, status: v as Filters['status'] })}
          options={[
            { value: '', label: 'Any status' },
            { value: 'active', label: 'Active' },
            { value: 'deactivated', label: 'Deactivated' },
          ]}
        />
        <Select
          id="users-role"
          label="Role"
          value={form.role}
          onValue={(v) => setForm({ ...form, role: v as Filters['role'] })}
          options={[
            { value: '', label: 'Any role' },
            { value: 'parent', label: 'Parent' },
            { value: 'child', label: 'Child' },
          ]}
        />
        <div class="filter-submit">
          <button type="submit" class="primary" disabled={busy === 'search'}>
            Search
          </button>
        </div>
      </form>
      {shown && (
        <>
          <p class="muted" aria-live="polite">
            {shown.total === null ? `${shown.users.length} shown` : `${shown.users.length} of ${shown.total} shown`}
          </p>
          <div class="table-scroll">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {shown.users.length === 0 ? (
                  <tr>
                    <td colSpan={5}>No user matches.</td>
                  </tr>
                ) : (
                  shown.users.map((u) => (
                    <tr key={u.id}>
                      <td>{u.name}</td>
                      <td>
                        <a href={href(`/users/${u.id}`)}>{u.email}</a>
                      </td>
                      <td>{u.role}</td>
                      <td>
                        <span class={`badge badge-${u.status}`}>{u.status}</span>
                      </td>
                      <td>{formatDate(u.created_at)}</td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
          {shown.next && (
            <button type="button" onClick={more} disabled={busy === 'more'}>
              Load more
            </button>
          )}
        </>
      )}
    </>
  );
}
