import { contentError } from '../errors.js';
import { sendError } from '../http-kit/error-replies.js';
import type { App } from './app-type.js';

export function installErrorHandling(app: App): void {
  app.setErrorHandler((error, request, reply) => sendError(request, reply, error));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      request,
      reply,
      contentError('NOT_FOUND', `No route ${request.method} ${request.url.split('?')[0]!.slice(0, 200)}.`, {
        status: 404,
      }),
    ),
  );
}
