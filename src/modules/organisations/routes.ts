import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { type TProperties, Type } from '@sinclair/typebox';
import { Envelope, errors, MessageEnvelope, MultiLine, Name, PageMeta, PageQuery, Uuid } from '../../http/schemas.js';
import { currentUser } from '../auth/access.js';
import { OrganisationSchema, OrganisationUserSchema } from './present.js';
import { MESSAGES, type OrganisationsService } from './service.js';

// blank is left to the service, which answers the seed's "Name is required" message
const OrgName = Name({ maxLength: 100, blank: true, description: '1–100 characters, one line' });
const Description = Type.Union([MultiLine({ maxLength: 1000 }), Type.Null()]);
/** Checked by the service, not the schema: absent is the seed's 422, a non-uuid names no one (404). */
const IdField = (description: string) => Type.String({ maxLength: 64, description });
const OrgIdField = IdField('the organisation (uuid); optional when you created exactly one');
const UserIdField = IdField('the user (uuid)');
const OrgParams = Type.Object({ org_id: Uuid });
const OrgEnvelope = Envelope({ data: OrganisationSchema });

/** A body that may be left out entirely (DELETE, or a PATCH that sends only the query): the route also sets `optionalBody`. */
const OptionalBody = <P extends TProperties>(properties: P) => Type.Object(properties, { additionalProperties: false });

const UpdateFields = { name: Type.Optional(OrgName), description: Type.Optional(Description) };

export const organisationRoutes: FastifyPluginAsyncTypebox<{ organisations: OrganisationsService }> = async (app, { organisations }) => {
  app.post(
    '/api/v1/organisations',
    {
      config: { auth: 'user', messages: { missing: MESSAGES.nameRequired } },
      schema: {
        tags: ['organisations'],
        summary: 'Create an organisation; the caller is its creator',
        body: Type.Object({ name: OrgName, description: Type.Optional(Description) }, { additionalProperties: false }),
        response: { 201: OrgEnvelope, ...errors(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const org = await organisations.create(currentUser(request).id, request.body);
      return reply.code(201).send({ status: true, message: 'Organisation created successfully', data: org });
    },
  );

  app.get(
    '/api/v1/organisations',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['organisations'],
        summary:
          'Organisations the caller is part of, newest first: creator=true only those they created, creator=false only those they were added to',
        querystring: Type.Object({ creator: Type.Optional(Type.Boolean()), ...PageQuery }),
        response: { 200: Envelope({ data: Type.Array(OrganisationSchema), meta: PageMeta }), ...errors(401, 403, 422) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Fetched organisation successfully',
      ...(await organisations.list(currentUser(request).id, request.query)),
    }),
  );

  app.patch(
    '/api/v1/organisations/:org_id',
    {
      config: { auth: 'user', optionalBody: true, messages: { missing: MESSAGES.nothingToUpdate, notFound: MESSAGES.orgNotFound } },
      schema: {
        tags: ['organisations'],
        summary: 'Update the name and/or description of an organisation you created',
        params: OrgParams,
        body: OptionalBody(UpdateFields),
        response: { 200: OrgEnvelope, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Organisation details updated successfully',
      data: await organisations.update(currentUser(request).id, request.params.org_id, request.body ?? {}),
    }),
  );

  app.patch(
    '/api/v1/organisations',
    {
      config: { auth: 'user', optionalBody: true, messages: { missing: MESSAGES.nothingToUpdate } },
      schema: {
        tags: ['organisations'],
        summary: 'Update an organisation you created, named by org_id (query or body), or your only one when you created exactly one',
        querystring: Type.Object({ org_id: Type.Optional(OrgIdField) }),
        body: OptionalBody({ ...UpdateFields, org_id: Type.Optional(OrgIdField) }),
        response: { 200: OrgEnvelope, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const { org_id: bodyOrgId, ...fields } = request.body ?? {};
      return {
        status: true as const,
        message: 'Organisation details updated successfully',
        data: await organisations.update(currentUser(request).id, request.query.org_id ?? bodyOrgId, fields),
      };
    },
  );

  app.delete(
    '/api/v1/organisations/:org_id',
    {
      config: { auth: 'user', messages: { notFound: MESSAGES.orgNotFound } },
      schema: {
        tags: ['organisations'],
        summary: 'Delete an organisation you created; every member loses the membership and is notified',
        params: OrgParams,
        response: { 200: MessageEnvelope, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      await organisations.delete(currentUser(request).id, request.params.org_id);
      return { status: true as const, message: 'Organisation deleted successfully' };
    },
  );

  app.delete(
    '/api/v1/organisations',
    {
      config: { auth: 'user', optionalBody: true },
      schema: {
        tags: ['organisations'],
        summary: 'Delete an organisation you created, named by org_id (query or body), or your only one when you created exactly one',
        querystring: Type.Object({ org_id: Type.Optional(OrgIdField) }),
        body: OptionalBody({ org_id: Type.Optional(OrgIdField) }),
        response: { 200: MessageEnvelope, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      await organisations.delete(currentUser(request).id, request.query.org_id ?? request.body?.org_id);
      return { status: true as const, message: 'Organisation deleted successfully' };
    },
  );

  app.post(
    '/api/v1/organisations/:org_id/members',
    {
      config: { auth: 'user', messages: { missing: MESSAGES.addUserIdRequired, notFound: MESSAGES.orgNotFound } },
      schema: {
        tags: ['organisations'],
        summary: 'Add a user to an organisation you created; the user is notified',
        params: OrgParams,
        body: Type.Object({ user_id: UserIdField }, { additionalProperties: false }),
        response: { 200: MessageEnvelope, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      await organisations.addMember(currentUser(request).id, request.params.org_id, request.body.user_id);
      return { status: true as const, message: 'User added to organisation successfully' };
    },
  );

  app.delete(
    '/api/v1/organisations/:org_id/members',
    {
      config: { auth: 'user', optionalBody: true, messages: { missing: MESSAGES.removeUserIdRequired, notFound: MESSAGES.orgNotFound } },
      schema: {
        tags: ['organisations'],
        summary: 'Remove a user (user_id in the body or the query) from an organisation you created; the user is notified',
        params: OrgParams,
        querystring: Type.Object({ user_id: Type.Optional(UserIdField) }),
        body: OptionalBody({ user_id: Type.Optional(UserIdField) }),
        response: { 200: MessageEnvelope, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) => {
      const userId = request.body?.user_id ?? request.query.user_id;
      await organisations.removeMember(currentUser(request).id, request.params.org_id, userId);
      return { status: true as const, message: 'User removed from organisation successfully' };
    },
  );

  // a static path (/api/v1/users/me, /api/users/details) wins over this parametric one in find-my-way
  app.get(
    '/api/v1/users/:id',
    {
      config: { auth: 'user', messages: { notFound: MESSAGES.userNotFound } },
      schema: {
        tags: ['users'],
        summary: 'A user you may see: yourself, your child users, or a member of an organisation you created',
        params: Type.Object({ id: Uuid }),
        response: { 200: Envelope({ data: OrganisationUserSchema }), ...errors(401, 403, 404) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Fetched user successfully',
      data: await organisations.getUser(currentUser(request).id, request.params.id),
    }),
  );
};
