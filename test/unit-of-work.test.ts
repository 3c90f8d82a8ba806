/**
 * The unit of work (src/db/types.ts): `db.transaction` hands its callback a Tx on which effects are
 * registered to run after the commit, never after a rollback. The outbox registers the worker kick
 * itself, so every email queued anywhere is delivered promptly with no service remembering to ask.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Harness } from './helpers/harness.js';

let h: Harness;

beforeAll(async () => {
  // the interval pass is an hour away: only a kick after the commit delivers in time
  h = await Harness.create({ env: { JOBS_INTERVAL_MS: '3600000' } });
});
afterAll(() => h.close());
beforeEach(() => h.reset());

async function eventually(check: () => boolean, ms = 5_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

describe('db.transaction as a unit of work', () => {
  it('runs the registered effects after the commit, in the order registered, with the writes visible', async () => {
    const seen: string[] = [];
    const result = await h.db.transaction(async (tx) => {
      await tx.query("insert into audit_log (admin_email, action, target_type, created_at) values ('a@x.test', 'x', 'y', now())");
      tx.afterCommit(() => void seen.push('first'));
      tx.afterCommit(() => void seen.push('second'));
      expect(seen).toEqual([]); // not before the commit
      return 42;
    });
    expect(result).toBe(42);
    expect(seen).toEqual(['first', 'second']);
    const { rows } = await h.db.query<{ n: number }>('select count(*)::int as n from audit_log');
    expect(rows[0]!.n).toBe(1);
  });

  it('never runs them after a rollback', async () => {
    const seen: string[] = [];
    await expect(
      h.db.transaction(async (tx) => {
        tx.afterCommit(() => void seen.push('effect'));
        await tx.query("insert into audit_log (admin_email, action, target_type, created_at) values ('a@x.test', 'x', 'y', now())");
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(seen).toEqual([]);
    const { rows } = await h.db.query<{ n: number }>('select count(*)::int as n from audit_log');
    expect(rows[0]!.n).toBe(0);
  });

  it('waits for an effect that returns a promise before the transaction resolves', async () => {
    let done = false;
    await h.db.transaction(async (tx) => {
      tx.afterCommit(async () => {
        await new Promise((r) => setTimeout(r, 20));
        done = true;
      });
    });
    expect(done).toBe(true);
  });

  it('an effect that throws neither undoes the commit nor stops the effects after it', async () => {
    const seen: string[] = [];
    await h.db.transaction(async (tx) => {
      tx.afterCommit(() => {
        throw new Error('a nudge failed');
      });
      tx.afterCommit(() => void seen.push('after'));
    });
    expect(seen).toEqual(['after']);
  });
});

describe('the outbox registers the worker kick on the unit of work', () => {
  it('an email queued by a service is delivered right after its commit, with no worker pass due', async () => {
    h.app.worker.start();
    try {
      // the start pass runs first; after it nothing is due for an hour
      await h.app.worker.runOnce();
      const user = await h.registerUser();
      h.mailer.clear();
      const res = await h.post('/api/v1/auth/forgot-password', { email: user.email });
      expect(res.statusCode).toBe(200);
      expect(await eventually(() => h.mailer.to(user.email).length === 1)).toBe(true);
    } finally {
      await h.app.worker.stop();
    }
  });

  it('an email queued in a transaction that rolls back is never sent', async () => {
    await expect(
      h.db.transaction(async (tx) => {
        await h.app.outbox.enqueue(tx, { to: 'nobody@example.test', subject: 's', text: 't', kind: 'password_changed' });
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    await h.app.worker.runOnce();
    expect(h.mailer.sent).toEqual([]);
    const { rows } = await h.db.query<{ n: number }>('select count(*)::int as n from email_outbox');
    expect(rows[0]!.n).toBe(0);
  });
});
