/**
 * Fastify hello, the reference of issue 10's public plan list: `GET /` → `{"hello":"world"}` with a
 * response schema, logger off, no database.
 *
 * With `ANSWER_FILE` (JSON `{ "headers": {...}, "body": "..." }`), `GET /answer` also answers those
 * exact bytes with those headers: the bench gives it the plan list's own answer, so a run shows
 * what an answer of that size costs a server that does nothing else (the floor of the plan list).
 *
 *   PORT=5098 npx tsx bench/hello.ts
 */
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.get('/', { schema: { response: { 200: { type: 'object', properties: { hello: { type: 'string' } } } } } }, async () => ({
  hello: 'world',
}));

if (process.env.ANSWER_FILE) {
  const answer = JSON.parse(readFileSync(process.env.ANSWER_FILE, 'utf8')) as { headers: Record<string, string>; body: string };
  const body = Buffer.from(answer.body, 'utf8');
  app.get('/answer', (_request, reply) => {
    reply.headers(answer.headers).send(body);
  });
}

await app.listen({ port: Number(process.env.PORT ?? 5098), host: process.env.HOST ?? '127.0.0.1' });
const stop = async () => {
  await app.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
