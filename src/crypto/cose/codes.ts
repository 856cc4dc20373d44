import type { CodeTable } from '../../errors.js';

/**
 * Codes of COSE structures (RFC 9052): COSE_Sign1 and COSE_Mac0 framing and headers. Key and
 * algorithm failures keep the COSE_KEY_MALFORMED and COSE_ALGORITHM_UNSUPPORTED codes.
 */
export const COSE_CODES = {
  COSE_SIGN1_MALFORMED: {
    category: 'CONTENT',
    description:
      'A COSE_Sign1 is not a four-element array (untagged or tag 18) of protected header bstr, unprotected header map, payload and signature, or a header is mistyped.',
  },
  COSE_MAC0_MALFORMED: {
    category: 'CONTENT',
    description:
      'A COSE_Mac0 is not a four-element array (untagged or tag 17) of protected header bstr, unprotected header map, payload and tag, or a header is mistyped.',
  },
  COSE_PAYLOAD_MISSING: {
    category: 'CONTENT',
    description:
      'A COSE structure has a detached (nil) payload and none was supplied, or carries a payload while a detached one was supplied too.',
  },
} as const satisfies CodeTable;
