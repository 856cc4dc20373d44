import type { CodeTable } from '../../../errors.js';

/** The CSR of a DSR device registration (RFC-01): the request for the device's mTLS client certificate. */
export const DSR_DEVICE_CA_CODES = {
  DSR_CSR_SIGNATURE_INVALID: {
    category: 'TRUST',
    description:
      'The certificate request is unsigned or its signature does not verify with the key it requests a certificate for.',
  },
  DSR_CSR_KEY_UNSUPPORTED: {
    category: 'CONTENT',
    description:
      'The certificate request is for a key other than EC P-256 or P-384, the keys device keystores make for mTLS.',
  },
  DSR_CSR_CHALLENGE_MISSING: {
    category: 'CONTENT',
    description:
      'The certificate request carries no challengePassword (in its subject, where the reference clients put it, or as a PKCS#9 attribute), or more than one.',
  },
  DSR_CSR_CHALLENGE_MISMATCH: {
    category: 'TRUST',
    description:
      'The challengePassword is not base64(SHA-256(nonce ‖ "CSR_MTLS")) of the registration nonce: the request was not made for this registration.',
  },
  DSR_CSR_SUB_MISMATCH: {
    category: 'TRUST',
    description:
      "The registration token's sub is not the fingerprint of the certificate request's key (base64 SHA-256 of the public key bits).",
  },
} as const satisfies CodeTable;
