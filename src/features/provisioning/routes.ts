import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { DecisionRecorder } from '../../decision-log/decision-log.js';
import { recordDecision } from '../../decision-log/recorded.js';
import type { ProvisioningComponents } from './provisioning-from-config.js';
import type { ProvisioningReply } from './provisioning-service.js';
import { writeEndSession } from './protocol/responses.js';

export const PROVISIONING_PATH = '/mdlServer';

/** A flow's completion or failure for the decision log (the messages in between decide nothing on their own). */
function recordFlow(decisionLog: DecisionRecorder, answer: ProvisioningReply, requestId: string): void {
  if (!answer.ended) return;
  recordDecision(decisionLog, {
    capability: 'provisioning',
    // A message refused before its flow was known (unreadable, unknown session) is filed as "unknown".
    operation: answer.flow ?? 'unknown',
    platform: 'android',
    requestId,
    ...(answer.subject === undefined ? {} : { subject: answer.subject }),
    ...(answer.code === undefined
      ? { outcome: 'accepted' as const }
      : { outcome: 'rejected' as const, category: answer.category ?? 'INTERNAL', code: answer.code }),
    summary: answer.docType === undefined ? {} : { docType: answer.docType },
  });
}

/**
 * The identity-credential provisioning endpoint (docs/protocols/provisioning.md): one CBOR
 * message in, one out. Any request Content-Type is read as the raw body (the Android holder app
 * sends application/x-www-form-urlencoded); the reply is application/cbor, HTTP 200 also for a
 * refusal, which is an EndSessionMessage with reason Failed (its code is in the log). The
 * issuer's IACA certificate is published beside it for readers and holders.
 */
export const provisioningRoutes: FastifyPluginAsyncTypebox<{
  provisioning: ProvisioningComponents;
  maxBodyBytes: number;
  decisionLog: DecisionRecorder;
}> = async (app, { provisioning, maxBodyBytes, decisionLog }) => {
  // Whatever the framework refuses here (a body over the limit, a broken upload) is answered as the
  // protocol answers every failure: EndSessionMessage Failed, the code in the log.
  app.setErrorHandler((error, request, reply) => {
    const code =
      (error as { code?: string }).code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? 'PROVISIONING_MESSAGE_TOO_LARGE'
        : 'PROVISIONING_MALFORMED_CBOR';
    request.log.info({ code, detail: (error as Error).message }, 'provisioning refused');
    return reply
      .code(200)
      .type('application/cbor')
      .send(Buffer.from(writeEndSession(undefined, 'Failed')));
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBodyBytes }, (_request, body, done) =>
    done(null, body),
  );
  const tags = ['provisioning'];

  app.post(
    PROVISIONING_PATH,
    {
      schema: {
        tags,
        summary: 'One identity-credential provisioning message (CBOR map with messageType) → the reply message (CBOR)',
        description:
          'Flows: provisioning (StartProvisioning with a provisioning code …), certify auth keys, update credential, delete credential. A refusal is answered 200 with EndSessionMessage {reason: "Failed"}.',
      },
    },
    async (request, reply) => {
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const answer = await provisioning.service.handle(body);
      recordFlow(decisionLog, answer, request.id);
      // One line per refusal, with the request id: the code and its log-only detail.
      if (answer.code)
        request.log.info(
          { code: answer.code, sessionId: answer.sessionId, detail: answer.detail },
          'provisioning refused',
        );
      return reply.type('application/cbor').header('cache-control', 'no-store').send(Buffer.from(answer.reply));
    },
  );

  app.get(
    '/mdoc/iaca.pem',
    {
      schema: {
        tags,
        summary: "The issuer's IACA certificate (PEM): the trust anchor of the mdocs this server issues",
        response: { 200: Type.String() },
      },
    },
    async (_request, reply) =>
      reply
        .type('application/x-pem-file')
        .header('cache-control', 'public, max-age=3600')
        .send(provisioning.signer.iaca.toPem()),
  );
};
