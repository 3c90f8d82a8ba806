/** What the organisations*.test.ts files share: ids that match nothing, and helpers bound to the file's Harness. */
import { expect } from 'vitest';
import type { Harness, TestUser } from './harness.js';

export const UNKNOWN = '00000000-0000-4000-8000-000000000000';
export const MALFORMED = ['not-a-uuid', '507f1f77bcf86cd799439011', '1'];

export function expectError(res: { statusCode: number; json(): any }, status: number, message: string) {
  expect(res.statusCode, JSON.stringify(res.json())).toBe(status);
  expect(res.json()).toMatchObject({ status: false, message });
  expect(typeof res.json().code).toBe('string');
}

/** Bound to a getter: the file's Harness is made in its beforeAll, after these are. */
export function organisationHelpers(harness: () => Harness) {
  return {
    async createOrg(
      owner: TestUser,
      name = 'Golf lovers',
      description: string | undefined = 'Association for lovers of golf game',
    ): Promise<string> {
      const res = await harness().post('/api/organisation', { name, ...(description !== undefined ? { description } : {}) }, owner.token);
      if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
      return res.json().data.id;
    },

    async addMember(owner: TestUser, orgId: string, user: TestUser) {
      const res = await harness().post(`/api/organisation/${orgId}/users`, { user_id: user.id }, owner.token);
      if (res.statusCode !== 200) throw new Error(`add failed: ${res.statusCode} ${res.body}`);
    },

    async notificationsOf(userId: string): Promise<{ kind: string; message: string }[]> {
      const { rows } = await harness().db.query<{ kind: string; message: string }>(
        'select kind, message from notifications where user_id = $1 order by created_at, id',
        [userId],
      );
      return rows;
    },

    async orgExists(id: string): Promise<boolean> {
      const { rows } = await harness().db.query('select 1 from organisations where id = $1', [id]);
      return rows.length === 1;
    },

    async isMember(orgId: string, userId: string): Promise<boolean> {
      const { rows } = await harness().db.query('select 1 from organisation_members where organisation_id = $1 and user_id = $2', [
        orgId,
        userId,
      ]);
      return rows.length === 1;
    },
  };
}
