/**
 * What the plans-*.test.ts files share: the documented spellings, the seed's request bodies
 * verbatim, and the assertions and row reads they use.
 */
import { expect } from 'vitest';
import type { Harness, Response } from './harness.js';

export const UNKNOWN_ID = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
export const NOT_FOUND = 'Subscription plan not found';

// documented spellings (seeds/sociox-api.md, seeds/hng-stage2-api.md, contract §2)
export const ADMIN_PLANS = '/api/admin/subscription/plans'; // POST, GET/PUT {planId}
export const ADMIN_PLANS_V1 = '/api/v1/admin/subscription/plans'; // GET list
export const customFeaturesUrl = (id: string) => `/api/admin/subscription/plans/${id}/features`; // PATCH
export const planFeaturesUrl = (id: string) => `/api/subscriptions/plan-features/${id}`; // PUT
export const statusUrl = (id: string) => `/api/subscription/admin/plans/${id}/status`; // POST
export const deleteUrl = (id: string) => `/api/subscription/admin/plans/${id}`; // DELETE
export const PUBLIC_PLANS = '/api/v1/subscription/plans';
export const HNG = '/api/subscription';
// canonical routes
export const CANON = '/api/v1/admin/plans';
export const HNG_CANON = '/api/v1/subscription';

/** seeds/sociox-api.md "create plan", verbatim */
export function premiumBody() {
  return {
    name: 'premium',
    displayName: 'Premium Plan',
    price: {
      monthly: { amount: 29.99, currency: 'USD' },
      yearly: { amount: 299.99, currency: 'USD', savings: 60 },
    },
    features: {
      socialAccounts: { total: 10, perPlatform: { facebook: 3, instagram: 3, twitter: 4 } },
      teamMembers: 5,
      posting: { postsPerDay: 20, bulkScheduling: true, autoScheduling: true },
      analytics: { reportTypes: ['basic', 'advanced'], exportFormats: ['pdf', 'csv'], retentionDays: 365 },
      support: '24/7',
      additional: { customBranding: true, apiAccess: true, contentCalendar: true, hashtagManager: true },
    },
    recommended: true,
    category: 'enterprise',
  };
}

/** seeds/sociox-api.md "update plan", verbatim */
export function basicBody() {
  return {
    name: 'basic',
    displayName: 'Basic Plan',
    price: {
      monthly: { amount: 29.99, currency: 'USD' },
      yearly: { amount: 299.99, currency: 'USD', savings: 59.89 },
    },
    features: {
      socialAccounts: { total: 5, perPlatform: { facebook: 2, instagram: 2, twitter: 1 } },
      teamMembers: 3,
      posting: { postsPerDay: 10, bulkScheduling: true, autoScheduling: false },
      analytics: { reportTypes: ['basic', 'advanced'], exportFormats: ['pdf', 'csv'], retentionDays: 30 },
      support: 'email',
      additional: { customBranding: false, apiAccess: false, contentCalendar: true, hashtagManager: true },
    },
    recommended: false,
    category: 'basic',
  };
}

/** seeds/sociox-api.md "update both features", verbatim */
export function bothFeaturesBody() {
  return {
    features: {
      socialAccounts: { total: 15, perPlatform: { facebook: 5, instagram: 5, twitter: 5 } },
      teamMembers: 10,
      posting: { postsPerDay: 50, bulkScheduling: true, autoScheduling: true },
      analytics: { reportTypes: ['basic', 'advanced'], exportFormats: ['pdf', 'csv'], retentionDays: 90 },
      support: 'priority',
    },
    customFeatures: ['White label reports', 'Custom URL shortener', 'Advanced team permissions'],
  };
}

/** seeds/sociox-api.md "update custom features", verbatim */
export const SEED_CUSTOM_FEATURES = ['White label reports', 'Custom URL shortener', 'Advanced team permissions', 'API rate limit increase'];

/** A small valid plan that differs from the seed's in name (and whatever else is overridden). */
export function planBody(name: string, overrides: Record<string, unknown> = {}) {
  return {
    name,
    displayName: `${name} plan`,
    price: { monthly: { amount: 9.5, currency: 'USD' } },
    features: { teamMembers: 2 },
    category: 'starter',
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------------------
// helpers

export function expectError(res: Response, status: number, code?: string, message?: string): void {
  expect(res.statusCode, res.body).toBe(status);
  const body = res.json();
  expect(body.status).toBe(false);
  expect(typeof body.message).toBe('string');
  if (code) expect(body.code).toBe(code);
  if (message !== undefined) expect(body.message).toBe(message);
}

export function names(res: Response): string[] {
  expect(res.statusCode, res.body).toBe(200);
  return (res.json().data as { name: string }[]).map((p) => p.name).sort();
}

export function expectPremium(data: any): void {
  const seed = premiumBody();
  expect(data).toMatchObject({
    name: seed.name,
    displayName: seed.displayName,
    price: {
      monthly: { amount: 29.99, currency: 'USD' },
      yearly: { amount: 299.99, currency: 'USD', savings: 60 },
    },
    features: seed.features,
    recommended: true,
    category: 'enterprise',
    status: 'active',
  });
  expect(data.features).toEqual(seed.features);
  expect(data.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
}

// ---------------------------------------------------------------------------------------------

/** Bound to a getter: the file's Harness is made in its beforeAll, after these are. */
export function planHelpers(harness: () => Harness) {
  return {
    async userToken(): Promise<string> {
      return (await harness().registerUser()).token;
    },

    async stored(id: string) {
      const { rows } = await harness().db.query<Record<string, unknown>>(
        `select monthly_amount::text as monthly_amount, yearly_amount::text as yearly_amount, yearly_savings::text as yearly_savings,
            monthly_currency, status, deleted_at from plans where id = $1`,
        [id],
      );
      return rows[0];
    },

    async auditRows(action: string, targetId?: string) {
      const { rows } = await harness().db.query<{
        action: string;
        target_type: string;
        target_id: string | null;
        admin_email: string;
        detail: Record<string, unknown>;
      }>(
        `select action, target_type, target_id, admin_email, detail from audit_log where action = $1 ${targetId ? 'and target_id = $2' : ''} order by id`,
        targetId ? [action, targetId] : [action],
      );
      return rows;
    },
  };
}
