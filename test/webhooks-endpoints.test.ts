/**
 * Signed webhooks (issue 12): endpoint secrets, changes and validation, and the private-address (SSRF) rules.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_PERMISSIONS } from '../src/modules/admins/permissions.js';
import { isPrivateAddress, send } from '../src/modules/webhooks/sender.js';
import { type Admin, adminWith, countRows, fieldsOf } from './helpers/fixtures.js';
import type { Harness } from './helpers/harness.js';
import { typesOf, verifies, WEBHOOKS, webhookWorld } from './helpers/webhooks.js';

const world = webhookWorld();
const { rx, endpoint, auditCount } = world;
let h: Harness;
let url: string;
let admin: string;
let root: Admin;
beforeEach(() => {
  ({ h, url, admin, root } = world.current());
});

describe('secrets', () => {
  it('created with a whsec_ secret shown once; never listed; stored sealed; rotation signs with the new one only', async () => {
    const res = await h.post(WEBHOOKS, { url, events: ['user.created'] }, admin);
    expect(res.statusCode, res.body).toBe(201);
    const { id, secret } = res.json().data as { id: string; secret: string };
    expect(secret).toMatch(/^whsec_/);
    const key = secret.slice('whsec_'.length);
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    expect(Buffer.from(key, 'base64').toString('base64')).toBe(key);

    for (const path of [WEBHOOKS, `${WEBHOOKS}/${id}`]) {
      const got = await h.get(path, admin);
      expect(got.statusCode).toBe(200);
      expect(got.body).not.toContain('whsec_');
      expect(got.body).not.toContain(key);
      expect(got.body).not.toMatch(/"secret"/);
    }
    const { rows } = await h.db.query<{ secret: string }>('select secret from webhook_endpoints where id = $1', [id]);
    expect(rows[0]!.secret).not.toContain('whsec_');
    expect(rows[0]!.secret).not.toContain(key);
    expect(rows[0]!.secret).not.toContain(Buffer.from(key, 'base64').toString('hex'));

    await h.registerUser();
    await h.deliver();
    expect(verifies(secret, rx.got[0]!)).toBe(true);

    const rotated = await h.post(`${WEBHOOKS}/${id}/rotate-secret`, undefined, admin);
    expect(rotated.statusCode, rotated.body).toBe(200);
    const next = rotated.json().data.secret as string;
    expect(next).toMatch(/^whsec_/);
    expect(Buffer.from(next.slice(6), 'base64')).toHaveLength(32);
    expect(next).not.toBe(secret);
    expect(rotated.json().data.id).toBe(id);
    expect(await auditCount('webhook.rotate_secret', id)).toBe(1);
    const after = await h.db.query<{ secret: string }>('select secret from webhook_endpoints where id = $1', [id]);
    expect(after.rows[0]!.secret).not.toBe(rows[0]!.secret);
    expect(after.rows[0]!.secret).not.toContain('whsec_');
    expect((await h.get(`${WEBHOOKS}/${id}`, admin)).body).not.toContain('whsec_');

    await h.registerUser();
    await h.deliver();
    expect(rx.got).toHaveLength(2);
    expect(verifies(next, rx.got[1]!)).toBe(true);
    expect(verifies(secret, rx.got[1]!)).toBe(false);
    // the audit log does not hold it either
    const audit = await h.db.query<{ detail: unknown }>("select detail from audit_log where target_type = 'webhook_endpoint'");
    expect(JSON.stringify(audit.rows)).not.toContain('whsec_');
  });
});

describe('endpoints: changes and validation', () => {
  it('PATCH changes url, events, description and enabled, each with effect; every change is audited', async () => {
    const { id } = await endpoint(['user.created']);
    expect(await auditCount('webhook.create', id)).toBe(1);

    const moved = await h.patch(
      `${WEBHOOKS}/${id}`,
      { url: url.replace('/hook', '/moved'), events: ['plan.created', 'plan.created'] },
      admin,
    );
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json().data).toMatchObject({
      id,
      url: url.replace('/hook', '/moved'),
      events: ['plan.created'],
      description: 'test receiver',
    });
    expect(await auditCount('webhook.update', id)).toBe(1);
    await h.registerUser();
    const plan = await h.post(
      '/api/v1/admin/plans',
      { name: 'moved-plan', price: { monthly: { amount: 1, currency: 'USD' } } },
      root.token,
    );
    expect(plan.statusCode).toBe(201);
    await h.deliver();
    expect(typesOf(rx.got)).toEqual(['plan.created']);
    expect(rx.got[0]!.url).toBe('/moved');

    const described = await h.patch(`${WEBHOOKS}/${id}`, { description: 'billing service' }, admin);
    expect(described.json().data).toMatchObject({ description: 'billing service', events: ['plan.created'], enabled: true });
    const cleared = await h.patch(`${WEBHOOKS}/${id}`, { description: null }, admin);
    expect(cleared.json().data.description).toBeNull();
    const off = await h.patch(`${WEBHOOKS}/${id}`, { enabled: false }, admin);
    expect(off.json().data).toMatchObject({ enabled: false, disabledReason: 'disabled by an admin', url: url.replace('/hook', '/moved') });
    const got = (await h.get(`${WEBHOOKS}/${id}`, admin)).json().data;
    expect(got).toMatchObject({ id, enabled: false, description: null, events: ['plan.created'] });
    expect(await auditCount('webhook.update', id)).toBe(4);
    const list = (await h.get(WEBHOOKS, admin)).json().data as { id: string }[];
    expect(list.map((e) => e.id)).toEqual([id]);

    expect((await h.patch(`${WEBHOOKS}/${id}`, {}, admin)).statusCode).toBe(422);
    expect(await auditCount('webhook.update', id)).toBe(4);
  });

  it('an unknown event type or a non-URL: 422 naming the field, nothing created or changed', async () => {
    const unknown = await h.post(WEBHOOKS, { url, events: ['user.created', 'user.exploded'] }, admin);
    expect(unknown.statusCode, unknown.body).toBe(422);
    expect(fieldsOf(unknown).some((f) => f.startsWith('events'))).toBe(true);
    for (const bad of ['not a url', '/relative/path', 'ftp://127.0.0.1/x', 'javascript:alert(1)']) {
      const res = await h.post(WEBHOOKS, { url: bad, events: ['user.created'] }, admin);
      expect(res.statusCode, `${bad}: ${res.body}`).toBe(422);
      expect(fieldsOf(res), bad).toContain('url');
    }
    expect((await h.post(WEBHOOKS, { url, events: [] }, admin)).statusCode).toBe(422);
    expect((await h.post(WEBHOOKS, { url, events: ['webhook.test'] }, admin)).statusCode).toBe(422);
    expect(await countRows(h, 'webhook_endpoints')).toBe(0);

    const { id } = await endpoint(['user.created']);
    const patchUrl = await h.patch(`${WEBHOOKS}/${id}`, { url: 'not a url' }, admin);
    expect(patchUrl.statusCode).toBe(422);
    expect(fieldsOf(patchUrl)).toContain('url');
    const patchEvents = await h.patch(`${WEBHOOKS}/${id}`, { events: ['nope'] }, admin);
    expect(patchEvents.statusCode).toBe(422);
    expect(fieldsOf(patchEvents).some((f) => f.startsWith('events'))).toBe(true);
    expect((await h.get(`${WEBHOOKS}/${id}`, admin)).json().data).toMatchObject({ url, events: ['user.created'] });
    expect(await auditCount('webhook.update', id)).toBe(0);
  });

  it('DELETE: then 404 everywhere; its deliveries go with it; audited', async () => {
    const { id } = await endpoint(['user.created']);
    await h.registerUser();
    expect(await countRows(h, 'webhook_deliveries', 'endpoint_id = $1', [id])).toBe(1);
    const del = await h.delete(`${WEBHOOKS}/${id}`, admin);
    expect(del.statusCode, del.body).toBe(200);
    expect(await auditCount('webhook.delete', id)).toBe(1);
    expect((await h.get(`${WEBHOOKS}/${id}`, admin)).statusCode).toBe(404);
    expect((await h.patch(`${WEBHOOKS}/${id}`, { enabled: true }, admin)).statusCode).toBe(404);
    expect((await h.delete(`${WEBHOOKS}/${id}`, admin)).statusCode).toBe(404);
    expect((await h.post(`${WEBHOOKS}/${id}/rotate-secret`, undefined, admin)).statusCode).toBe(404);
    expect((await h.get(`${WEBHOOKS}/${id}/deliveries`, admin)).statusCode).toBe(404);
    expect((await h.post(`${WEBHOOKS}/${id}/test`, undefined, admin)).statusCode).toBe(404);
    expect(await countRows(h, 'webhook_deliveries', 'endpoint_id = $1', [id])).toBe(0);
    expect(await auditCount('webhook.delete', id)).toBe(1);
    await h.deliver();
    expect(rx.got).toHaveLength(0);
  });

  it('an admin without manage_webhooks: 403 on every route, nothing changed', async () => {
    const { id } = await endpoint(['user.created']);
    const other = await adminWith(
      h,
      ADMIN_PERMISSIONS.filter((p) => p !== 'manage_webhooks'),
      { by: root },
    );
    const calls: [string, string, unknown?][] = [
      ['POST', WEBHOOKS, { url, events: ['user.created'] }],
      ['GET', WEBHOOKS],
      ['GET', `${WEBHOOKS}/${id}`],
      ['PATCH', `${WEBHOOKS}/${id}`, { enabled: false }],
      ['DELETE', `${WEBHOOKS}/${id}`],
      ['POST', `${WEBHOOKS}/${id}/rotate-secret`],
      ['GET', `${WEBHOOKS}/${id}/deliveries`],
      ['POST', `${WEBHOOKS}/${id}/test`],
      ['POST', `${WEBHOOKS}/${id}/deliveries/${crypto.randomUUID()}/retry`],
    ];
    for (const [method, path, body] of calls) {
      const res = await h.request(method, path, { token: other.token, ...(body !== undefined ? { body } : {}) });
      expect(res.statusCode, `${method} ${path}`).toBe(403);
    }
    expect(await countRows(h, 'webhook_endpoints')).toBe(1);
    expect((await h.get(`${WEBHOOKS}/${id}`, admin)).json().data.enabled).toBe(true);
    expect(await countRows(h, 'webhook_events')).toBe(0);
  });
});

describe('private addresses refused (WEBHOOK_ALLOW_PRIVATE=false)', () => {
  let strict: Harness;
  beforeAll(async () => {
    // another instance on the same database, configured as in production
    strict = await h.sibling({ WEBHOOK_ALLOW_PRIVATE: 'false' });
  });
  afterAll(async () => {
    await strict.app.close();
  });

  it('at creation and change: plain http, loopback, private, link-local and their spellings are 422 naming url; nothing written', async () => {
    expect(strict.config.webhookAllowPrivate).toBe(false);
    const http = await strict.post(WEBHOOKS, { url: 'http://example.com/x', events: ['user.created'] }, admin);
    expect(http.statusCode, http.body).toBe(422);
    expect(fieldsOf(http)).toContain('url');
    expect(http.json().message).toMatch(/https/);
    for (const bad of [
      'https://127.0.0.1/x',
      'https://localhost/x',
      'https://169.254.169.254/latest',
      'https://[::1]/x',
      'https://10.0.0.1/x',
      'https://192.168.1.10/x',
      'https://172.16.5.4/x',
      'https://100.64.0.1/x',
      'https://0.0.0.0/x',
      'https://[fd00::1]/x',
      'https://[fe80::1]/x',
      'https://[::ffff:127.0.0.1]/x',
      'https://2130706433/x',
      'https://127.1/x',
      'https://0x7f.0.0.1/x',
      'https://user:pass@127.0.0.1/x',
    ]) {
      const res = await strict.post(WEBHOOKS, { url: bad, events: ['user.created'] }, admin);
      expect(res.statusCode, `${bad}: ${res.body}`).toBe(422);
      expect(fieldsOf(res), bad).toContain('url');
    }
    expect(await countRows(h, 'webhook_endpoints')).toBe(0);
    expect(await countRows(h, 'audit_log', "action like 'webhook.%'")).toBe(0);

    // allowed by the other instance, then pointed somewhere private through the strict one
    const { id } = await endpoint(['user.created']);
    const res = await strict.patch(`${WEBHOOKS}/${id}`, { url: 'https://169.254.169.254/latest' }, admin);
    expect(res.statusCode, res.body).toBe(422);
    expect(fieldsOf(res)).toContain('url');
    expect((await h.get(`${WEBHOOKS}/${id}`, admin)).json().data.url).toBe(url);
  });

  it('at delivery: an endpoint on 127.0.0.1 (made where allowed) gets nothing from the strict instance: refused for plain http, and over https for its address', async () => {
    const { id } = await endpoint(['user.created']);
    await h.registerUser();
    const sent = await strict.app.webhooks.deliverDue();
    expect(sent).toBe(1);
    expect(rx.got).toHaveLength(0);
    const [d] = await h.app.webhooks.deliveries(id, null, 10);
    expect(d).toMatchObject({ status: 'pending', attempts: 1, last_status: null });
    // saved as http while that was allowed: the rules of now refuse it before any connection
    expect(d!.last_error).toMatch(/https/);
    // the same host over https (written behind the service's back): refused for its address
    await h.db.query("update webhook_endpoints set url = replace(url, 'http://', 'https://') where id = $1", [id]);
    h.clock.advance(60_000);
    expect(await strict.app.webhooks.deliverDue()).toBe(1);
    expect(rx.got).toHaveLength(0);
    const [again] = await h.app.webhooks.deliveries(id, null, 10);
    expect(again).toMatchObject({ status: 'pending', attempts: 2, last_status: null });
    expect(again!.last_error).toMatch(/private/);
  });

  it('the connection’s own lookup refuses a name that resolves to a private address (DNS rebinding)', async () => {
    const local = new URL(url.replace('127.0.0.1', 'localhost'));
    const refused = await send(local, {}, '{}', false);
    expect(refused.status).toBeNull();
    expect(refused.error).toMatch(/private address/);
    expect(rx.got).toHaveLength(0);
    // the same call, private addresses allowed, arrives (the receiver is really there)
    const allowed = await send(local, {}, '{}', true);
    expect(allowed.status).toBe(200);
    expect(rx.got).toHaveLength(1);
  });

  it('isPrivateAddress: v4, v6 and v4-mapped private addresses are private; public ones are not', () => {
    for (const a of [
      '127.0.0.1',
      '127.255.0.9',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      '::ffff:127.0.0.1',
      '::FFFF:10.1.2.3',
      '::ffff:169.254.169.254',
      'not an address',
    ]) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['93.184.216.34', '8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:93.184.216.34']) {
      expect(isPrivateAddress(a), a).toBe(false);
    }
  });
});
