import type { Plan, PlanFeatures } from '../../api/client';
import type { paths } from '../../api/schema';

/** The body of create (POST) and full update (PUT): the plan input schema of the service. */
export type PlanInput = NonNullable<paths['/api/v1/admin/plans']['post']['requestBody']>['content']['application/json'];

/** The form's state: text as typed. */
export interface PlanFormState {
  name: string;
  displayName: string;
  monthly: string;
  yearly: string;
  savings: string;
  currency: string;
  category: string;
  status: 'active' | 'inactive';
  recommended: boolean;
  features: string;
  customFeatures: string;
}

export const EMPTY: PlanFormState = {
  name: '',
  displayName: '',
  monthly: '',
  yearly: '',
  savings: '',
  currency: 'USD',
  category: '',
  status: 'active',
  recommended: false,
  features: '{\n  "teamMembers": 3\n}',
  customFeatures: '',
};

export function fromPlan(p: Plan): PlanFormState {
  return {
    name: p.name,
    displayName: p.displayName,
    monthly: p.price.monthly ? String(p.price.monthly.amount) : '',
    yearly: p.price.yearly ? String(p.price.yearly.amount) : '',
    savings: p.price.yearly?.savings != null ? String(p.price.yearly.savings) : '',
    currency: p.price.monthly?.currency ?? p.price.yearly?.currency ?? 'USD',
    category: p.category,
    status: p.status,
    recommended: p.recommended,
    features: JSON.stringify(p.features, null, 2),
    customFeatures: p.customFeatures.join('\n'),
  };
}

/** What the form checks before sending: the JSON of the features, and numbers that are numbers. Keyed by the API's field names. */
export type LocalErrors = { field: string; message: string }[];

function amount(text: string, field: string, errors: LocalErrors): number | undefined {
  if (!text.trim()) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n)) errors.push({ field, message: 'must be a number' });
  return n;
}

export function toInput(s: PlanFormState): { input: PlanInput | null; errors: LocalErrors } {
  const errors: LocalErrors = [];
  let features: PlanFeatures | undefined;
  if (s.features.trim()) {
    try {
      const parsed: unknown = JSON.parse(s.features);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        errors.push({ field: 'features', message: 'must be a JSON object, such as {"teamMembers": 5}' });
      } else {
        // its keys and values are the service's to check (a 422 names the field)
        features = parsed as PlanFeatures;
      }
    } catch (err) {
      errors.push({ field: 'features', message: `is not valid JSON: ${(err as Error).message}` });
    }
  }
  const monthly = amount(s.monthly, 'price.monthly.amount', errors);
  const yearly = amount(s.yearly, 'price.yearly.amount', errors);
  const savings = amount(s.savings, 'price.yearly.savings', errors);
  if (errors.length) return { input: null, errors };
  const currency = s.currency.trim().toUpperCase();
  const customFeatures = s.customFeatures
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const input: PlanInput = {
    name: s.name.trim(),
    price: {
      ...(monthly !== undefined ? { monthly: { amount: monthly, currency } } : {}),
      ...(yearly !== undefined ? { yearly: { amount: yearly, currency, ...(savings !== undefined ? { savings } : {}) } } : {}),
    },
    ...(s.displayName.trim() ? { displayName: s.displayName.trim() } : {}),
    ...(s.category.trim() ? { category: s.category.trim() } : {}),
    ...(features ? { features } : {}),
    customFeatures,
    recommended: s.recommended,
    status: s.status,
  };
  return { input, errors };
}
