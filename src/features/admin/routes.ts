import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { contentError } from '../../errors.js';
import { requireApiKey } from '../../http/auth.js';
import { ErrorReply } from '../../http/errors.js';
import type { Services } from '../../services.js';
import { REVOCATION_REASONS, type BindingCertificateRecord } from '../../store/binding-certificate-store.js';

const Serial = Type.Object({ serial: Type.String({ pattern: '^[0-9a-f]{1,64}$', description: 'Certificate serial, lowercase hex.' }) });

const Certificate = Type.Object({
  serial: Type.String(),
  policy: Type.String(),
  platform: Type.String(),
  subject: Type.String(),
  keyThumbprint: Type.String(),
  summary: Type.Record(Type.String(), Type.Unknown()),
  issuedAt: Type.String({ format: 'date-time' }),
  notAfter: Type.String({ format: 'date-time' }),
  revokedAt: Type.Optional(Type.String({ format: 'date-time' })),
  revocationReason: Type.Optional(Type.String()),
});


/** Operator endpoints, each requiring one of admin.apiKeys as a bearer token. */
export const adminRoutes: FastifyPluginAsyncTypebox<{ services: Services }> = async (app, { services }) => {
  const { store, clock, config } = services;
  app.addHook('onRequest', requireApiKey(config.admin.apiKeys));

  const view = ({ issuedAt, notAfter, revokedAt, ...record }: BindingCertificateRecord) => ({
    ...record,
    issuedAt: new Date(issuedAt).toISOString(),
    notAfter: new Date(notAfter).toISOString(),
    ...(revokedAt === undefined ? {} : { revokedAt: new Date(revokedAt).toISOString() }),
  });

  app.get(
    '/admin/v1/binding-certificates',
    {
      schema: {
        tags: ['admin'],
        summary: 'List issued binding certificates, newest first',
        querystring: Type.Object({
          keyThumbprint: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: { 200: Type.Object({ certificates: Type.Array(Certificate) }), 401: ErrorReply },
      },
    },
    async (request) => ({ certificates: (await store.bindingCertificates.list(request.query)).map(view) }),
  );

  app.post(
    '/admin/v1/binding-certificates/:serial/revoke',
    {
      schema: {
        tags: ['admin'],
        summary: 'Revoke a binding certificate (it appears on the next CRL)',
        params: Serial,
        body: Type.Object({ reason: Type.Union(REVOCATION_REASONS.map((reason) => Type.Literal(reason)), { default: 'unspecified' }) }, { additionalProperties: false }),
        response: { 200: Certificate, 401: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (request) => {
      const outcome = await store.bindingCertificates.revoke(request.params.serial, request.body.reason, clock.now());
      if (outcome === 'unknown') throw contentError('CERTIFICATE_UNKNOWN', 'No binding certificate has this serial.', { status: 404 });
      if (outcome === 'already-revoked') throw contentError('CERTIFICATE_ALREADY_REVOKED', 'The certificate is already revoked.', { status: 409 });
      request.log.info({ serial: request.params.serial, reason: request.body.reason }, 'binding certificate revoked');
      return view((await store.bindingCertificates.find(request.params.serial))!);
    },
  );
};
