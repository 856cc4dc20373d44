import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requireApiKey } from '../../http-kit/api-keys.js';
import { ErrorReply } from '../../http-kit/error-replies.js';
import type { BindingCertificateRecord } from '../../store/binding-certificate-store.js';
import { BindingCertificateView, CertificateListQuery, CertificateSerial, RevokeCertificateBody } from './schemas.js';
import type { WardenService } from './warden-service.js';

const view = ({ issuedAt, notAfter, revokedAt, ...record }: BindingCertificateRecord) => ({
  ...record,
  issuedAt: new Date(issuedAt).toISOString(),
  notAfter: new Date(notAfter).toISOString(),
  ...(revokedAt === undefined ? {} : { revokedAt: new Date(revokedAt).toISOString() }),
});

/** Operator endpoints for binding certificates, each requiring one of admin.apiKeys as a bearer token. */
export const wardenOperatorRoutes: FastifyPluginAsyncTypebox<{
  warden: WardenService;
  apiKeys: readonly string[];
}> = async (app, { warden, apiKeys }) => {
  app.addHook('onRequest', requireApiKey(apiKeys));

  app.get(
    '/admin/v1/binding-certificates',
    {
      schema: {
        tags: ['admin'],
        summary: 'List issued binding certificates, newest first',
        querystring: CertificateListQuery,
        response: { 200: Type.Object({ certificates: Type.Array(BindingCertificateView) }), 401: ErrorReply },
      },
    },
    async (request) => ({ certificates: (await warden.listCertificates(request.query)).map(view) }),
  );

  app.post(
    '/admin/v1/binding-certificates/:serial/revoke',
    {
      schema: {
        tags: ['admin'],
        summary: 'Revoke a binding certificate (it appears on the next CRL)',
        params: CertificateSerial,
        body: RevokeCertificateBody,
        response: { 200: BindingCertificateView, 401: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (request) => {
      const revoked = await warden.revokeCertificate(request.params.serial, request.body.reason);
      request.log.info({ serial: request.params.serial, reason: request.body.reason }, 'binding certificate revoked');
      return view(revoked);
    },
  );
};
