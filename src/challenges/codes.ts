import type { CodeTable } from '../errors.js';

/** Codes of challenges: single-use nonces and the signed challenge tokens built on them. */
export const CHALLENGE_CODES = {
  CHALLENGE_PURPOSE_UNKNOWN: {
    category: 'CONTENT',
    description: 'The challenge purpose is not one this server issues challenges for.',
  },
  CHALLENGE_UNKNOWN: {
    category: 'CONTENT',
    description: 'The challenge was never issued by this server, or has been purged: fetch a new one.',
  },
  CHALLENGE_USED: {
    category: 'TRUST',
    description:
      'The challenge has already been used: every challenge is single-use. Warden answers it as CONTENT (its nonce binding is absent or incorrect).',
  },
  CHALLENGE_EXPIRED: {
    category: 'TIME',
    description: 'The challenge has expired: fetch a new one and answer it sooner (challenges.ttlSeconds).',
  },
  CHALLENGE_SUBJECT_MISMATCH: {
    category: 'TRUST',
    description:
      'The challenge was issued for a different subject, or bound where none was given (or the reverse). Warden answers it as CONTENT (its nonce binding is absent or incorrect).',
  },
  CHALLENGE_TOKEN_MALFORMED: { category: 'CONTENT', description: 'The challenge token is not a well-formed JWT.' },
  CHALLENGE_TOKEN_INVALID: {
    category: 'TRUST',
    description: 'The challenge token was not issued by this server (signature, issuer or type do not match).',
  },
  MALFORMED_BASE64URL: { category: 'CONTENT', description: 'A value that must be base64url is not.' },
} as const satisfies CodeTable;
