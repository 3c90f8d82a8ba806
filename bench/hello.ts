/**
 * Fastify hello, the reference of issue 10's public plan list: `GET /` → `{"hello":"world"}` with a
 * response schema, logger off, no database.
 *
 *   PORT=5098 npx tsx bench/hello.ts
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', { schema: { response: { 200: { type: 'object', properties: { hello: { type: 'string' } } } } } }, async () => ({
  hello: 'world',
}));

await app.listen({ port: Number(process.env.PORT ?? 5098), host: process.env.HOST ?? '127.0.0.1' });
const stop = async () => {
  await app.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
