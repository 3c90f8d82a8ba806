import type { Clock } from '../../clock.js';
import type { Db, Queryable } from '../../db/index.js';
import { AppError } from '../../http/errors.js';
import type { NotificationKind } from '../notifications/kinds.js';
import type { NotificationsService } from '../notifications/service.js';
import type { EventSink } from '../webhooks/events.js';
import { type PublicOrganisation, type PublicOrganisationUser, presentOrganisation, presentOrganisationUser } from './present.js';
import {
  countsForUser,
  type OrganisationChanges,
  type OrganisationRow,
  type OrganisationScope,
  organisationsOfUser,
  organisationsRepository as orgs,
} from './repository.js';

/** The exact messages of seeds/hng-stage2-api.md, and ours where it gives none. */
export const MESSAGES = {
  orgNotFound: 'Organisation not found',
  userNotFound: 'User not found',
  nameRequired: 'Name is required to create an organisation',
  nothingToUpdate: 'Enter fields to update',
  updateForbidden: 'User can only update organisations they created',
  deleteForbidden: 'User can only delete organisations they created',
  addUserIdRequired: 'User_id is required to add user to an organisation',
  addForbidden: 'You can only add users to organisation you created.',
  alreadyMember: 'User is already a member of this organisation',
  removeUserIdRequired: 'User_id is required to remove user from an organisation',
  removeForbidden: 'You can only remove users from organisation you created.',
  notMember: 'User is not a member of this organisation',
  creatorNotRemovable: 'The creator of an organisation cannot be removed from it',
  getUserForbidden: 'You can only get users in organisations you created.',
  orgIdRequired: 'org_id is required: you have created more than one organisation',
} as const;

/** This module's names from the closed list in notifications/kinds.ts. */
const NOTIFICATION_KINDS = {
  added: 'organisation.member_added',
  removed: 'organisation.member_removed',
  deleted: 'organisation.deleted',
} as const satisfies Record<string, NotificationKind>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An id that is not a uuid names nothing (contract §2): callers answer 404, not 500. */
const isUuid = (id: string) => UUID.test(id);

export interface CreateInput {
  name: string;
  description?: string | null;
}

export interface UpdateInput {
  name?: string;
  description?: string | null;
}

export interface ListInput {
  creator?: boolean;
  page?: number;
  limit?: number;
}

function deletedMessage(name: string): string {
  return `The organisation "${name}" has been deleted`;
}

function mustBeCreator(org: OrganisationRow | null, callerId: string, forbidden: string): OrganisationRow {
  if (!org) throw new AppError('NOT_FOUND', MESSAGES.orgNotFound);
  if (org.creator_id !== callerId) throw new AppError('FORBIDDEN', forbidden);
  return org;
}

/**
 * The organisations module owns `organisations` and `organisation_members`. Members are users: who
 * exists is asked of the users module (`accounts.lockExisting`); the members are told what happens
 * through the notifications module, in the transaction of the change.
 */
export function createOrganisationsService(deps: {
  db: Db;
  clock: Clock;
  notifications: NotificationsService;
  accounts: { lockExisting(tx: Queryable, id: string): Promise<unknown> };
  /** webhook events, in the change's transaction */
  events: EventSink;
}) {
  const { db, clock, notifications } = deps;

  /**
   * Contract §2: PATCH/DELETE /api/organisation may name no organisation. Then the caller's only
   * organisation is meant; with several the caller must say which.
   */
  async function resolveId(callerId: string, orgId: string | undefined): Promise<string> {
    if (orgId !== undefined) {
      if (!isUuid(orgId)) throw new AppError('NOT_FOUND', MESSAGES.orgNotFound);
      return orgId;
    }
    const ids = await orgs.createdIds(db, callerId, 2);
    if (ids.length === 0) throw new AppError('NOT_FOUND', MESSAGES.orgNotFound);
    if (ids.length > 1) throw new AppError('VALIDATION_FAILED', MESSAGES.orgIdRequired, [{ field: 'org_id', message: 'is required' }]);
    return ids[0]!;
  }

  /** A user_id from a body or query: absent → 422 with the route's message. Lowercased, as the database writes uuids. */
  function memberId(userId: string | undefined, requiredMessage: string): string {
    const id = userId?.trim().toLowerCase();
    if (!id) throw new AppError('VALIDATION_FAILED', requiredMessage, [{ field: 'user_id', message: 'is required' }]);
    return id;
  }

  /** True when the user exists (a malformed id names no one); locks them against deletion until commit. */
  async function userExists(tx: Queryable, userId: string): Promise<boolean> {
    return isUuid(userId) && (await deps.accounts.lockExisting(tx, userId)) !== null;
  }

  return {
    /**
     * Before an account is deleted (in the same transaction): the organisations it and its child users
     * created are about to go with it (foreign keys cascade), so their remaining members are told now.
     */
    async announceAccountClosing(tx: Queryable, userId: string): Promise<void> {
      for (const org of await orgs.closingWithAccount(tx, userId)) {
        await notifications.notifyMany(tx, org.member_ids, NOTIFICATION_KINDS.deleted, deletedMessage(org.name));
        // gone with its creator's account (the cascade): the event names it, as nothing else of it remains
        await deps.events.emit(tx, 'organisation.deleted', { id: org.id, name: org.name, reason: 'account_deleted' });
      }
    },

    /**
     * The admin's view of a user's organisations: how many they created and belong to, and the
     * newest 50 of them (id, name, description, whether they created it, member count).
     */
    async ofUser(userId: string) {
      const [counts, rows] = await Promise.all([countsForUser(db, userId), organisationsOfUser(db, userId, 50)]);
      return {
        ...counts,
        items: rows.map((r) => ({
          orgId: r.id,
          name: r.name,
          description: r.description,
          creator: r.creator,
          members: r.members,
          createdAt: r.created_at.toISOString(),
        })),
      };
    },

    async create(callerId: string, input: CreateInput): Promise<PublicOrganisation> {
      const name = input.name.trim();
      if (!name) throw new AppError('VALIDATION_FAILED', MESSAGES.nameRequired, [{ field: 'name', message: 'is required' }]);
      const org = await db.transaction(async (tx) => {
        const org = await orgs.insert(tx, callerId, name, input.description?.trim() || null, clock.now());
        await deps.events.emit(tx, 'organisation.created', presentOrganisation(org, callerId));
        return org;
      });
      return presentOrganisation(org, callerId);
    },

    async list(callerId: string, input: ListInput) {
      const page = input.page ?? 1;
      const limit = input.limit ?? 20;
      const scope: OrganisationScope = input.creator === undefined ? 'all' : input.creator ? 'created' : 'member';
      const { rows, total } = await orgs.listFor(db, callerId, scope, limit, (page - 1) * limit);
      return { data: rows.map((o) => presentOrganisation(o, callerId)), meta: { page, limit, total } };
    },

    async update(callerId: string, orgId: string | undefined, input: UpdateInput): Promise<PublicOrganisation> {
      const changes: OrganisationChanges = {};
      if (input.name !== undefined) {
        const name = input.name.trim();
        if (!name) throw new AppError('VALIDATION_FAILED', 'Name cannot be empty', [{ field: 'name', message: 'must not be empty' }]);
        changes.name = name;
      }
      if (input.description !== undefined) changes.description = input.description?.trim() || null;
      if (Object.keys(changes).length === 0) {
        throw new AppError('VALIDATION_FAILED', MESSAGES.nothingToUpdate, [{ field: 'body', message: 'give name or description' }]);
      }
      const id = await resolveId(callerId, orgId);
      mustBeCreator(await orgs.find(db, id), callerId, MESSAGES.updateForbidden);
      const updated = await db.transaction(async (tx) => {
        const updated = await orgs.update(tx, id, changes, clock.now());
        if (!updated) throw new AppError('NOT_FOUND', MESSAGES.orgNotFound);
        await deps.events.emit(tx, 'organisation.updated', presentOrganisation(updated, callerId));
        return updated;
      });
      return presentOrganisation(updated, callerId);
    },

    /** Every member loses the membership and is told, in the transaction of the deletion. */
    async delete(callerId: string, orgId: string | undefined): Promise<void> {
      const id = await resolveId(callerId, orgId);
      await db.transaction(async (tx) => {
        const org = mustBeCreator(await orgs.lock(tx, id, 'update'), callerId, MESSAGES.deleteForbidden);
        const members = await orgs.memberIds(tx, id);
        await notifications.notifyMany(tx, members, NOTIFICATION_KINDS.deleted, deletedMessage(org.name));
        await orgs.delete(tx, id);
        await deps.events.emit(tx, 'organisation.deleted', presentOrganisation(org, callerId));
      });
    },

    async addMember(callerId: string, orgId: string, userId: string | undefined): Promise<void> {
      const memberUserId = memberId(userId, MESSAGES.addUserIdRequired);
      await db.transaction(async (tx) => {
        const org = mustBeCreator(await orgs.lock(tx, orgId, 'share'), callerId, MESSAGES.addForbidden);
        if (!(await userExists(tx, memberUserId))) throw new AppError('NOT_FOUND', MESSAGES.userNotFound);
        // the creator is part of the organisation without a membership row
        if (memberUserId === org.creator_id) throw new AppError('CONFLICT', MESSAGES.alreadyMember);
        const now = clock.now();
        if (!(await orgs.addMember(tx, orgId, memberUserId, now))) throw new AppError('CONFLICT', MESSAGES.alreadyMember);
        await notifications.notify(tx, memberUserId, NOTIFICATION_KINDS.added, `You have been added to the organisation "${org.name}"`);
        await deps.events.emit(tx, 'organisation.member_added', { organisation: presentOrganisation(org, callerId), userId: memberUserId });
      });
    },

    async removeMember(callerId: string, orgId: string, userId: string | undefined): Promise<void> {
      const memberUserId = memberId(userId, MESSAGES.removeUserIdRequired);
      await db.transaction(async (tx) => {
        const org = mustBeCreator(await orgs.lock(tx, orgId, 'share'), callerId, MESSAGES.removeForbidden);
        if (!(await userExists(tx, memberUserId))) throw new AppError('NOT_FOUND', MESSAGES.userNotFound);
        if (memberUserId === org.creator_id) throw new AppError('BAD_REQUEST', MESSAGES.creatorNotRemovable);
        if (!(await orgs.removeMember(tx, orgId, memberUserId))) throw new AppError('BAD_REQUEST', MESSAGES.notMember);
        await notifications.notify(
          tx,
          memberUserId,
          NOTIFICATION_KINDS.removed,
          `You have been removed from the organisation "${org.name}"`,
        );
        await deps.events.emit(tx, 'organisation.member_removed', {
          organisation: presentOrganisation(org, callerId),
          userId: memberUserId,
        });
      });
    },

    /** The caller themself, their own child users, and members of organisations they created. */
    async getUser(callerId: string, userId: string): Promise<PublicOrganisationUser> {
      const user = await orgs.visibleUser(db, callerId, userId);
      if (!user) throw new AppError('NOT_FOUND', MESSAGES.userNotFound);
      if (!user.allowed) throw new AppError('FORBIDDEN', MESSAGES.getUserForbidden);
      return presentOrganisationUser(user);
    },
  };
}

export type OrganisationsService = ReturnType<typeof createOrganisationsService>;
