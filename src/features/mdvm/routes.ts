import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import { checkStrictJson } from '../../crypto/strict-json.js';
import { contentError } from '../../errors.js';
import { ErrorReply, sendError } from '../../http-kit/error-replies.js';
import { toMdvmError } from './error-replies.js';
import type { MdvmService } from './mdvm-service.js';
import type { MdvmOperations } from './mdvm-operations.js';
import {
  AndroidRegistrationSchema,
  AndroidRenewalSchema,
  ChallengeReplySchema,
  IosRegistrationSchema,
  IosRenewalSchema,
  RegistrationReplySchema,
  RenewalHeaders,
  RenewalReplySchema,
  SignedHeaders,
} from './schemas.js';
import type { SignedRequest } from './wallet-request.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The body exactly as received (Content-Digest is computed over these bytes). */
    rawBody?: Buffer;
  }
}

const errors = { 400: ErrorReply, 401: ErrorReply, 403: ErrorReply, 404: ErrorReply, 409: ErrorReply };

/** The request as the signature and digest see it: raw method, raw target, headers, raw body. */
const signed = (request: FastifyRequest): SignedRequest => ({
  message: {
    method: request.raw.method ?? request.method,
    target: request.raw.url ?? request.url,
    headers: request.headers,
  },
  body: request.rawBody ?? Buffer.alloc(0),
});

/**
 * Wallet-facing MDVM endpoints (docs/protocols/mdvm.md). Failures carry the reference MDVM's codes;
 * JSON bodies are kept raw for the Content-Digest check before being parsed.
 */
export const mdvmWalletRoutes: FastifyPluginAsyncTypebox<{
  mdvm: MdvmService;
  operations: MdvmOperations;
  maxBodyBytes: number;
}> = async (app, { mdvm, operations, maxBodyBytes }) => {
  app.setErrorHandler((thrown, request, reply) => sendError(request, reply, toMdvmError(thrown)));
  // Fastify's own JSON parser (prototype-poisoning protection included), after keeping the raw bytes
  // and refusing duplicate keys (a first-wins reader of the signed body must see what Keyward checked).
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: maxBodyBytes },
    (request, body, done) => {
      request.rawBody = body as Buffer;
      const text = (body as Buffer).toString('utf8');
      try {
        checkStrictJson(text, (detail) =>
          contentError('MALFORMED_BODY', 'The request body is not strict JSON.', { detail }),
        );
      } catch (error) {
        done(error as Error, undefined);
        return;
      }
      parseJson(request, text, done);
    },
  );

  const tags = ['mdvm'];
  app.post(
    '/v1/mdvm/challenge',
    {
      schema: {
        tags,
        summary: 'Issue an mdvm_auth_challenge (single use, 5 minutes)',
        response: { 200: ChallengeReplySchema },
      },
    },
    async () => mdvm.challenge(),
  );
  app.post(
    '/v1/mdvm/android/register',
    {
      schema: {
        tags,
        summary: 'Register an Android wallet instance',
        headers: SignedHeaders,
        body: AndroidRegistrationSchema,
        response: { 200: RegistrationReplySchema, ...errors },
      },
    },
    async (request) => mdvm.registerAndroid(signed(request), request.body),
  );
  app.post(
    '/v1/mdvm/ios/register',
    {
      schema: {
        tags,
        summary: 'Register an iOS wallet instance',
        headers: SignedHeaders,
        body: IosRegistrationSchema,
        response: { 200: RegistrationReplySchema, ...errors },
      },
    },
    async (request) => mdvm.registerIos(signed(request), request.body),
  );
  app.post(
    '/v1/mdvm/android/renewal',
    {
      schema: {
        tags,
        summary: 'Re-attest an Android wallet instance and renew its mdvm_token',
        headers: RenewalHeaders,
        body: AndroidRenewalSchema,
        response: { 200: RenewalReplySchema, ...errors },
      },
    },
    async (request) => mdvm.renewAndroid(signed(request), request.body),
  );
  app.post(
    '/v1/mdvm/ios/renewal',
    {
      schema: {
        tags,
        summary: 'Renew the mdvm_token of an iOS wallet instance',
        headers: RenewalHeaders,
        body: IosRenewalSchema,
        response: { 200: RenewalReplySchema, ...errors },
      },
    },
    async (request) => mdvm.renewIos(signed(request), request.body),
  );

  app.get(
    '/v1/mdvm/jwks.json',
    { schema: { tags, summary: 'The mdvm_token signing keys, each with its certificate chain (x5c)' } },
    async (_request, reply) => reply.header('cache-control', 'max-age=300').send(operations.jwks()),
  );
  app.get(
    '/v1/mdvm/revocations',
    {
      schema: {
        tags,
        summary: 'Signed list (JWT, typ mdvm-revocations+jwt) of wallet instances revoked since a time',
        querystring: Type.Object({
          since: Type.Optional(
            Type.Integer({
              minimum: 0,
              description: 'Epoch seconds; default: as far back as a live mdvm_token reaches.',
            }),
          ),
        }),
        produces: ['application/jwt'],
      },
    },
    async (request, reply) =>
      reply
        .type('application/jwt')
        .header('cache-control', 'no-cache')
        .send(await operations.revocationList(request.query.since)),
  );
};
