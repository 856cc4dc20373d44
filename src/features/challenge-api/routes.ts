import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { decodeBase64Url } from '../../challenges/encoding.js';
import { ErrorReply } from '../../http-kit/error-replies.js';
import { noStore } from '../../http-kit/no-store.js';
import type { ChallengeService } from '../../challenges/challenge-service.js';
import { ConsumeChallengeBody, ConsumedChallengeReply, IssueChallengeBody, IssuedChallengeReply } from './schemas.js';

const errors = { 400: ErrorReply, 403: ErrorReply, 413: ErrorReply, 415: ErrorReply };

/** The generic challenge API, for clients that only need a single-use nonce. */
export const challengeRoutes: FastifyPluginAsyncTypebox<{ challenges: ChallengeService }> = async (
  app,
  { challenges },
) => {
  noStore(app);
  app.post(
    '/v1/challenges',
    {
      schema: {
        tags: ['challenges'],
        summary: 'Issue a single-use challenge for a configured purpose',
        body: IssueChallengeBody,
        response: { 200: IssuedChallengeReply, ...errors },
      },
    },
    async (request) => {
      challenges.assertPublicPurpose(request.body.purpose);
      const issued = await challenges.issue(request.body.purpose);
      return { challenge: issued.value.toString('base64url'), expiresAt: new Date(issued.expiresAt).toISOString() };
    },
  );

  app.post(
    '/v1/challenges/consume',
    {
      schema: {
        tags: ['challenges'],
        summary: 'Consume a challenge: succeeds once, then reports CHALLENGE_USED',
        body: ConsumeChallengeBody,
        response: { 200: ConsumedChallengeReply, ...errors },
      },
    },
    async (request) => {
      challenges.assertPublicPurpose(request.body.purpose);
      const value = decodeBase64Url(request.body.challenge, 'challenge', 'CHALLENGE_UNKNOWN');
      const record = await challenges.consume(request.body.purpose, value);
      return { purpose: record.purpose, issuedAt: new Date(record.issuedAt).toISOString() };
    },
  );
};
