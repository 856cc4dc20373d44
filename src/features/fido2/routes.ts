import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Counter } from 'prom-client';
import type { DecisionRecorder } from '../../decision-log/decision-log.js';
import { recorded } from '../../decision-log/recorded.js';
import { isKeywardError, type KeywardError } from '../../errors.js';
import { sendError, type ErrorReplyFormat } from '../../http-kit/error-replies.js';
import { noStore } from '../../http-kit/no-store.js';
import type { Fido2Service } from './fido2-service.js';
import {
  AssertionResultReply,
  AssertionResultRequest,
  AttestationResultReply,
  AttestationResultRequest,
  CreationOptionsReply,
  CreationOptionsRequest,
  type Fido2Failure,
  Fido2FailureReply,
  GetOptionsReply,
  GetOptionsRequest,
} from './schemas.js';

/** Where the ceremony routes live: what the framework refuses under it is answered as a ServerResponse too. */
export const FIDO2_PATH_PREFIX = '/fido2/';

/** Statuses that say something about the HTTP exchange itself (no such route, too large, wrong type, too slow): kept as they are. */
const HTTP_LEVEL = new Set([404, 408, 413, 414, 415, 431]);

/**
 * The conformance API's failure: `{status: "failed", errorMessage, code}` with HTTP 400 — for
 * TRUST failures too, as the profile answers every refused ceremony — except HTTP-level refusals
 * and server faults, which keep their status (5xx with an incident id in the message).
 */
export const fido2FailureFormat: ErrorReplyFormat = {
  status: (error: KeywardError) => (error.status >= 500 || HTTP_LEVEL.has(error.status) ? error.status : 400),
  body: (error, incidentId): Fido2Failure => ({
    status: 'failed',
    errorMessage:
      error.category === 'INTERNAL' ? `An unexpected error occurred (incident ${incidentId}).` : error.message,
    code: error.code,
  }),
};

const failures = { 400: Fido2FailureReply, 500: Fido2FailureReply };

/** A ceremony's decision before it is made: a refusal is filed under the credential id the response claims. */
const ceremonyDraft = (operation: 'registration' | 'authentication', requestId: string, body: unknown) => {
  const claimed = (body as { id?: unknown } | undefined)?.id;
  return {
    capability: 'fido2',
    operation,
    platform: 'webauthn',
    requestId,
    ...(typeof claimed === 'string' ? { subject: claimed } : {}),
  };
};

/**
 * The WebAuthn ceremonies in the FIDO Alliance server-conformance API (docs/protocols/webauthn.md),
 * the routes Janssen's FIDO2 server exposes, under /fido2. Every reply is a ServerResponse: status
 * ok with the ceremony's fields, or status failed with a message and Keyward's code.
 */
export const fido2Routes: FastifyPluginAsyncTypebox<{
  fido2: Fido2Service;
  ceremonies: Counter<'ceremony' | 'outcome'>;
  decisionLog: DecisionRecorder;
}> = async (app, { fido2, ceremonies, decisionLog }) => {
  /** A result route's outcome, counted: ok, or the code it was refused with. */
  const counted = async <T>(ceremony: 'registration' | 'authentication', run: () => Promise<T>): Promise<T> => {
    try {
      const reply = await run();
      ceremonies.inc({ ceremony, outcome: 'ok' });
      return reply;
    } catch (error) {
      ceremonies.inc({ ceremony, outcome: isKeywardError(error) ? error.code : 'INTERNAL_ERROR' });
      throw error;
    }
  };
  noStore(app);
  app.setErrorHandler((thrown, request, reply) => sendError(request, reply, thrown, fido2FailureFormat));
  const tags = ['fido2'];

  app.post(
    '/fido2/attestation/options',
    {
      schema: {
        tags,
        summary: 'Registration options (ServerPublicKeyCredentialCreationOptionsRequest → …Response)',
        description:
          "A new user name gets a fresh user handle; its user is created only when a registration result verifies. excludeCredentials lists the user's credentials; attestation is none when fido2.attestationMode is disabled.",
        body: CreationOptionsRequest,
        response: { 200: CreationOptionsReply, ...failures },
      },
    },
    async (request) => fido2.registrationOptions(request.body),
  );
  app.post(
    '/fido2/attestation/result',
    {
      schema: {
        tags,
        summary: 'Verify a registration and store the credential (ServerAuthenticatorAttestationResponse)',
        description:
          "Also accepts PublicKeyCredential.toJSON()'s shape. The reply adds Keyward's attestation result: format, attestation type, trust, AAGUID, metadata.",
        body: AttestationResultRequest,
        response: { 200: AttestationResultReply, ...failures },
      },
    },
    async (request) =>
      counted('registration', () =>
        recorded(
          decisionLog,
          ceremonyDraft('registration', request.id, request.body),
          () => fido2.registrationResult(request.body),
          (reply) => ({
            subject: reply.credentialId,
            summary: {
              userHandle: reply.userHandle,
              aaguid: reply.aaguid,
              fmt: reply.fmt,
              attestationType: reply.attestationType,
              trust: reply.trust,
              userVerified: reply.userVerified,
              backupEligible: reply.backupEligible,
              ...(reply.metadata.found ? { metadata: reply.metadata.description } : {}),
              ...(reply.warnings.length > 0 ? { warnings: reply.warnings } : {}),
            },
          }),
        ),
      ),
  );
  app.post(
    '/fido2/assertion/options',
    {
      schema: {
        tags,
        summary: 'Sign-in options (ServerPublicKeyCredentialGetOptionsRequest → …Response)',
        description:
          "With a user name, allowCredentials lists the user's credentials; without one (empty or absent), allowCredentials is empty and a discoverable credential answers.",
        body: GetOptionsRequest,
        response: { 200: GetOptionsReply, ...failures },
      },
    },
    async (request) => fido2.authenticationOptions(request.body),
  );
  app.post(
    '/fido2/assertion/result',
    {
      schema: {
        tags,
        summary: 'Verify a sign-in (ServerAuthenticatorAssertionResponse)',
        description:
          'A signature counter that does not increase flags the credential as possibly cloned; it is refused from then on.',
        body: AssertionResultRequest,
        response: { 200: AssertionResultReply, ...failures },
      },
    },
    async (request) =>
      counted('authentication', () =>
        recorded(
          decisionLog,
          ceremonyDraft('authentication', request.id, request.body),
          () => fido2.authenticationResult(request.body),
          (reply) => ({
            subject: reply.credentialId,
            summary: {
              userHandle: reply.userHandle,
              userName: reply.userName,
              counter: reply.counter,
              userVerified: reply.userVerified,
              backedUp: reply.backedUp,
            },
          }),
        ),
      ),
  );
};
