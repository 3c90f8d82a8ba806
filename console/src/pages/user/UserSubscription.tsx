import { useState } from 'preact/hooks';
import { api, ok, type Plan, type Subscription, type User } from '../../api/client';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Checkbox, errorFor, Select, TextArea } from '../../components/fields';
import { useAction } from '../../components/use-action';
import { useLoad } from '../../components/use-load';
import { formatDateTime, formatMoney } from '../../format';
import { can } from '../../session';

type Cycle = 'monthly' | 'yearly';

function planLabel(p: Plan): string {
  const m = p.price.monthly ? `${formatMoney(p.price.monthly.amount, p.price.monthly.currency)}/month` : null;
  const y = p.price.yearly ? `${formatMoney(p.price.yearly.amount, p.price.yearly.currency)}/year` : null;
  return `${p.displayName || p.name} (${[m, y].filter(Boolean).join(', ') || 'no price'})`;
}

function Summary({ s }: { s: Subscription }) {
  return (
    <dl class="facts">
      <dt>Plan</dt>
      <dd>{s.plan ? `${s.plan.displayName || s.plan.name}` : s.planId}</dd>
      <dt>Billing cycle</dt>
      <dd>{s.billingCycle}</dd>
      <dt>Price</dt>
      <dd>{s.price ? formatMoney(s.price.amount, s.price.currency) : '—'}</dd>
      <dt>Status</dt>
      <dd>{s.cancelAtPeriodEnd ? `${s.status}, ends at the end of the period` : s.status}</dd>
      <dt>Current period</dt>
      <dd>
        {formatDateTime(s.currentPeriodStart)} to {formatDateTime(s.currentPeriodEnd)}
      </dd>
      {s.cancelReason && (
        <>
          <dt>Cancel reason</dt>
          <dd>{s.cancelReason}</dd>
        </>
      )}
    </dl>
  );
}

function History({ s }: { s: Subscription }) {
  return (
    <details>
      <summary>History ({s.history.length})</summary>
      <div class="table-scroll">
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Event</th>
              <th scope="col">By</th>
            </tr>
          </thead>
          <tbody>
            {s.history.map((h) => (
              <tr key={`${h.at}-${h.type}`}>
                <td class="nowrap">{formatDateTime(h.at)}</td>
                <td>{h.type}</td>
                <td>{h.actor}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </details>
  );
}

/** The live subscription of a parent account, and (with manage_subscriptions) subscribe, change or cancel it on their behalf. */
export function UserSubscription({ user, subscription, changed }: { user: User; subscription: Subscription | null; changed: () => void }) {
  const manage = can('manage_subscriptions') && user.role === 'parent';
  const plans = useLoad(async () => (manage ? (await ok(api.GET('/api/v1/subscription/plans', {}))).data : []), [manage]);
  const [planId, setPlanId] = useState(subscription?.planId ?? '');
  const [cycle, setCycle] = useState<Cycle>(subscription?.billingCycle ?? 'monthly');
  const [cancelling, setCancelling] = useState(false);
  const [reason, setReason] = useState('');
  const [now, setNow] = useState(false);
  const { busy, errors, run } = useAction();
  const userPath = { path: { userId: user.id } };

  const options = (plans.data ?? []).map((p) => ({ value: p.id, label: planLabel(p) }));
  if (subscription && !options.some((o) => o.value === subscription.planId)) {
    options.unshift({ value: subscription.planId, label: `${subscription.plan?.displayName ?? 'Current plan'} (current)` });
  }
  const chosen = planId || options[0]?.value || '';

  const subscribe = async () => {
    const body = { planId: chosen, billingCycle: cycle };
    if (
      await run(
        'subscribe',
        () => ok(api.POST('/api/v1/admin/users/{userId}/subscription', { params: userPath, body })),
        (b) => b.message,
      )
    )
      changed();
  };
  const change = async () => {
    const body = { planId: chosen, billingCycle: cycle };
    if (
      await run(
        'change',
        () => ok(api.PUT('/api/v1/admin/users/{userId}/subscription', { params: userPath, body })),
        (b) => b.message,
      )
    )
      changed();
  };
  const cancel = async () => {
    const body = { ...(reason.trim() ? { reason: reason.trim() } : {}), immediately: now };
    const done = await run(
      'cancel',
      () => ok(api.POST('/api/v1/admin/users/{userId}/subscription/cancel', { params: userPath, body })),
      (b) => b.message,
    );
    setCancelling(false);
    if (done) changed();
  };

  if (user.role === 'child') return <p>A child account uses its parent's subscription: see the parent's page.</p>;
  return (
    <>
      {subscription ? (
        <>
          <Summary s={subscription} />
          <History s={subscription} />
        </>
      ) : (
        <p>No live subscription.</p>
      )}
      {manage && (
        <form
          class="inline-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            void (subscription ? change() : subscribe());
          }}
        >
          <Select id="sub-plan" label="Plan" value={chosen} onValue={setPlanId} options={options} error={errorFor(errors, 'planId')} />
          <Select
            id="sub-cycle"
            label="Billing cycle"
            value={cycle}
            onValue={(v) => setCycle(v as Cycle)}
            options={[
              { value: 'monthly', label: 'Monthly' },
              { value: 'yearly', label: 'Yearly' },
            ]}
            error={errorFor(errors, 'billingCycle')}
          />
          <div class="actions">
            {subscription ? (
              <>
                <button type="submit" class="primary" disabled={busy === 'change' || !chosen}>
                  Change subscription
                </button>
                <button type="button" class="danger" onClick={() => setCancelling(true)} disabled={busy === 'cancel'}>
                  Cancel subscription
                </button>
              </>
            ) : (
              <button type="submit" class="primary" disabled={busy === 'subscribe' || !chosen}>
                Subscribe
              </button>
            )}
          </div>
        </form>
      )}
      <ConfirmDialog
        open={cancelling}
        title="Cancel this subscription?"
        busy={busy === 'cancel'}
        onConfirm={cancel}
        onClose={() => setCancelling(false)}
      >
        <p>
          Cancel the subscription of <strong>{user.email}</strong>? By default it stays usable until the end of the current period.
        </p>
        <TextArea id="cancel-reason" label="Reason (optional)" value={reason} onValue={setReason} rows={2} />
        <Checkbox id="cancel-now" label="End it now instead of at the end of the period" checked={now} onChecked={setNow} />
      </ConfirmDialog>
    </>
  );
}
