import { useEffect, useState } from 'preact/hooks';
import { api, type FieldError, messageOf, ok } from '../api/client';
import { Checkbox, errorFor, Select, TextArea, TextField } from '../components/fields';
import { useAction } from '../components/use-action';
import { useLoad } from '../components/use-load';
import { href, navigate } from '../router';
import { can, useSession } from '../session';
import { showError } from '../toast';
import { EMPTY, fromPlan, type PlanFormState, toInput } from './plan/plan-input';

/** `#/plans/new` and `#/plans/<id>`: the plan input schema as a form; the features' JSON is checked before it is sent. */
export function PlanForm({ id }: { id: string | null }) {
  const session = useSession();
  const allowed = can('manage_plans', session);
  const existing = useLoad(
    async () => (id && allowed ? (await ok(api.GET('/api/v1/admin/plans/{planId}', { params: { path: { planId: id } } }))).data : null),
    [id, allowed],
  );
  const [form, setForm] = useState<PlanFormState>(EMPTY);
  const [local, setLocal] = useState<FieldError[]>([]);
  const { busy, errors: remote, run } = useAction();
  const errors = [...local, ...remote];
  const at = (...fields: string[]) => errorFor(errors, ...fields);
  const put =
    <K extends keyof PlanFormState>(key: K) =>
    (value: PlanFormState[K]) =>
      setForm((f) => ({ ...f, [key]: value }));

  useEffect(() => {
    if (existing.data) setForm(fromPlan(existing.data));
  }, [existing.data]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const { input, errors: found } = toInput(form);
    setLocal(found);
    if (!input) {
      showError(new Error('The plan was not saved: correct the fields marked below.'));
      return;
    }
    const saved = id
      ? await run(
          'save',
          () => ok(api.PUT('/api/v1/admin/plans/{planId}', { params: { path: { planId: id } }, body: input })),
          (b) => b.message,
        )
      : await run(
          'save',
          () => ok(api.POST('/api/v1/admin/plans', { body: input })),
          (b) => b.message,
        );
    if (saved) navigate('/plans');
  };

  const title = id ? `Edit plan${existing.data ? ` ${existing.data.name}` : ''}` : 'New plan';
  if (!allowed) {
    return (
      <>
        <h1 tabIndex={-1}>{title}</h1>
        <p>You do not have permission to manage plans.</p>
      </>
    );
  }
  return (
    <>
      <p class="crumbs">
        <a href={href('/plans')}>Plans</a>
      </p>
      <h1 tabIndex={-1}>{title}</h1>
      {existing.error !== null && <p class="field-error">{messageOf(existing.error)}</p>}
      <form class="panel plan-form" noValidate onSubmit={submit} aria-label={title}>
        <TextField id="plan-name" label="Name" required value={form.name} onValue={put('name')} error={at('name')} maxLength={100} />
        <TextField
          id="plan-display-name"
          label="Display name"
          value={form.displayName}
          onValue={put('displayName')}
          error={at('displayName')}
        />
        <div class="field-row">
          <TextField
            id="plan-monthly"
            label="Monthly price"
            type="number"
            step="0.01"
            min="0"
            value={form.monthly}
            onValue={put('monthly')}
            error={at('price.monthly.amount', 'price.monthly')}
            hint="Empty: no monthly billing"
          />
          <TextField
            id="plan-yearly"
            label="Yearly price"
            type="number"
            step="0.01"
            min="0"
            value={form.yearly}
            onValue={put('yearly')}
            error={at('price.yearly.amount', 'price.yearly')}
            hint="Empty: no yearly billing"
          />
          <TextField
            id="plan-savings"
            label="Yearly savings"
            type="number"
            step="0.01"
            min="0"
            value={form.savings}
            onValue={put('savings')}
            error={at('price.yearly.savings')}
            hint="Optional, shown on pricing pages"
          />
          <TextField
            id="plan-currency"
            label="Currency"
            value={form.currency}
            onValue={put('currency')}
            error={at('price.monthly.currency', 'price.yearly.currency')}
            hint="Three letters (ISO 4217), e.g. USD"
            maxLength={3}
          />
        </div>
        <div class="field-row">
          <TextField id="plan-category" label="Category" value={form.category} onValue={put('category')} error={at('category')} />
          <Select
            id="plan-status"
            label="Status"
            value={form.status}
            onValue={(v) => put('status')(v === 'inactive' ? 'inactive' : 'active')}
            options={[
              { value: 'active', label: 'Active' },
              { value: 'inactive', label: 'Inactive' },
            ]}
            error={at('status')}
          />
        </div>
        <Checkbox
          id="plan-recommended"
          label="Recommended"
          checked={form.recommended}
          onChecked={put('recommended')}
          error={at('recommended')}
        />
        <TextArea
          id="plan-features"
          label="Features (JSON)"
          rows={8}
          value={form.features}
          onValue={put('features')}
          error={at('features.*')}
          hint="The limits as a JSON object: teamMembers, socialAccounts {total, perPlatform}, posting {postsPerDay, bulkScheduling, autoScheduling}, analytics {reportTypes, exportFormats, retentionDays}, support, additional"
        />
        <TextArea
          id="plan-custom-features"
          label="Custom features (one per line)"
          rows={4}
          value={form.customFeatures}
          onValue={put('customFeatures')}
          error={at('customFeatures.*')}
        />
        <button type="submit" class="primary" disabled={busy === 'save' || (id !== null && !existing.data)}>
          Save plan
        </button>
      </form>
    </>
  );
}
