import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { requireApiKey } from '../../http-kit/api-keys.js';
import { ErrorReply } from '../../http-kit/error-replies.js';
import type { WebAuthnCredential } from '../../store/webauthn-store.js';
import type { Fido2Service } from './fido2-service.js';
import { CredentialIdParams, CredentialListQuery, CredentialListReply, CredentialView } from './schemas.js';

const iso = (epochMs: number) => new Date(epochMs).toISOString();

const view = ({
  publicKey,
  createdAt,
  lastUsedAt,
  possiblyClonedAt,
  attestation,
  ...credential
}: WebAuthnCredential & { userName: string }): CredentialView => ({
  ...credential,
  attestation: { ...attestation },
  publicKey: Buffer.from(publicKey).toString('base64url'),
  createdAt: iso(createdAt),
  ...(lastUsedAt === undefined ? {} : { lastUsedAt: iso(lastUsedAt) }),
  ...(possiblyClonedAt === undefined ? {} : { possiblyClonedAt: iso(possiblyClonedAt) }),
});

/** Operator endpoints for WebAuthn credentials, each requiring one of admin.apiKeys as a bearer token. */
export const fido2OperatorRoutes: FastifyPluginAsyncTypebox<{
  fido2: Fido2Service;
  apiKeys: readonly string[];
}> = async (app, { fido2, apiKeys }) => {
  app.addHook('onRequest', requireApiKey(apiKeys));
  const tags = ['admin'];

  app.get(
    '/admin/v1/fido2/credentials',
    {
      schema: {
        tags,
        summary: 'List WebAuthn credentials, newest first (filter by user name or AAGUID)',
        querystring: CredentialListQuery,
        response: { 200: CredentialListReply, 401: ErrorReply },
      },
    },
    async (request) => {
      const { offset, limit } = request.query;
      const listing = await fido2.listCredentials(request.query);
      return { credentials: listing.credentials.map(view), total: listing.total, offset, limit };
    },
  );
  app.get(
    '/admin/v1/fido2/credentials/:id',
    {
      schema: {
        tags,
        summary: 'A WebAuthn credential: its key, attestation outcome, metadata status and use',
        params: CredentialIdParams,
        response: { 200: CredentialView, 401: ErrorReply, 404: ErrorReply },
      },
    },
    async (request) => view(await fido2.credential(request.params.id)),
  );
  app.delete(
    '/admin/v1/fido2/credentials/:id',
    {
      schema: {
        tags,
        summary: 'Delete a WebAuthn credential (its user can no longer sign in with it)',
        params: CredentialIdParams,
        response: { 204: Type.Null(), 401: ErrorReply, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      await fido2.deleteCredential(request.params.id);
      request.log.info({ credentialId: request.params.id }, 'WebAuthn credential deleted');
      return reply.code(204).send(null);
    },
  );
};
