import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { contentError } from '../../errors.js';
import { requireApiKey } from '../../http-kit/api-keys.js';
import { ErrorReply } from '../../http-kit/error-replies.js';
import { MAX_BUNDLE_LENGTH } from './bundles/bundle.js';
import type { DsrComponents } from './dsr-from-config.js';
import { registrationView } from './dsr-service.js';

const SlotParams = Type.Object({ slot: Type.Union([Type.Literal('active'), Type.Literal('simulation')]) });
const BundleView = Type.Object({
  version: Type.Integer(),
  kid: Type.String(),
  since: Type.String({ format: 'date-time' }),
});
const PipView = Type.Record(Type.String(), Type.Unknown());
const RegistrationQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
  userIdentifier: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  platform: Type.Optional(Type.Union([Type.Literal('android'), Type.Literal('ios')])),
});
const Registration = Type.Object({
  sub: Type.String(),
  userIdentifier: Type.String(),
  platform: Type.String(),
  certificateSerial: Type.String(),
  certificateNotAfter: Type.String(),
  registeredAt: Type.String(),
  facts: Type.Record(Type.String(), Type.Unknown()),
});

const iso = (epochMs: number) => new Date(epochMs).toISOString();

/** Operator endpoints of DSR (bundles, registrations), each requiring one of admin.apiKeys as a bearer token. */
export const dsrOperatorRoutes: FastifyPluginAsyncTypebox<{
  dsr: DsrComponents;
  apiKeys: readonly string[];
}> = async (app, { dsr, apiKeys }) => {
  app.addHook('onRequest', requireApiKey(apiKeys));
  // A bundle is a compact JWS: sent as application/jose (RFC 7515 §9.2.1) or plain text.
  for (const type of ['application/jose', 'text/plain'])
    app.addContentTypeParser(type, { parseAs: 'string', bodyLimit: MAX_BUNDLE_LENGTH + 2 }, (_request, body, done) =>
      done(null, (body as string).trim()),
    );
  const tags = ['admin'];

  app.put(
    '/admin/v1/dsr/bundles/:slot',
    {
      schema: {
        tags,
        summary: 'Put a signed policy bundle in force (active) or in the shadow (simulation)',
        description:
          "The body is the compact JWS (Content-Type application/jose). It must be signed by a key of dsr.bundles.keyFiles and carry a version above the slot's stored one; every instance switches to it within dsr.bundles.pollSeconds.",
        params: SlotParams,
        consumes: ['application/jose', 'text/plain'],
        response: {
          200: Type.Object({ slot: Type.String(), version: Type.Integer(), kid: Type.String() }),
          400: ErrorReply,
          401: ErrorReply,
          415: ErrorReply,
        },
      },
    },
    async (request) => {
      if (typeof request.body !== 'string' || request.body === '')
        throw contentError('DSR_BUNDLE_MALFORMED', 'The policy bundle is malformed.', { detail: 'empty body' });
      const bundle = await dsr.policies.push(request.params.slot, request.body);
      request.log.warn(
        { slot: request.params.slot, version: bundle.version, kid: bundle.kid },
        'DSR policy bundle pushed by an operator',
      );
      return { slot: request.params.slot, version: bundle.version, kid: bundle.kid };
    },
  );

  app.delete(
    '/admin/v1/dsr/bundles/simulation',
    {
      schema: {
        tags,
        summary: 'Stop shadowing: remove the simulation bundle',
        response: { 204: Type.Null(), 401: ErrorReply, 404: ErrorReply },
      },
    },
    async (_request, reply) => {
      if (!(await dsr.policies.clearSimulation()))
        throw contentError('NOT_FOUND', 'There is no simulation bundle.', { status: 404 });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/admin/v1/dsr/bundles',
    {
      schema: {
        tags,
        summary: 'The bundles in force on this instance and the PIP lists',
        response: {
          200: Type.Object({
            active: BundleView,
            simulation: Type.Union([BundleView, Type.Null()]),
            pip: PipView,
          }),
          401: ErrorReply,
        },
      },
    },
    async () => {
      const state = dsr.policies.state();
      const view = (bundle: { version: number; kid: string; since: number }) => ({
        ...bundle,
        since: iso(bundle.since),
      });
      return {
        active: view(state.active),
        simulation: state.simulation ? view(state.simulation) : null,
        pip: state.pip,
      };
    },
  );

  app.get(
    '/admin/v1/dsr/registrations',
    {
      schema: {
        tags,
        summary: 'Registered devices, newest first (filter by user or platform)',
        querystring: RegistrationQuery,
        response: {
          200: Type.Object({ total: Type.Integer(), items: Type.Array(Registration) }),
          401: ErrorReply,
        },
      },
    },
    async (request) => {
      const { limit, offset, userIdentifier, platform } = request.query;
      const page = await dsr.service.registrationsPage({
        limit,
        offset,
        ...(userIdentifier ? { userId: userIdentifier } : {}),
        ...(platform ? { platform } : {}),
      });
      return { total: page.total, items: page.items.map(registrationView) };
    },
  );

  app.delete(
    '/admin/v1/dsr/registrations/:sub',
    {
      schema: {
        tags,
        summary: 'Remove a registered device (its certificate then gets no more device tokens)',
        params: Type.Object({ sub: Type.String({ minLength: 1, maxLength: 64 }) }),
        response: { 204: Type.Null(), 401: ErrorReply, 404: ErrorReply },
      },
    },
    async (request, reply) => {
      if (!(await dsr.service.removeRegistration(request.params.sub)))
        throw contentError('NOT_FOUND', 'No such registration.', { status: 404 });
      request.log.warn({ sub: request.params.sub }, 'DSR registration removed by an operator');
      return reply.code(204).send(null);
    },
  );
};
