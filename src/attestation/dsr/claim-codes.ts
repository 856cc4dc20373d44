import type { CodeTable } from '../../errors.js';

/**
 * Codes of the claims in DSR device tokens sent by the client (gematik RFC-01 registration token,
 * RFC-02 device-attestation token): their shape as the reference clients write them, their age,
 * the nonce text and the SDK version allow-list (masterData.json).
 */
export const DSR_CLAIM_CODES = {
  DSR_CLAIMS_NOT_OBJECT: {
    category: 'CONTENT',
    description: 'The token payload (or a nested claim such as deviceAttributes) is not a JSON object.',
  },
  DSR_CLAIM_MISSING: {
    category: 'CONTENT',
    description: 'A claim the reference client always sends is missing; the detail names it.',
  },
  DSR_CLAIM_UNEXPECTED: {
    category: 'CONTENT',
    description: 'The token carries a claim the reference client never sends for its platform; the detail names it.',
  },
  DSR_CLAIM_INVALID: {
    category: 'CONTENT',
    description:
      'A claim has the wrong type or encoding (e.g. not canonical base64, not an integer, an empty certificate list); the detail names it.',
  },
  DSR_CLAIM_PLATFORM_UNSUPPORTED: {
    category: 'CONTENT',
    description:
      'The claim type names no supported platform (android or iOS, in the spellings the reference GMS accepts).',
  },
  DSR_CLAIM_NONCE_MALFORMED: {
    category: 'CONTENT',
    description: 'The nonce claim is not a nonce as the GMS hands them out (canonical, padded standard base64).',
  },
  DSR_CLAIM_ISSUED_TOO_LONG_AGO: {
    category: 'TIME',
    description:
      'The token was issued (iat) longer ago than allowed (60 minutes for registration, 30 for attestation by default).',
  },
  DSR_CLAIM_ISSUED_IN_FUTURE: {
    category: 'TIME',
    description:
      'The token was issued (iat) in the future beyond the allowed clock skew; check the device and server clocks.',
  },
  DSR_CLAIM_SDK_VERSION_UNTRUSTED: {
    category: 'TRUST',
    description: 'The SDK version in iss (TrustSDK_<version>) is not in the trusted SDK versions of the master data.',
  },
  DSR_MASTER_DATA_MALFORMED: {
    category: 'INTERNAL',
    description:
      'The DSR master data (masterData.json: availablePackages, availableAppIds, trustedSDKVersions) does not have the expected structure.',
  },
} as const satisfies CodeTable;
