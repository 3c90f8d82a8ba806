import type { Queryable } from '../../db/index.js';

export interface OrganisationRow {
  id: string;
  name: string;
  description: string | null;
  creator_id: string;
  created_at: Date;
  updated_at: Date;
}

/** A user as another user may see them (GET /api/users/:id), and whether this caller may. */
export interface VisibleUserRow {
  id: string;
  name: string;
  first_name: string;
  last_name: string;
  phone: string | null;
  email: string;
  allowed: boolean;
}

export interface OrganisationChanges {
  name?: string;
  description?: string | null;
}

/** `created`: only those the user created; `member`: only those they were added to; `all`: both. */
export type OrganisationScope = 'all' | 'created' | 'member';

const COLUMNS = 'id, name, description, creator_id, created_at, updated_at';

const SCOPES: Record<OrganisationScope, string> = {
  created: 'select id from organisations where creator_id = $1',
  member: 'select organisation_id from organisation_members where user_id = $1',
  all: 'select id from organisations where creator_id = $1 union select organisation_id from organisation_members where user_id = $1',
};

/** For the admin view of a user: organisations they created, and those they were added to. */
export async function countsForUser(q: Queryable, userId: string): Promise<{ created: number; member: number }> {
  const { rows } = await q.query<{ created: number; member: number }>(
    `select (select count(*)::int from organisations where creator_id = $1) as created,
            (select count(*)::int from organisation_members where user_id = $1) as member`,
    [userId],
  );
  return { created: rows[0]?.created ?? 0, member: rows[0]?.member ?? 0 };
}

export interface UserOrganisationRow {
  id: string;
  name: string;
  description: string | null;
  creator: boolean;
  members: number;
  created_at: Date;
}

/** The newest `limit` organisations a user created or belongs to, each with its member count, the creator included (an admin's view of the user). */
export async function organisationsOfUser(q: Queryable, userId: string, limit: number): Promise<UserOrganisationRow[]> {
  const { rows } = await q.query<UserOrganisationRow>(
    `select o.id, o.name, o.description, o.creator_id = $1 as creator, o.created_at,
            1 + (select count(*)::int from organisation_members m where m.organisation_id = o.id) as members
       from organisations o
      where o.id in (select id from organisations where creator_id = $1
                     union select organisation_id from organisation_members where user_id = $1)
      order by o.created_at desc, o.id
      limit $2`,
    [userId, limit],
  );
  return rows;
}

/** The only SQL that writes organisations and their members. */
export const organisationsRepository = {
  async insert(q: Queryable, creatorId: string, name: string, description: string | null, now: Date): Promise<OrganisationRow> {
    const { rows } = await q.query<OrganisationRow>(
      `insert into organisations (name, description, creator_id, created_at, updated_at) values ($1, $2, $3, $4, $4) returning ${COLUMNS}`,
      [name, description, creatorId, now],
    );
    return rows[0]!;
  },

  async find(q: Queryable, id: string): Promise<OrganisationRow | null> {
    const { rows } = await q.query<OrganisationRow>(`select ${COLUMNS} from organisations where id = $1`, [id]);
    return rows[0] ?? null;
  },

  /**
   * Inside a transaction: `share` keeps the organisation from being deleted until commit (adding
   * and removing members); `update` also makes concurrent deletions take turns.
   */
  async lock(q: Queryable, id: string, mode: 'share' | 'update'): Promise<OrganisationRow | null> {
    const { rows } = await q.query<OrganisationRow>(`select ${COLUMNS} from organisations where id = $1 for ${mode}`, [id]);
    return rows[0] ?? null;
  },

  /** The organisations the user is part of, newest first; `total` counts every page. */
  async listFor(
    q: Queryable,
    userId: string,
    scope: OrganisationScope,
    limit: number,
    offset: number,
  ): Promise<{ rows: OrganisationRow[]; total: number }> {
    const [{ rows }, count] = await Promise.all([
      q.query<OrganisationRow>(
        `select ${COLUMNS} from organisations where id in (${SCOPES[scope]})
         order by created_at desc, id desc limit $2 offset $3`,
        [userId, limit, offset],
      ),
      q.query<{ n: number }>(`select count(*)::int as n from (${SCOPES[scope]}) s`, [userId]),
    ]);
    return { rows, total: count.rows[0]?.n ?? 0 };
  },

  /** Up to `limit` ids of organisations the user created: enough to tell none, one and several apart. */
  async createdIds(q: Queryable, creatorId: string, limit: number): Promise<string[]> {
    const { rows } = await q.query<{ id: string }>('select id from organisations where creator_id = $1 order by created_at, id limit $2', [
      creatorId,
      limit,
    ]);
    return rows.map((r) => r.id);
  },

  async update(q: Queryable, id: string, c: OrganisationChanges, now: Date): Promise<OrganisationRow | null> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const add = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (c.name !== undefined) add('name', c.name);
    if (c.description !== undefined) add('description', c.description);
    add('updated_at', now);
    const { rows } = await q.query<OrganisationRow>(
      `update organisations set ${sets.join(', ')} where id = $1 returning ${COLUMNS}`,
      params,
    );
    return rows[0] ?? null;
  },

  /** Deletes the organisation; its memberships go with it (foreign key cascade). */
  async delete(q: Queryable, id: string): Promise<boolean> {
    const { rowCount } = await q.query('delete from organisations where id = $1', [id]);
    return rowCount > 0;
  },

  async memberIds(q: Queryable, organisationId: string): Promise<string[]> {
    const { rows } = await q.query<{ user_id: string }>('select user_id from organisation_members where organisation_id = $1', [
      organisationId,
    ]);
    return rows.map((r) => r.user_id);
  },

  /** False when already a member: the primary key decides, not a read before the write. */
  async addMember(q: Queryable, organisationId: string, userId: string, now: Date): Promise<boolean> {
    const { rows } = await q.query(
      'insert into organisation_members (organisation_id, user_id, created_at) values ($1, $2, $3) on conflict do nothing returning user_id',
      [organisationId, userId, now],
    );
    return rows.length === 1;
  },

  /** False when the user was not a member. */
  async removeMember(q: Queryable, organisationId: string, userId: string): Promise<boolean> {
    const { rows } = await q.query('delete from organisation_members where organisation_id = $1 and user_id = $2 returning user_id', [
      organisationId,
      userId,
    ]);
    return rows.length === 1;
  },

  /**
   * The user, if they exist, and whether `callerId` may see them: themself, the caller's own
   * child users, and members of organisations the caller created.
   * Reads users (the users module's table) with organisations and organisation_members in one
   * statement: the visibility rule is a join, and splitting it would cost a round trip per check.
   */
  async visibleUser(q: Queryable, callerId: string, userId: string): Promise<VisibleUserRow | null> {
    const { rows } = await q.query<VisibleUserRow>(
      `select u.id, u.name, u.first_name, u.last_name, u.phone, u.email,
         (u.id = $1 or u.parent_id = $1 or exists (
           select 1 from organisation_members m join organisations o on o.id = m.organisation_id
           where m.user_id = u.id and o.creator_id = $1
         )) as allowed
       from users u where u.id = $2`,
      [callerId, userId],
    );
    return rows[0] ?? null;
  },

  /**
   * What deleting an account takes with it: the organisations created by the user or by their child
   * users (whose accounts go too), each with the members who are not themselves being deleted.
   * Reads users (the children of the account) with organisations and organisation_members in one statement.
   */
  async closingWithAccount(q: Queryable, userId: string): Promise<{ id: string; name: string; member_ids: string[] }[]> {
    const { rows } = await q.query<{ id: string; name: string; member_ids: string[] }>(
      `with gone as (select $1::uuid as id union select id from users where parent_id = $1)
       select o.id, o.name, coalesce(array_agg(m.user_id::text) filter (where m.user_id is not null), '{}') as member_ids
       from organisations o
       left join organisation_members m on m.organisation_id = o.id and m.user_id not in (select id from gone)
       where o.creator_id in (select id from gone)
       group by o.id, o.name`,
      [userId],
    );
    return rows;
  },

  countsForUser,
  organisationsOfUser,
};
