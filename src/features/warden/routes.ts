import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from '@sinclair/typebox';
import { sendError, toKeywardError, type ErrorReplyFormat } from '../../http-kit/error-replies.js';
import { noStore } from '../../http-kit/no-store.js';
import type { Counter } from 'prom-client';
import type { WardenConfig } from '../../config/warden.js';
import type { DecisionRecorder } from '../../decision-log/decision-log.js';
import { recorded } from '../../decision-log/recorded.js';
import type { WardenService } from './warden-service.js';
import {
  WardenChallengeSchema,
  WardenFailureSchema,
  WardenResponseSchema,
  WardenSuccessSchema,
  type WardenSuccess,
} from './schemas.js';

/** Content types a proof may come in: DER (what Warden clients send) or PEM. Any other type is refused with 415. */
/**
 * Warden replies are serialised here: the schemas' unions (Success|Failure, the dataAuth forms)
 * would make Fastify's serializer validate every reply to pick a branch. The schemas still
 * document the routes.
 */
const sendJson = (reply: FastifyReply, value: unknown) =>
  reply.type('application/json; charset=utf-8').send(JSON.stringify(value));
const PROOF_TYPES = ['application/octet-stream', 'application/pkcs10', 'application/x-pem-file', 'text/plain'];

const Policy = Type.Object({ policy: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' }) });

/** Where Warden's routes live: what the framework refuses under it is answered with a Failure too. */
export const WARDEN_PATH_PREFIX = '/api/v1/';

/** Warden's Failure JSON: the error's own status (400 CONTENT/TIME, 403 TRUST, 500 INTERNAL, and the HTTP-level 404, 408, 413, 415, 503), or 200 for deployed clients. */
export function wardenFailureFormat(wardenConfig: Pick<WardenConfig, 'failuresAsHttp200'>): ErrorReplyFormat {
  return {
    ...(wardenConfig.failuresAsHttp200 ? { status: () => 200 } : {}),
    body: (error, incidentId) => ({
      type: 'Failure',
      kind: error.category,
      explanation:
        error.category === 'INTERNAL' ? `An unexpected error occurred (incident ${incidentId}).` : error.message,
    }),
  };
}

/**
 * Warden-compatible endpoints (docs/protocols/warden.md). Every reply of the attest routes — including
 * framework rejections such as an oversize body — is Warden's Success/Failure JSON, which is all
 * its clients parse.
 */
export const wardenRoutes: FastifyPluginAsyncTypebox<{
  warden: WardenService;
  /** Warden's Failure format (wardenFailureFormat), the one the app also answers framework refusals with. */
  failure: ErrorReplyFormat;
  maxProofBytes: number;
  attestations: Counter<'policy' | 'outcome'>;
  decisionLog: DecisionRecorder;
}> = async (app, { warden, failure, maxProofBytes, attestations, decisionLog }) => {
  noStore(app);
  app.setErrorHandler((thrown, request, reply) => {
    const policy = (request.params as { policy?: string } | undefined)?.policy ?? 'default';
    const error = toKeywardError(thrown);
    attestations.inc({ policy, outcome: error.category });
    return sendError(request, reply, error, failure);
  });

  // Only proof bodies here: JSON (accepted elsewhere) is answered with 415 like any other type.
  app.removeContentTypeParser('application/json');
  for (const type of PROOF_TYPES) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: maxProofBytes }, (_request, body, done) =>
      done(null, body),
    );
  }

  const challengeSchema = {
    tags: ['warden'],
    response: { 200: WardenChallengeSchema },
  };
  app.get(
    '/api/v1/challenge',
    { schema: { ...challengeSchema, summary: 'Issue a Warden challenge (default policy)' } },
    async (_request, reply) => sendJson(reply, await warden.challenge()),
  );
  app.get(
    '/api/v1/:policy/challenge',
    { schema: { ...challengeSchema, params: Policy, summary: 'Issue a Warden challenge for a named policy' } },
    async (request, reply) => sendJson(reply, await warden.challenge(request.params.policy)),
  );

  const attestSchema = {
    tags: ['warden'],
    description: `A DER PKCS#10 request (or, with dataAuth HASH, its unsigned CertificationRequestInfo) carrying the attestation proof; ${PROOF_TYPES.join(', ')}.`,
    consumes: PROOF_TYPES,
    response: {
      200: WardenResponseSchema,
      400: WardenFailureSchema,
      403: WardenFailureSchema,
      500: WardenFailureSchema,
    },
  };
  const attest = async (policy: string | undefined, request: FastifyRequest, reply: FastifyReply) => {
    const { body } = request;
    const { chain } = await recorded(
      decisionLog,
      {
        capability: 'warden',
        operation: 'attest',
        platform: '',
        requestId: request.id,
        summary: { policy: policy ?? 'default' },
      },
      // A request without a body (and so without a content type) has none to parse: it is an empty proof.
      () => warden.attest(policy, Buffer.isBuffer(body) ? body : Buffer.alloc(0)),
      ({ record }) => ({
        platform: record.platform,
        subject: record.serial,
        summary: { ...record.summary, keyThumbprint: record.keyThumbprint },
      }),
    );
    attestations.inc({ policy: policy ?? 'default', outcome: 'SUCCESS' });
    const success: WardenSuccess = { type: 'Success', certificateChain: chain };
    return sendJson(reply, success);
  };
  app.post(
    '/api/v1/attest',
    { schema: { ...attestSchema, summary: 'Attest a key and receive a binding certificate chain (default policy)' } },
    async (request, reply) => attest(undefined, request, reply),
  );
  app.post(
    '/api/v1/:policy/attest',
    { schema: { ...attestSchema, params: Policy, summary: 'Attest a key under a named policy' } },
    async (request, reply) => attest(request.params.policy, request, reply),
  );
};

/** The CRL and the JSON Schemas, outside the Failure-formatted scope; the schemas' $id is under the public base URL. */
export const wardenDocumentRoutes: FastifyPluginAsyncTypebox<{
  warden: WardenService;
  publicBaseUrl: () => string;
}> = async (app, { warden, publicBaseUrl }) => {
  app.get(
    '/api/v1/crl',
    {
      schema: {
        tags: ['warden'],
        summary: 'Current CRL of the binding intermediate (DER)',
        produces: ['application/pkix-crl'],
      },
    },
    async (_request, reply) =>
      reply
        .type('application/pkix-crl')
        .header('cache-control', 'no-cache')
        .send(await warden.crl()),
  );
  const schemaDocument = (schema: object, id: string) => ({
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...schema,
    $id: id,
  });
  app.get('/schemas/warden-challenge.json', { schema: { hide: true } }, async () =>
    schemaDocument(WardenChallengeSchema, `${publicBaseUrl()}/schemas/warden-challenge.json`),
  );
  app.get('/schemas/warden-attestation-response.json', { schema: { hide: true } }, async () =>
    schemaDocument(
      { ...WardenResponseSchema, anyOf: [WardenSuccessSchema, WardenFailureSchema] },
      `${publicBaseUrl()}/schemas/warden-attestation-response.json`,
    ),
  );
};
