import { useState } from 'preact/hooks';
import { api, messageOf, ok, type Plan } from '../api/client';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { useAction } from '../components/use-action';
import { useLoad } from '../components/use-load';
import { formatMoney } from '../format';
import { href, navigate } from '../router';
import { can, useSession } from '../session';

const price = (p: { amount: number; currency: string } | null) => (p ? formatMoney(p.amount, p.currency) : '—');

/** `#/plans`: every plan with its status; activate or deactivate, delete (soft), and the way to the forms. */
export function PlansPage() {
  const session = useSession();
  const allowed = can('manage_plans', session);
  const { data, error, reload } = useLoad(
    async () => (allowed ? (await ok(api.GET('/api/v1/admin/plans', { params: { query: {} } }))).data : []),
    [allowed],
  );
  const { busy, run } = useAction();
  const [deleting, setDeleting] = useState<Plan | null>(null);

  const setStatus = async (p: Plan, status: 'active' | 'inactive') => {
    const params = { path: { planId: p.id } };
    if (
      await run(
        `status-${p.id}`,
        () => ok(api.POST('/api/v1/admin/plans/{planId}/status', { params, body: { status } })),
        (b) => b.message,
      )
    )
      reload();
  };
  const remove = async () => {
    const p = deleting;
    if (!p) return;
    const done = await run(
      `delete-${p.id}`,
      () => ok(api.DELETE('/api/v1/admin/plans/{planId}', { params: { path: { planId: p.id } } })),
      (b) => b.message,
    );
    setDeleting(null);
    if (done) reload();
  };

  if (!allowed) {
    return (
      <>
        <h1 tabIndex={-1}>Plans</h1>
        <p>You do not have permission to manage plans.</p>
      </>
    );
  }
  return (
    <>
      <h1 tabIndex={-1}>Plans</h1>
      <div class="actions">
        <button type="button" class="primary" onClick={() => navigate('/plans/new')}>
          New plan
        </button>
      </div>
      {error !== null && <p class="field-error">The plans could not be loaded: {messageOf(error)}</p>}
      {data && (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Display name</th>
                <th scope="col">Category</th>
                <th scope="col">Monthly</th>
                <th scope="col">Yearly</th>
                <th scope="col">Status</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {data.length === 0 ? (
                <tr>
                  <td colSpan={7}>No plans yet.</td>
                </tr>
              ) : (
                data.map((p) => (
                  <tr key={p.id}>
                    <td>
                      <a href={href(`/plans/${p.id}`)}>{p.name}</a>
                    </td>
                    <td>{p.displayName}</td>
                    <td>{p.category}</td>
                    <td class="num">{price(p.price.monthly)}</td>
                    <td class="num">{price(p.price.yearly)}</td>
                    <td>
                      <span class={`badge badge-${p.status}`}>{p.status}</span>
                      {p.recommended && <span class="badge badge-info">recommended</span>}
                    </td>
                    <td class="row-actions">
                      {p.status === 'active' ? (
                        <button type="button" onClick={() => setStatus(p, 'inactive')} disabled={busy === `status-${p.id}`}>
                          Deactivate
                        </button>
                      ) : (
                        <button type="button" onClick={() => setStatus(p, 'active')} disabled={busy === `status-${p.id}`}>
                          Activate
                        </button>
                      )}
                      <button type="button" class="danger" onClick={() => setDeleting(p)} disabled={busy === `delete-${p.id}`}>
                        Delete
                      </button>
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this plan?"
        busy={deleting !== null && busy === `delete-${deleting.id}`}
        onConfirm={remove}
        onClose={() => setDeleting(null)}
      >
        <p>
          Delete the plan <strong>{deleting?.name}</strong>? It disappears from every list and takes no new subscriptions; existing
          subscriptions keep running and renewing.
        </p>
      </ConfirmDialog>
    </>
  );
}
