import { api, messageOf, ok, type User } from '../api/client';
import { Section } from '../components/fields';
import { useLoad } from '../components/use-load';
import { formatDateTime } from '../format';
import { href } from '../router';
import { can, useSession } from '../session';
import { AuditTable } from './audit/AuditTable';
import { UserActions } from './user/UserActions';
import { UserSubscription } from './user/UserSubscription';

function Profile({ user }: { user: User }) {
  return (
    <dl class="facts">
      <dt>Email</dt>
      <dd>{user.email}</dd>
      <dt>Name</dt>
      <dd>{user.name || '—'}</dd>
      <dt>Phone</dt>
      <dd>{user.phone ?? '—'}</dd>
      <dt>Role</dt>
      <dd>{user.role}</dd>
      <dt>Status</dt>
      <dd>
        <span class={`badge badge-${user.status}`}>{user.status}</span>
      </dd>
      {user.role === 'child' && (
        <>
          <dt>Permissions</dt>
          <dd>{user.permissions.length ? user.permissions.join(', ') : 'none'}</dd>
        </>
      )}
      <dt>Last sign-in</dt>
      <dd>{formatDateTime(user.last_login_at)}</dd>
      <dt>Created</dt>
      <dd>{formatDateTime(user.created_at)}</dd>
      <dt>Updated</dt>
      <dd>{formatDateTime(user.updated_at)}</dd>
    </dl>
  );
}

function RecentAudit({ userId }: { userId: string }) {
  const { data, error } = useLoad(
    () => ok(api.GET('/api/v1/admin/audit-log', { params: { query: { target_id: userId, limit: 10 } } })).then((b) => b.data),
    [userId],
  );
  if (error) return <p class="field-error">The audit entries could not be loaded: {messageOf(error)}</p>;
  if (!data) return <p class="muted">Loading…</p>;
  return <AuditTable entries={data} />;
}

/** `#/users/<id>`: everything about one account, and what an admin may do to it. */
export function UserPage({ id }: { id: string }) {
  const session = useSession();
  const { data, error, reload } = useLoad(
    () => ok(api.GET('/api/v1/admin/users/{userId}', { params: { path: { userId: id } } })).then((b) => b.data),
    [id],
  );
  const user = data?.user;
  return (
    <>
      <p class="crumbs">
        <a href={href('/users')}>Users</a>
      </p>
      <h1 tabIndex={-1}>{user ? user.name || user.email : error ? 'User' : 'Loading user…'}</h1>
      {error !== null && !data && <p class="field-error">{messageOf(error)}</p>}
      {data && user && (
        <>
          {can('manage_users', session) && <UserActions user={user} changed={reload} />}
          <Section id="user-profile" title="Profile">
            <Profile user={user} />
          </Section>
          {data.parent && (
            <Section id="user-parent" title="Parent">
              <p>
                <a href={href(`/users/${data.parent.id}`)}>{data.parent.email}</a> ({data.parent.name})
              </p>
            </Section>
          )}
          {data.children.length > 0 && (
            <Section id="user-children" title="Children">
              <ul>
                {data.children.map((c) => (
                  <li key={c.id}>
                    <a href={href(`/users/${c.id}`)}>{c.email}</a> ({c.name}, {c.status})
                  </li>
                ))}
              </ul>
            </Section>
          )}
          <Section id="user-subscription" title="Subscription">
            <UserSubscription key={data.subscription?.id ?? 'none'} user={user} subscription={data.subscription} changed={reload} />
          </Section>
          <Section id="user-organisations" title="Organisations">
            <p>
              Created {data.organisations.created} organisation{data.organisations.created === 1 ? '' : 's'}; a member of{' '}
              {data.organisations.member}.
            </p>
            {data.organisations.items.length > 0 && (
              <div class="table-scroll">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Organisation</th>
                      <th scope="col">Their part</th>
                      <th scope="col">Members</th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.organisations.items.map((o) => (
                      <tr key={o.orgId}>
                        <th scope="row">{o.name}</th>
                        <td>{o.creator ? 'Creator' : 'Member'}</td>
                        <td class="num">{o.members}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </Section>
          <Section id="user-audit" title="Recent audit entries">
            {can('view_audit_log', session) ? (
              <RecentAudit key={`${user.updated_at}|${data.subscription?.updatedAt ?? ''}`} userId={id} />
            ) : (
              <p>You do not have permission to view the audit log.</p>
            )}
          </Section>
        </>
      )}
    </>
  );
}
