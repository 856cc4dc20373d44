import { Type } from '@sinclair/typebox';

export const Purpose = Type.String({
  minLength: 1,
  maxLength: 64,
  description: 'One of the purposes configured under challenges.purposes.',
  examples: ['default'],
});

export const ChallengeValue = Type.String({
  pattern: '^[A-Za-z0-9_-]{6,171}$',
  description: 'The challenge as base64url without padding.',
});

export const IssueChallengeBody = Type.Object({ purpose: Purpose }, { additionalProperties: false });

export const IssuedChallengeReply = Type.Object({
  challenge: ChallengeValue,
  expiresAt: Type.String({ format: 'date-time', description: 'ISO-8601 time after which the challenge is refused.' }),
});

export const ConsumeChallengeBody = Type.Object(
  { purpose: Purpose, challenge: ChallengeValue },
  { additionalProperties: false },
);

export const ConsumedChallengeReply = Type.Object({
  purpose: Type.String(),
  issuedAt: Type.String({ format: 'date-time' }),
});
