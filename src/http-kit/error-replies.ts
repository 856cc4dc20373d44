import { randomUUID } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CATEGORIES, type KeywardError, contentError, internalError, isKeywardError } from '../errors.js';

/** The JSON body of every error reply: the type errorBody builds and the schema routes document. */
export const ErrorReply = Type.Object(
  {
    error: Type.String({ description: 'Stable error code.' }),
    category: Type.Union(ERROR_CATEGORIES.map((category) => Type.Literal(category))),
    message: Type.String({ description: 'Client-safe explanation.' }),
    incidentId: Type.Optional(Type.String({ description: 'On internal errors: quote it to the operator.' })),
  },
  { description: 'Every error reply has this shape.' },
);
export type ErrorBody = Static<typeof ErrorReply>;

const FASTIFY_ERRORS: Record<string, (error: FastifyError) => KeywardError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: () => contentError('BODY_TOO_LARGE', 'The request body is too large.', { status: 413 }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () =>
    contentError('UNSUPPORTED_MEDIA_TYPE', 'The request content type is not supported by this endpoint.', {
      status: 415,
    }),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => contentError('MALFORMED_BODY', 'The request body is empty.'),
  FST_ERR_CTP_INVALID_JSON_BODY: () => contentError('MALFORMED_BODY', 'The request body is not valid JSON.'),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () =>
    contentError('MALFORMED_BODY', 'The request body does not match its Content-Length.'),
  FST_ERR_BAD_URL: () => contentError('MALFORMED_REQUEST', 'The request URL is malformed.'),
  FST_ERR_MAX_PARAM_LENGTH: () =>
    contentError('PATH_TOO_LONG', 'A path parameter of the request is too long.', { status: 414 }),
};

/**
 * The one mapping from any thrown value to an HTTP reply: KeywardErrors keep their code and
 * status; framework rejections of malformed requests become CONTENT errors; anything else is
 * an INTERNAL error with an incident id and a generic message.
 */
export function toKeywardError(error: unknown): KeywardError {
  if (isKeywardError(error)) return error;
  const fastifyError = error as Partial<FastifyError> | null;
  if (fastifyError?.validation) {
    return contentError('INVALID_REQUEST', `The request is invalid: ${fastifyError.message ?? 'schema mismatch'}.`, {
      detail: fastifyError.message,
    });
  }
  const mapped = fastifyError?.code ? FASTIFY_ERRORS[fastifyError.code] : undefined;
  if (mapped) return mapped(fastifyError as FastifyError);
  // Body-parser errors (e.g. invalid JSON in a custom parser) arrive with a 4xx statusCode.
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return contentError('MALFORMED_REQUEST', 'The request could not be processed.', {
      status: fastifyError.statusCode === 404 ? 400 : fastifyError.statusCode,
      detail: fastifyError.message,
    });
  }
  return internalError('INTERNAL_ERROR', 'An unexpected error occurred.', {
    detail: (error as Error)?.message,
    cause: error,
  });
}

export function errorBody(error: KeywardError, incidentId?: string): ErrorBody {
  return { error: error.code, category: error.category, message: error.message, ...(incidentId ? { incidentId } : {}) };
}

/** How a protocol with its own error replies (Warden's Failure JSON) shapes them. */
export interface ErrorReplyFormat {
  /** The reply status; default the error's own. */
  status?(error: KeywardError): number;
  body(error: KeywardError, incidentId: string | undefined, requestId: string): unknown;
}

/** Keyward's own error body: the format wherever a feature has none of its own. */
export const KEYWARD_FORMAT: ErrorReplyFormat = { body: errorBody };

/**
 * Logs and answers any thrown value: server-side failures (5xx) at error level with an incident
 * id that the reply carries, rejections at info level with their code and detail (which the
 * client never sees).
 */
export function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  thrown: unknown,
  format: ErrorReplyFormat = KEYWARD_FORMAT,
): FastifyReply {
  const error = toKeywardError(thrown);
  let incidentId: string | undefined;
  if (error.status >= 500) {
    incidentId = randomUUID();
    request.log.error({ err: error.cause ?? thrown, incidentId, code: error.code }, 'request failed: internal error');
  } else {
    request.log.info(
      { code: error.code, category: error.category, status: error.status, detail: error.detail },
      'request rejected',
    );
  }
  return reply
    .code(format.status?.(error) ?? error.status)
    .type('application/json')
    .send(format.body(error, incidentId, request.id));
}
