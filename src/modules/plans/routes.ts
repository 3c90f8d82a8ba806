import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { answerCached, NotModified } from '../../http/etag.js';
import { Envelope, errors, MessageEnvelope, PageMeta, Uuid } from '../../http/schemas.js';
import { currentAdmin } from '../auth/access.js';
import { CustomFeatures, FeaturesSchema, PlanInputSchema, PlanName, PlanSchema, SimplePlanSchema } from './schemas.js';
import { PLAN_NOT_FOUND, type PlansService } from './service.js';

const PlanRef = Type.Ref(PlanSchema);
const PlanEnvelope = Envelope({ data: PlanRef });
const PlanParams = Type.Object({ planId: Uuid });
const Status = Type.Union([Type.Literal('active'), Type.Literal('inactive')]);
const admin = { auth: 'admin' as const, permission: 'manage_plans' as const, messages: { notFound: PLAN_NOT_FOUND } };
const tags = ['plans'];

/** A plan catalogue is small: it is listed whole, and meta says so. */
function listEnvelope<T>(message: string, data: T[]) {
  return { status: true as const, message, data, meta: { page: 1, limit: data.length, total: data.length } };
}

export const planRoutes: FastifyPluginAsyncTypebox<{ plans: PlansService }> = async (app, { plans }) => {
  // ---- admin catalogue (SocioX) ----
  app.post(
    '/api/v1/admin/plans',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Create a plan',
        body: PlanInputSchema,
        response: { 201: PlanEnvelope, ...errors(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send({ status: true, message: 'Plan created successfully', data: await plans.create(currentAdmin(request), request.body) }),
  );

  app.get(
    '/api/v1/admin/plans',
    {
      config: admin,
      schema: {
        tags,
        summary: 'List plans (any status), filtered by category, status, name',
        querystring: Type.Object({
          category: Type.Optional(Type.String({ maxLength: 50 })),
          status: Type.Optional(Status),
          name: Type.Optional(Type.String({ maxLength: 100 })),
        }),
        response: { 200: Envelope({ data: Type.Array(PlanRef), meta: PageMeta }), ...errors(401, 403, 422) },
      },
    },
    async (request) => listEnvelope('Plans fetched successfully', await plans.list(request.query)),
  );

  app.get(
    '/api/v1/admin/plans/:planId',
    { config: admin, schema: { tags, summary: 'One plan', params: PlanParams, response: { 200: PlanEnvelope, ...errors(401, 403, 404) } } },
    async (request) => ({ status: true as const, message: 'Plan fetched successfully', data: await plans.get(request.params.planId) }),
  );

  app.put(
    '/api/v1/admin/plans/:planId',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Replace a plan (full update)',
        params: PlanParams,
        body: PlanInputSchema,
        response: { 200: PlanEnvelope, ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Plan updated successfully',
      data: await plans.replace(currentAdmin(request), request.params.planId, request.body),
    }),
  );

  app.patch(
    '/api/v1/admin/plans/:planId/custom-features',
    {
      config: admin,
      schema: {
        tags,
        summary: "Replace a plan's custom features",
        params: PlanParams,
        body: Type.Object({ customFeatures: CustomFeatures }, { additionalProperties: false }),
        response: { 200: PlanEnvelope, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Custom features updated successfully',
      data: await plans.setCustomFeatures(currentAdmin(request), request.params.planId, request.body.customFeatures),
    }),
  );

  app.patch(
    '/api/v1/admin/plans/:planId/features',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Merge features (keys given replace, others stay) and/or replace custom features',
        params: PlanParams,
        body: Type.Object(
          { features: Type.Optional(Type.Ref(FeaturesSchema)), customFeatures: Type.Optional(CustomFeatures) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: PlanEnvelope, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Plan features updated successfully',
      data: await plans.mergeFeatures(currentAdmin(request), request.params.planId, request.body),
    }),
  );

  app.post(
    '/api/v1/admin/plans/:planId/status',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Set a plan active or inactive',
        params: PlanParams,
        body: Type.Object({ status: Status }, { additionalProperties: false }),
        response: { 200: PlanEnvelope, ...errors(400, 401, 403, 404, 422) },
      },
    },
    async (request) => ({
      status: true as const,
      message: 'Plan status updated successfully',
      data: await plans.setStatus(currentAdmin(request), request.params.planId, request.body.status),
    }),
  );

  app.delete(
    '/api/v1/admin/plans/:planId',
    {
      config: admin,
      schema: {
        tags,
        summary: 'Delete a plan (soft: hidden everywhere, existing subscriptions keep running)',
        params: PlanParams,
        response: { 200: MessageEnvelope, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      await plans.softDelete(currentAdmin(request), request.params.planId);
      return { status: true as const, message: 'Plan deleted successfully' };
    },
  );

  // ---- public pricing page ----
  const publicList = Envelope({ data: Type.Array(PlanRef), meta: PageMeta });
  app.get(
    '/api/v1/subscription/plans',
    {
      config: { publicRead: true },
      schema: {
        tags,
        summary: 'Active plans for a pricing page, optionally by category (no token)',
        querystring: Type.Object({ category: Type.Optional(Type.String({ maxLength: 50 })) }),
        response: { 200: publicList, 304: NotModified, ...errors(422) },
      },
    },
    (request, reply) => {
      if (request.query.category !== undefined) {
        return plans
          .list({ category: request.query.category, status: 'active' })
          .then((found) => listEnvelope('Plans fetched successfully', found));
      }
      // the whole catalogue: one JSON body and ETag per version of it, 304 for a client that has it
      return answerCached(request, reply, plans.cachedCatalogue()?.plans, plans.publicCatalogue, (catalogue) =>
        listEnvelope('Plans fetched successfully', catalogue),
      );
    },
  );

  app.get(
    '/api/v1/subscription/plans/category/:category',
    {
      config: { publicRead: true },
      schema: {
        tags,
        summary: 'Active plans of one category (no token)',
        params: Type.Object({ category: Type.String({ minLength: 1, maxLength: 50 }) }),
        response: { 200: publicList },
      },
    },
    async (request) =>
      listEnvelope('Plans fetched successfully', await plans.list({ category: request.params.category, status: 'active' })),
  );

  // ---- HNG's simple view of the same catalogue ----
  const SimpleParams = Type.Object({ id: Uuid });
  const hngAdmin = (forbidden: string) => ({
    auth: 'admin' as const,
    permission: 'manage_plans' as const,
    messages: { forbidden, notFound: PLAN_NOT_FOUND },
  });

  app.get(
    '/api/v1/subscription',
    {
      config: { publicRead: true },
      schema: {
        tags,
        summary: 'HNG: all active plans as {id, name, price} (price = monthly amount)',
        response: { 200: Envelope({ data: Type.Array(SimplePlanSchema), meta: PageMeta }), 304: NotModified },
      },
    },
    (request, reply) =>
      answerCached(request, reply, plans.cachedCatalogue()?.simple, plans.listSimple, (simple) =>
        listEnvelope('Fetched subscriptions successfully', simple),
      ),
  );

  app.post(
    '/api/v1/subscription',
    {
      config: {
        ...hngAdmin('Only an admin can create a subscription plan.'),
        messages: {
          forbidden: 'Only an admin can create a subscription plan.',
          missing: 'Name and price are required to create a new plan',
        },
      },
      schema: {
        tags,
        summary: 'HNG: create a plan from {name, price} (admin token with manage_plans)',
        body: Type.Object({ name: PlanName, price: Type.Number({ minimum: 0, maximum: 10_000_000 }) }, { additionalProperties: false }),
        response: { 201: Envelope({ data: SimplePlanSchema }), ...errors(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => {
      const plan = await plans.createSimple(currentAdmin(request), request.body);
      return reply.code(201).send({
        status: true,
        message: 'Plan created successfully',
        data: { id: plan.id, name: plan.name, price: plan.price.monthly?.amount ?? null },
      });
    },
  );

  app.patch(
    '/api/v1/subscription/:id',
    {
      config: { ...hngAdmin('You do not have access to this function.'), optionalBody: true },
      schema: {
        tags,
        summary: 'HNG: rename or reprice a plan',
        params: SimpleParams,
        body: Type.Object(
          { name: Type.Optional(PlanName), price: Type.Optional(Type.Number({ minimum: 0, maximum: 10_000_000 })) },
          { additionalProperties: false },
        ),
        response: { 200: Envelope({ data: SimplePlanSchema }), ...errors(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => {
      const plan = await plans.updateSimple(currentAdmin(request), request.params.id, request.body);
      return {
        status: true as const,
        message: 'Plan updated successfully',
        data: { id: plan.id, name: plan.name, price: plan.price.monthly?.amount ?? null },
      };
    },
  );

  app.delete(
    '/api/v1/subscription/:id',
    {
      config: hngAdmin('You do not have access to this function.'),
      schema: {
        tags,
        summary: 'HNG: delete a plan (soft delete)',
        params: SimpleParams,
        response: { 200: MessageEnvelope, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      await plans.softDelete(currentAdmin(request), request.params.id);
      return { status: true as const, message: 'Plan deleted successfully' };
    },
  );
};
