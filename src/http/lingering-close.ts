import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

/**
 * How long, and for how many bytes, a connection closed with a request body still arriving is
 * drained before it is destroyed. Bounded so a client cannot hold a socket open by sending
 * forever: 5 s is a 3 MB body over a slow upload, 16 MiB is sixteen times the body limit.
 */
export const LINGER_MS = 5_000;
export const LINGER_MAX_BYTES = 16 * 1024 * 1024;

const kLingers = Symbol('lingers');
type LingeringSocket = Socket & { [kLingers]?: true };

/**
 * RFC 9112 §9.6 "lingering close". When the server answers before reading the whole body (413
 * on Content-Length) and closes the connection, Node ends the socket and destroys it as soon as
 * the answer is flushed. The body the client is still sending then meets a closed socket: the
 * kernel answers it with a reset, and a reset makes the client's kernel discard the 413 it
 * has not read yet (EPIPE / ECONNRESET in about a third of tries on a reused connection).
 * Instead: half-close (our FIN after the answer), keep reading and discarding until the client
 * closes its side, then close; or give up after LINGER_MS / LINGER_MAX_BYTES.
 */
function lingerInsteadOfDestroy(socket: LingeringSocket): void {
  if (socket[kLingers]) return;
  socket[kLingers] = true;
  // Node's HTTP server calls destroySoon() once the answer marked `Connection: close` is written
  socket.destroySoon = function lingeringClose(this: Socket) {
    let discarded = 0;
    const close = () => {
      clearTimeout(timer);
      this.destroy();
    };
    const timer = setTimeout(close, LINGER_MS);
    timer.unref();
    // the HTTP parser must not see what follows: the rest of the refused body, or a request
    // after it. Adding a 'data' listener also detaches the parser from the socket's handle,
    // which it otherwise reads directly (Node's HTTP server wraps socket.on for that).
    this.removeAllListeners('data');
    this.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > LINGER_MAX_BYTES) close();
    });
    // the client has sent everything: closing now resets nothing (first, before the server's own
    // end handler tries to finish parsing a body that will never be complete)
    this.prependListener('end', close);
    this.once('close', () => clearTimeout(timer));
    this.end();
    this.resume();
    // While the parser read the handle, the stream kept believing a read of its own was pending,
    // and the server had stopped the handle (backpressure from the unread body): resume() alone
    // would wait forever. Socket#_read starts the handle again if it is stopped, else does nothing.
    (this as unknown as { _read(size: number): void })._read(0);
  };
}

/**
 * Every answer that closes the connection before the request body has arrived whole lingers;
 * a 413 always closes (the client may still be sending megabytes we will not read).
 */
export function installLingeringClose(app: FastifyInstance): void {
  app.addHook('onSend', (request, reply, payload, done) => {
    // a request whose body was read whole (every GET, every answered body) has nothing to linger for
    if (!request.raw.complete) {
      if (reply.statusCode === 413) reply.header('connection', 'close');
      const closes = String(reply.getHeader('connection') ?? '').toLowerCase() === 'close' || !reply.raw.shouldKeepAlive;
      if (closes && request.raw.socket) lingerInsteadOfDestroy(request.raw.socket);
    }
    done(null, payload);
  });
}
