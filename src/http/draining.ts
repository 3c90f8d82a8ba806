import type { FastifyInstance } from 'fastify';

/**
 * The first step of a graceful stop (docs/DEPLOYMENT.md "Rolling restarts"): after SIGTERM the
 * instance keeps serving for SHUTDOWN_DELAY_MS while /readyz answers 503 "shutting down", so a
 * balancer's health check takes it out of the rotation before it stops accepting connections (a
 * connection refused or reset at that moment is what a client could otherwise see). Meanwhile every
 * answer says `Connection: close`, so a client on a kept-alive connection opens its next one
 * elsewhere instead of racing the close.
 */
export interface Draining {
  readonly stopping: boolean;
  begin(): void;
}

export function installDraining(app: FastifyInstance): Draining {
  let stopping = false;
  app.addHook('onRequest', (_request, reply, done) => {
    if (stopping) reply.header('connection', 'close');
    done();
  });
  return {
    get stopping() {
      return stopping;
    },
    begin() {
      stopping = true;
    },
  };
}
