import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { Counter } from 'prom-client';
import type { DecisionRecorder } from '../../decision-log/decision-log.js';
import { type DecisionDraft, recorded } from '../../decision-log/recorded.js';
import { contentError, isKeywardError, type KeywardError } from '../../errors.js';
import { type ErrorReplyFormat, sendError } from '../../http-kit/error-replies.js';
import type { DsrComponents } from './dsr-from-config.js';
import type { DeviceClientCertificate } from './client-certificate.js';
import type { DeviceTokenSubject } from './device-token.js';
import { presentedCertificate } from './presented-certificate.js';
import { acceptFormBodies } from '../../http-kit/form-body.js';

export const DSR_PATH_PREFIX = '/dsr/';

/** The reference GMS's error body (its OpenAPI's Error): errorCode, description, traceId (the request id). */
export const dsrFailureFormat: ErrorReplyFormat = {
  body: (error: KeywardError, incidentId, requestId) => ({
    errorCode: error.code,
    description:
      error.category === 'INTERNAL' ? `An unexpected error occurred (incident ${incidentId}).` : error.message,
    traceId: requestId,
  }),
};

const DsrError = Type.Object(
  {
    errorCode: Type.String({ description: 'Stable Keyward error code.' }),
    description: Type.String({ description: 'Client-safe explanation.' }),
    traceId: Type.String({ description: 'The request id (X-Request-Id), also in the server log.' }),
  },
  { description: 'Every DSR error reply has this shape (the reference GMS OpenAPI Error).' },
);
const errors = { 400: DsrError, 401: DsrError, 403: DsrError, 409: DsrError };
const TokenBody = Type.Object({ token: Type.String({ minLength: 1, maxLength: 131_072 }) });
const AttestationBody = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 131_072 }),
  codeChallenge: Type.String({ minLength: 1, maxLength: 256 }),
});
const TokenForm = Type.Object({
  code: Type.String({ minLength: 1, maxLength: 32_768 }),
  code_verifier: Type.String({ minLength: 1, maxLength: 256 }),
});
const UserQuery = Type.Object({ userIdentifier: Type.String({ minLength: 1, maxLength: 64 }) });
const Registration = Type.Object({
  sub: Type.String(),
  userIdentifier: Type.String(),
  platform: Type.Union([Type.Literal('android'), Type.Literal('ios')]),
  certificateSerial: Type.String(),
  certificateNotAfter: Type.String({ format: 'date-time' }),
  registeredAt: Type.String({ format: 'date-time' }),
  facts: Type.Record(Type.String(), Type.Unknown()),
});

/** The public addresses the endpoints document names: the plain listener's base URL and the TLS listener's. */
export interface DsrAddresses {
  baseUrl(): string;
  /** https://host:port of the TLS listener; undefined when it is off. */
  mtlsUrl(): string | undefined;
  /** SHA-256 (hex) of the TLS listener's certificate, so a client of a development server can pin it. */
  serverCertificateSha256: string | undefined;
}

/**
 * gematik's GMS API (RFC-01, RFC-02) under /dsr, as the reference OpenAPI: text/plain nonce and
 * auth code, 201 for a registration, errors as {errorCode, description, traceId}. The mTLS
 * routes read the client certificate of the TLS session (Keyward's TLS listener) or the one a
 * trusted proxy forwards, and the device CA must have issued it.
 */
export const dsrRoutes: FastifyPluginAsyncTypebox<{
  dsr: DsrComponents;
  addresses: DsrAddresses;
  decisions: Counter<'operation' | 'outcome'>;
  decisionLog: DecisionRecorder;
}> = async (app, { dsr, addresses, decisions, decisionLog }) => {
  const { service } = dsr;
  const tags = ['dsr'];
  // A body or query that fails its schema is a DSR request error; everything else keeps its code.
  app.setErrorHandler((thrown, request, reply) => {
    const error = (thrown as { validation?: unknown }).validation
      ? contentError('DSR_REQUEST_INVALID', 'The request lacks a required field or has one of the wrong type.', {
          detail: (thrown as Error).message,
        })
      : thrown;
    return sendError(request, reply, error, dsrFailureFormat);
  });
  acceptFormBodies(app, 65_536);

  /** A refusal is counted under its code, then answered. */
  const counted = async <T>(operation: 'register' | 'attest' | 'token', run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      decisions.inc({ operation, outcome: isKeywardError(error) ? error.code : 'INTERNAL_ERROR' });
      throw error;
    }
  };
  const draft = (operation: string, request: FastifyRequest): DecisionDraft => ({
    capability: 'dsr',
    operation,
    platform: '',
    requestId: request.id,
  });
  /** The device a token will speak for: the log's facts of an attestation and of a token exchange. */
  const device = ({ subject }: { subject: DeviceTokenSubject }) => ({
    platform: subject.type.toLowerCase(),
    subject: subject.sub,
    summary: { userId: subject.userIdentifier, certificateThumbprint: subject.certificateThumbprint },
  });
  /** The client certificate; a refusal after it verified is filed under its device. */
  const known = (request: FastifyRequest, decision: DecisionDraft): DeviceClientCertificate => {
    const certificate = client(request);
    decision.subject = certificate.sub;
    return certificate;
  };
  const client = (request: FastifyRequest) =>
    service.clientCertificate(
      presentedCertificate(request.raw, request.headers, {
        trustedProxies: dsr.trustedProxies,
        header: dsr.clientCertificateHeader,
      }),
    );

  app.get(
    '/dsr/nonce',
    {
      schema: {
        tags,
        summary: 'A registration or attestation nonce (64 random bytes, base64, single use)',
        response: { 200: Type.String({ description: 'text/plain base64' }) },
      },
    },
    async (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(await service.nonce()),
  );

  app.post(
    '/dsr/register-device',
    {
      schema: {
        tags,
        summary: 'Register a device (RFC-01): a health-card-signed token in, the mTLS client certificate out',
        body: TokenBody,
        response: {
          201: Type.Object({ cert: Type.String({ description: 'base64 DER client certificate' }) }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const { cert } = await counted('register', () =>
        recorded(
          decisionLog,
          draft('register-device', request),
          () => service.register(request.body.token),
          ({ registration }) => ({
            platform: registration.platform,
            subject: registration.sub,
            summary: {
              userId: registration.userId,
              certificateSerial: registration.certificateSerial,
              facts: registration.facts,
            },
          }),
        ),
      );
      return reply.code(201).header('cache-control', 'no-store').send({ cert });
    },
  );

  app.post(
    '/dsr/device-attestation',
    {
      schema: {
        tags,
        summary: 'Attest a registered device over mTLS (RFC-02): an authorization code for the device token',
        body: AttestationBody,
        response: { 200: Type.String({ description: 'text/plain authorization code' }), ...errors },
      },
    },
    async (request, reply) => {
      const decision = draft('device-attestation', request);
      const { code } = await counted('attest', () =>
        recorded(
          decisionLog,
          decision,
          () => service.attest(request.body.token, request.body.codeChallenge, known(request, decision)),
          (attested) => {
            const facts = device(attested);
            return { ...facts, summary: { ...facts.summary, deviceHealth: attested.subject.deviceHealth } };
          },
        ),
      );
      return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(code);
    },
  );

  app.post(
    '/dsr/device-token',
    {
      schema: {
        tags,
        summary:
          'Exchange the authorization code and PKCE verifier for the device token (over the same mTLS certificate)',
        consumes: ['application/x-www-form-urlencoded'],
        body: TokenForm,
        response: { 200: Type.Object({ token: Type.String() }), ...errors },
      },
    },
    async (request, reply) => {
      const decision = draft('device-token', request);
      const { token } = await counted('token', () =>
        recorded(
          decisionLog,
          decision,
          () => service.token(request.body.code, request.body.code_verifier, known(request, decision)),
          device,
        ),
      );
      return reply.header('cache-control', 'no-store').send({ token });
    },
  );

  app.get(
    '/dsr/device-registrations',
    {
      schema: {
        tags,
        summary: "List the devices of the client certificate's user (mTLS)",
        querystring: UserQuery,
        response: { 200: Type.Array(Registration), ...errors },
      },
    },
    async (request) => service.registrations(request.query.userIdentifier, client(request)),
  );

  app.delete(
    '/dsr/device-registrations',
    {
      schema: {
        tags,
        summary: "Remove every device of the client certificate's user (mTLS)",
        querystring: UserQuery,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await service.deleteRegistrations(request.query.userIdentifier, client(request));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/dsr/jwks.json',
    {
      schema: {
        tags,
        summary: 'The keys device tokens are signed with (JWKS)',
        response: { 200: Type.Object({ keys: Type.Array(Type.Record(Type.String(), Type.Unknown())) }) },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send(service.jwks()),
  );

  app.get(
    '/dsr/endpoints',
    {
      schema: {
        tags,
        summary: "Where this server's DSR endpoints are: the GMS, its mutual-TLS listener, the PEP and the JWKS",
        response: {
          200: Type.Object({
            gms: Type.String(),
            mtls: Type.Union([Type.String(), Type.Null()]),
            pep: Type.String(),
            jwks: Type.String(),
            serverCertificateSha256: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async () => {
      const base = addresses.baseUrl();
      const mtls = addresses.mtlsUrl();
      return {
        gms: `${base}/dsr`,
        mtls: mtls === undefined ? null : `${mtls}/dsr`,
        pep: `${base}/pep`,
        jwks: `${base}/dsr/jwks.json`,
        serverCertificateSha256: addresses.serverCertificateSha256 ?? null,
      };
    },
  );
};
