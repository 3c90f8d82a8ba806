import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../db/index.js';

const Health = Type.Object({ status: Type.Boolean(), message: Type.String() });

export const healthRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'The process is up', response: { 200: Health } } }, async () => ({
    status: true,
    message: 'ok',
  }));

  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'The database answers', response: { 200: Health, 503: Health } } },
    async (request, reply) => {
      try {
        await db.query('select 1');
        return { status: true, message: 'ready' };
      } catch (err) {
        request.log.warn({ err }, 'readiness check failed');
        return reply.code(503).send({ status: false, message: 'database unavailable' });
      }
    },
  );
};
