/**
 * Real accounts and records, so fuzzed requests carry valid tokens and name ids that exist: a parent
 * user, its child, a "victim" user for the admin user routes, the superadmin, a staff admin to be
 * deleted or re-permissioned, a plan, an organisation. Fuzzing deletes and deactivates some of
 * them now and then (a valid request is a valid request), so `ensure()` re-creates whatever is gone
 * before each operation's batch.
 */
import type { App } from '../../src/app.js';
import { type Client, jsonCall } from './http.js';

export interface Fixtures {
  parent: { id: string; email: string; token: string };
  child: { id: string; token: string };
  victim: { id: string };
  admin: { id: string; email: string; token: string };
  staff: { id: string };
  plan: { id: string; category: string };
  org: { id: string };
  notificationId: string | null;
}

const PASSWORD = 'fuzz fixture password 1';

export class FixtureKeeper {
  private n = 0;
  fx!: Fixtures;
  /** requests spent on set-up and re-creation (not counted as fuzz requests) */
  setupRequests = 0;

  constructor(
    private readonly client: Client,
    private readonly app: App,
  ) {}

  private async call(method: string, path: string, body?: unknown, token?: string) {
    this.setupRequests++;
    return jsonCall(this.client, method, path, body, token);
  }

  private async expect(method: string, path: string, status: number, body?: unknown, token?: string): Promise<any> {
    const res = await this.call(method, path, body, token);
    if (res.status !== status)
      throw new Error(`fixture ${method} ${path}: expected ${status}, got ${res.status} ${JSON.stringify(res.json).slice(0, 300)}`);
    return res.json;
  }

  private email(kind: string): string {
    return `fixture.${kind}.${++this.n}@example.com`;
  }

  async setup(): Promise<Fixtures> {
    const adminEmail = this.email('root');
    const created = await this.app.services.admins.bootstrapSuperadmin(adminEmail, PASSWORD);
    if (!created) throw new Error('bootstrapSuperadmin found a superadmin already in a fresh database');
    const login = await this.expect('POST', '/api/v1/admin/login', 200, { email: adminEmail, password: PASSWORD });
    const admin = { id: created.id, email: adminEmail, token: String(login.token) };
    this.fx = { admin } as Fixtures;
    this.fx.staff = await this.newStaff();
    this.fx.plan = await this.newPlan();
    await this.newFamily();
    this.fx.victim = await this.newVictim();
    return this.fx;
  }

  private async newUser(kind: string): Promise<{ id: string; email: string; token: string }> {
    const email = this.email(kind);
    const res = await this.expect('POST', '/api/v1/auth/register', 201, { name: `Fixture ${kind}`, email, password: PASSWORD });
    return { id: String(res.data.user.id), email, token: String(res.token) };
  }

  private async newStaff(): Promise<{ id: string }> {
    const body = { email: this.email('staff'), password: PASSWORD, name: 'Fixture Staff', permissions: ['view_user_details'] };
    const res = await this.expect('POST', '/api/v1/admin/admins', 201, body, this.fx.admin.token);
    return { id: String(res.data.id) };
  }

  private async newPlan(): Promise<{ id: string; category: string }> {
    const body = {
      name: `fixture-plan-${++this.n}`,
      price: { monthly: { amount: 10, currency: 'USD' }, yearly: { amount: 100, currency: 'USD' } },
      features: { teamMembers: 1000 },
      category: 'fuzz',
    };
    const res = await this.expect('POST', '/api/v1/admin/plans', 201, body, this.fx.admin.token);
    return { id: String(res.data.id), category: 'fuzz' };
  }

  private async newVictim(): Promise<{ id: string }> {
    const v = await this.newUser('victim');
    return { id: v.id };
  }

  /** A parent with a child, an organisation and a subscription (and maybe a notification). */
  private async newFamily(): Promise<void> {
    const parent = await this.newUser('parent');
    this.fx.parent = parent;
    await this.newChild();
    await this.newOrg();
    await this.call('POST', '/api/v1/users/subscribe', { planId: this.fx.plan.id, billingCycle: 'monthly' }, parent.token);
    const list = await this.call('GET', '/api/v1/notifications', undefined, parent.token);
    const first = list.json?.data?.notifications?.[0] ?? list.json?.data?.[0];
    this.fx.notificationId = first?.id ? String(first.id) : null;
  }

  private async newChild(): Promise<void> {
    const email = this.email('child');
    const body = { name: 'Fixture Child', email, password: PASSWORD, permissions: ['manage_billing'] };
    const res = await this.expect('POST', '/api/v1/users/children', 201, body, this.fx.parent.token);
    const login = await this.expect('POST', '/api/v1/auth/login', 200, { email, password: PASSWORD });
    this.fx.child = { id: String(res.data.id), token: String(login.token) };
  }

  private async newOrg(): Promise<void> {
    const res = await this.expect('POST', '/api/v1/organisations', 201, { name: `Fixture Org ${++this.n}` }, this.fx.parent.token);
    this.fx.org = { id: String(res.data.id ?? res.data.org_id) };
  }

  /** Re-creates what the last batch deleted, deactivated or revoked. */
  async ensure(): Promise<Fixtures> {
    const fx = this.fx;
    const me = await this.call('GET', `/api/v1/admin/admins/${fx.admin.id}`, undefined, fx.admin.token);
    if (me.status !== 200) {
      const login = await this.expect('POST', '/api/v1/admin/login', 200, { email: fx.admin.email, password: PASSWORD });
      fx.admin.token = String(login.token);
    }
    if ((await this.call('GET', `/api/v1/admin/admins/${fx.staff.id}`, undefined, fx.admin.token)).status !== 200)
      fx.staff = await this.newStaff();
    const plan = await this.call('GET', `/api/v1/admin/plans/${fx.plan.id}`, undefined, fx.admin.token);
    if (plan.status !== 200 || plan.json?.data?.status !== 'active') fx.plan = await this.newPlan();
    if ((await this.call('GET', '/api/v1/users/me', undefined, fx.parent.token)).status !== 200) {
      await this.newFamily();
    } else {
      if ((await this.call('GET', '/api/v1/users/me', undefined, fx.child.token)).status !== 200) await this.newChild();
      const orgs = await this.call('GET', '/api/v1/organisations', undefined, fx.parent.token);
      if (!JSON.stringify(orgs.json ?? '').includes(fx.org.id)) await this.newOrg();
    }
    const victim = await this.call('GET', `/api/v1/admin/users/${fx.victim.id}`, undefined, fx.admin.token);
    if (victim.status !== 200 || victim.json?.data?.status !== 'active') fx.victim = await this.newVictim();
    return fx;
  }
}
