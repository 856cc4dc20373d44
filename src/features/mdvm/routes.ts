import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../../clock.js';
import { checkStrictJson } from '../../crypto/strict-json.js';
import type { DecisionRecorder } from '../../decision-log/decision-log.js';
import { recorded } from '../../decision-log/recorded.js';
import { contentError } from '../../errors.js';
import { sendError } from '../../http-kit/error-replies.js';
import { noStore } from '../../http-kit/no-store.js';
import { MdvmErrorReply, mdvmErrorFormat, toMdvmError } from './error-replies.js';
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

const errors = {
  400: MdvmErrorReply,
  401: MdvmErrorReply,
  403: MdvmErrorReply,
  404: MdvmErrorReply,
  409: MdvmErrorReply,
  500: MdvmErrorReply,
  503: MdvmErrorReply,
};

/** The request as the signature and digest see it: raw method, raw target, headers, raw body. */
const signed = (request: FastifyRequest): SignedRequest => ({
  message: {
    method: request.raw.method ?? request.method,
    target: request.raw.url ?? request.url,
    headers: request.headers,
  },
  body: request.rawBody ?? Buffer.alloc(0),
  signatureEncodings: {},
});

/** What the decision log keeps of a wallet flow: the account (as registered, or as the renewal names it) and the device class the wallet reports. */
function walletDecision<T extends object>(
  decisionLog: DecisionRecorder,
  request: FastifyRequest,
  deviceClass: Record<string, string>,
  operation: 'register' | 'renew',
  platform: 'android' | 'ios',
  flow: () => Promise<T>,
): Promise<T> {
  const named = request.headers['mdvm-wi-id'];
  return recorded(
    decisionLog,
    {
      capability: 'mdvm',
      operation,
      platform,
      requestId: request.id,
      ...(operation === 'renew' && typeof named === 'string' ? { subject: named.toLowerCase() } : {}),
      summary: { deviceClass },
    },
    flow,
    (reply) => ('mdvm_wi_id' in reply ? { subject: String(reply.mdvm_wi_id) } : {}),
  );
}

/**
 * Runs a wallet flow; the encodings of the signatures that verified (DER from the reference
 * wallet, raw r‖s per RFC 9421) go on the request's log lines (the rejection, and completion).
 */
async function walletFlow<T>(
  request: FastifyRequest,
  reply: FastifyReply,
  flow: (signedRequest: SignedRequest) => Promise<T>,
): Promise<T> {
  const signedRequest = signed(request);
  try {
    return await flow(signedRequest);
  } finally {
    if (Object.keys(signedRequest.signatureEncodings).length > 0) {
      const log = request.log.child({ signatureEncodings: signedRequest.signatureEncodings });
      request.log = log;
      reply.log = log;
    }
  }
}

/**
 * Wallet-facing MDVM endpoints (docs/protocols/mdvm.md). Failures are the reference MDVM's error
 * body with its codes and statuses (the request id as trace_id); JSON bodies are kept raw for the
 * Content-Digest check before being parsed.
 */
export const mdvmWalletRoutes: FastifyPluginAsyncTypebox<{
  mdvm: MdvmService;
  operations: MdvmOperations;
  maxBodyBytes: number;
  clock: Clock;
  decisionLog: DecisionRecorder;
}> = async (app, { mdvm, operations, maxBodyBytes, clock, decisionLog }) => {
  app.setErrorHandler((thrown, request, reply) =>
    sendError(request, reply, toMdvmError(thrown), mdvmErrorFormat(request.id, clock.now())),
  );
  // Challenges and mdvm_tokens; the JWKS and the revocation list set their own caching.
  noStore(app);
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
    async (request, reply) =>
      walletDecision(decisionLog, request, request.body.wi_device_class, 'register', 'android', () =>
        walletFlow(request, reply, (wallet) => mdvm.registerAndroid(wallet, request.body)),
      ),
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
    async (request, reply) =>
      walletDecision(decisionLog, request, request.body.wi_device_class, 'register', 'ios', () =>
        walletFlow(request, reply, (wallet) => mdvm.registerIos(wallet, request.body)),
      ),
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
    async (request, reply) =>
      walletDecision(decisionLog, request, request.body.wi_device_class, 'renew', 'android', () =>
        walletFlow(request, reply, (wallet) => mdvm.renewAndroid(wallet, request.body)),
      ),
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
    async (request, reply) =>
      walletDecision(decisionLog, request, request.body.wi_device_class, 'renew', 'ios', () =>
        walletFlow(request, reply, (wallet) => mdvm.renewIos(wallet, request.body)),
      ),
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
