import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../db/index.js';
import type { Draining } from './draining.js';

const Health = Type.Object({ status: Type.Boolean(), message: Type.String() });

export const healthRoutes: FastifyPluginAsyncTypebox<{ db: Db; draining: Draining }> = async (app, { db, draining }) => {
  app.get(
    '/healthz',
    { config: { publicRead: true }, schema: { tags: ['health'], summary: 'The process is up', response: { 200: Health } } },
    async () => ({
      status: true,
      message: 'ok',
    }),
  );

  app.get(
    '/readyz',
    {
      config: { publicRead: true },
      schema: {
        tags: ['health'],
        summary: 'The database answers and the instance is not shutting down',
        response: { 200: Health, 503: Health },
      },
    },
    async (request, reply) => {
      // stopping: out of the balancer's rotation first, then the listener closes (src/http/draining.ts)
      if (draining.stopping) return reply.code(503).send({ status: false, message: 'shutting down' });
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
