import type { CodeTable } from '../errors.js';

/** Codes of the HTTP layer: requests the framework refuses, authentication, unexpected failures. */
export const HTTP_CODES = {
  INVALID_REQUEST: {
    category: 'CONTENT',
    description: "The request does not match the endpoint's schema; the message names the mismatch.",
  },
  MALFORMED_BODY: {
    category: 'CONTENT',
    description: 'The request body is empty, not valid JSON or does not match its Content-Length.',
  },
  MALFORMED_REQUEST: {
    category: 'CONTENT',
    description: 'The request could not be processed (malformed URL or headers).',
  },
  BODY_TOO_LARGE: { category: 'CONTENT', status: 413, description: 'The request body exceeds the size limit.' },
  UNSUPPORTED_MEDIA_TYPE: {
    category: 'CONTENT',
    status: 415,
    description: "The endpoint does not accept the request's content type.",
  },
  PATH_TOO_LONG: {
    category: 'CONTENT',
    status: 414,
    description: 'A path parameter is longer than any route accepts.',
  },
  HEADERS_TOO_LARGE: {
    category: 'CONTENT',
    status: 431,
    description: 'The request headers exceed the size limit.',
  },
  REQUEST_TIMEOUT: {
    category: 'TIME',
    status: 408,
    description: 'The request was not received completely within requestTimeoutMs; the connection is closed.',
  },
  NOT_FOUND: { category: 'CONTENT', status: 404, description: 'No route matches the method and path.' },
  UNAUTHORIZED: {
    category: 'TRUST',
    status: 401,
    description: 'The operator API needs a valid bearer API key (admin.apiKeys).',
  },
  INTERNAL_ERROR: {
    category: 'INTERNAL',
    description: 'An unexpected failure; the reply carries an incident id to find the logged cause.',
  },
} as const satisfies CodeTable;
