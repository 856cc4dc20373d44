import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { parseCertificate, pemCertificates } from '../../crypto/x509/certificate.js';
import { contentError } from '../../errors.js';
import { requireApiKey } from '../../http-kit/api-keys.js';
import { ErrorReply } from '../../http-kit/error-replies.js';
import type { MdvmAccount } from '../../store/mdvm-store.js';
import type { MdvmOperations } from './mdvm-operations.js';
import { AccountId, AccountView, NewLeakedKeySchema, NewVulnerableClassSchema, ScanReply } from './schemas.js';

const iso = (epochMs: number) => new Date(epochMs).toISOString();

const view = (account: MdvmAccount) => ({
  mdvm_wi_id: account.id,
  platform: account.platform,
  deviceClass: account.deviceClass,
  attested: account.attested,
  createdAt: iso(account.createdAt),
  updatedAt: iso(account.updatedAt),
  ...(account.revokedAt === undefined
    ? {}
    : { revokedAt: iso(account.revokedAt), revocationReason: account.revocationReason }),
});

/** Operator endpoints of the MDVM, each requiring one of admin.apiKeys as a bearer token. */
export const mdvmOperatorRoutes: FastifyPluginAsyncTypebox<{
  operations: MdvmOperations;
  apiKeys: readonly string[];
}> = async (app, { operations, apiKeys }) => {
  app.addHook('onRequest', requireApiKey(apiKeys));
  const tags = ['mdvm operators'];
  const errors = { 401: ErrorReply, 404: ErrorReply, 409: ErrorReply };

  app.get(
    '/v1/mdvm/accounts/:id',
    {
      schema: {
        tags,
        summary: 'A wallet-instance account',
        params: AccountId,
        response: { 200: AccountView, ...errors },
      },
    },
    async (request) => view(await operations.account(request.params.id)),
  );
  app.post(
    '/v1/mdvm/accounts/:id/revoke',
    {
      schema: {
        tags,
        summary: 'Revoke an account (it appears on the revocation list; renewals are refused)',
        params: AccountId,
        body: Type.Object(
          { reason: Type.String({ minLength: 1, maxLength: 64, default: 'operator' }) },
          { additionalProperties: false },
        ),
        response: { 200: AccountView, ...errors },
      },
    },
    async (request) => view(await operations.revokeAccount(request.params.id, request.body.reason)),
  );
  app.delete(
    '/v1/mdvm/accounts/:id',
    {
      schema: {
        tags,
        summary: 'Delete an account (a revoked tombstone remains)',
        params: AccountId,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await operations.deleteAccount(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/mdvm/vulnerable-device-classes',
    { schema: { tags, summary: 'Vulnerable device classes' } },
    async () => ({ deviceClasses: await operations.listVulnerableClasses() }),
  );
  app.post(
    '/v1/mdvm/vulnerable-device-classes',
    {
      schema: {
        tags,
        summary:
          'Add a vulnerable device class: matching devices are refused; accounts on them are revoked (by default when unfixable)',
        body: NewVulnerableClassSchema,
        response: { 201: Type.Object({ deviceClass: Type.Unknown(), ...ScanReply }), 400: ErrorReply, ...errors },
      },
    },
    async (request, reply) => reply.code(201).send(await operations.addVulnerableClass(request.body)),
  );
  app.delete(
    '/v1/mdvm/vulnerable-device-classes/:id',
    {
      schema: {
        tags,
        summary: 'Remove a vulnerable device class (revoked accounts stay revoked)',
        params: Type.Object({ id: Type.String({ maxLength: 128 }) }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await operations.removeVulnerableClass(request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get('/v1/mdvm/leaked-keys', { schema: { tags, summary: 'Leaked attestation keys' } }, async () => ({
    leakedKeys: await operations.listLeakedKeys(),
  }));
  app.post(
    '/v1/mdvm/leaked-keys',
    {
      schema: {
        tags,
        summary:
          'List a leaked attestation key (by SPKI SHA-256 or certificate): chains through it are refused, accounts attested through it revoked',
        body: NewLeakedKeySchema,
        response: { 201: Type.Object({ key: Type.Unknown(), ...ScanReply }), 400: ErrorReply, ...errors },
      },
    },
    async (request, reply) => {
      const { thumbprint, certificate, description } = request.body;
      let listed = thumbprint;
      if (!listed && certificate) {
        const der = pemCertificates(certificate)[0];
        if (!der)
          throw contentError('INVALID_REQUEST', 'The request is invalid: certificate is not a PEM certificate.');
        listed = parseCertificate(der, 'INVALID_REQUEST', { cache: false }).spkiFingerprint;
      }
      if (!listed || (thumbprint && certificate))
        throw contentError(
          'INVALID_REQUEST',
          'The request is invalid: give exactly one of thumbprint and certificate.',
        );
      return reply.code(201).send(await operations.addLeakedKey(listed, description));
    },
  );
  app.delete(
    '/v1/mdvm/leaked-keys/:thumbprint',
    {
      schema: {
        tags,
        summary: 'Unlist a leaked key',
        params: Type.Object({ thumbprint: Type.String({ pattern: '^[0-9a-f]{64}$' }) }),
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await operations.removeLeakedKey(request.params.thumbprint);
      return reply.code(204).send(null);
    },
  );
};
