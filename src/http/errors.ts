import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { contentError, timeError, type KeywardError } from '../errors.js';
import { KEYWARD_FORMAT, sendError, type ErrorReplyFormat } from '../http-kit/error-replies.js';
import type { App } from './app-type.js';
import { SECURITY_HEADERS } from './security-headers.js';

/** The error format of a request path: a protocol's own (Warden's Failure JSON on its routes), or undefined for Keyward's. */
export type ErrorFormatFor = (path: string) => ErrorReplyFormat | undefined;

const pathOf = (url: string | undefined) => (url ?? '').split('?')[0]!;

/**
 * Fastify options for what the framework refuses before any route or hook runs: malformed URLs and
 * over-long path parameters (frameworkErrors), and requests Node's HTTP parser gives up on —
 * timeouts, oversize headers, bad syntax (clientErrorHandler). Both answer in the path's error
 * format with an X-Request-Id and never echo the URL.
 */
export function frameworkErrorOptions(formatFor: ErrorFormatFor) {
  return {
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      reply.headers({ 'x-request-id': request.id, ...SECURITY_HEADERS });
      return sendError(request, reply, error, formatFor(pathOf(request.raw.url)));
    },
    clientErrorHandler(this: FastifyInstance, thrown: NodeJS.ErrnoException, socket: Socket) {
      // A reset connection has nobody left to answer.
      if (thrown.code === 'ECONNRESET' || socket.destroyed) return;
      const error = clientError(thrown);
      // A request whose headers arrived (a timeout while its body trickles in) is in flight on the socket.
      const inFlight = (socket as { _httpMessage?: { req?: { url?: string }; headersSent?: boolean } })._httpMessage;
      const format: ErrorReplyFormat = formatFor(pathOf(inFlight?.req?.url)) ?? KEYWARD_FORMAT;
      const requestId = randomUUID();
      this.log.info(
        { reqId: requestId, code: error.code, category: error.category, status: error.status, detail: thrown.message },
        'request rejected',
      );
      if (socket.writable && !inFlight?.headersSent) {
        const status = format.status?.(error) ?? error.status;
        const body = JSON.stringify(format.body(error, undefined, requestId));
        const headers = {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
          'x-request-id': requestId,
          ...SECURITY_HEADERS,
          connection: 'close',
        };
        socket.write(
          `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${Object.entries(headers)
            .map(([name, value]) => `${name}: ${value}\r\n`)
            .join('')}\r\n${body}`,
        );
      }
      socket.destroy(thrown);
    },
  };
}

function clientError(thrown: NodeJS.ErrnoException): KeywardError {
  if (thrown.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return timeError('REQUEST_TIMEOUT', 'The request was not received in time.', { status: 408 });
  if (thrown.code === 'HPE_HEADER_OVERFLOW')
    return contentError('HEADERS_TOO_LARGE', 'The request headers are too large.', { status: 431 });
  return contentError('MALFORMED_REQUEST', 'The request is malformed.');
}

/** Errors of routes answer in Keyward's format (protocols set their own handlers); unknown routes in the path's. */
export function installErrorHandling(app: App, formatFor: ErrorFormatFor): void {
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      contentError('NOT_FOUND', 'No route matches the request method and path.', {
        status: 404,
        detail: `${request.method} ${pathOf(request.url).slice(0, 200)}`,
      }),
      formatFor(pathOf(request.url)),
    ),
  );
}
