import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, ERROR_CODES } from './errors.js';

/**
 * What Fastify answers itself before any route or hook runs — a path parameter with a malformed
 * percent-encoding or longer than the router allows — in the service's envelope (contract §3).
 * Fastify's `frameworkErrors` option.
 */
export function frameworkErrorHandler(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const appError =
    error.code === 'FST_ERR_BAD_URL'
      ? new AppError('BAD_REQUEST', 'The URL has a malformed percent-encoding')
      : // an id longer than any id names nothing (contract §2: a malformed id is 404)
        new AppError('NOT_FOUND', 'Not found');
  void reply.code(appError.status).header('content-type', 'application/json; charset=utf-8').send(envelope(appError));
}

/**
 * What Node's HTTP parser refuses before Fastify sees a request (headers over 16 KiB, a request
 * that is not HTTP, a timeout): the envelope on the raw socket, then the connection is closed,
 * because after a parse error nothing more can be read from it. Fastify's `clientErrorHandler`.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  // a reset: the peer is gone, nothing to answer
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const appError =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? new AppError('HEADERS_TOO_LARGE', 'The request headers (or URL) are larger than 16 KiB')
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new AppError('REQUEST_TIMEOUT', 'The request took too long to arrive')
        : new AppError('BAD_REQUEST', 'The request is not valid HTTP');
  if (socket.writable) {
    const body = JSON.stringify(envelope(appError));
    socket.write(
      `HTTP/1.1 ${appError.status} ${STATUS_TEXT[appError.status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

const STATUS_TEXT: Record<number, string> = {
  [ERROR_CODES.BAD_REQUEST]: 'Bad Request',
  [ERROR_CODES.REQUEST_TIMEOUT]: 'Request Timeout',
  [ERROR_CODES.HEADERS_TOO_LARGE]: 'Request Header Fields Too Large',
};

function envelope(e: AppError) {
  return { status: false, message: e.message, code: e.code };
}
