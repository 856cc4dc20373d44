import type { CodeTable } from '../errors.js';

/** Codes of the shared crypto: DER and BER parsing, certificates and chains, keys, HTTP message signatures. */
export const CRYPTO_CODES = {
  MALFORMED_CERTIFICATE: {
    category: 'CONTENT',
    description:
      'A certificate is not strict DER X.509; the device or client sent a damaged or non-conforming certificate.',
  },
  MALFORMED_TRUST_ANCHOR: {
    category: 'CONTENT',
    description:
      'A configured trust anchor is not a valid certificate; raised while loading anchors, so it stops the server at start.',
  },
  MALFORMED_CSR: {
    category: 'CONTENT',
    description:
      'The PKCS#10 certificate request is not strict DER or breaks a rule of the protocol (attribute order, structure).',
  },
  MALFORMED_PUBLIC_KEY: {
    category: 'CONTENT',
    description: 'A SubjectPublicKeyInfo or JWK does not encode a valid public key.',
  },
  UNSUPPORTED_KEY_ALGORITHM: {
    category: 'CONTENT',
    description: 'The key uses an algorithm or curve Keyward does not support (EC P-256/P-384 and RSA are).',
  },
  UNSUPPORTED_SIGNATURE_ALGORITHM: {
    category: 'CONTENT',
    description: 'A certificate or request is signed with an algorithm Keyward does not support.',
  },
  CERTIFICATE_CHAIN_EMPTY: { category: 'CONTENT', description: 'The attestation carries no certificates.' },
  CERTIFICATE_CHAIN_TOO_LONG: {
    category: 'CONTENT',
    description: 'The certificate chain has more certificates than any genuine attestation does.',
  },
  CERTIFICATE_EXPIRED: {
    category: 'TIME',
    description: 'A certificate of the chain has expired; check the device clock and the server clock.',
  },
  CERTIFICATE_NOT_YET_VALID: {
    category: 'TIME',
    description: 'A certificate of the chain is not valid yet; usually a clock skew between device and server.',
  },
  CERTIFICATE_NOT_CA: {
    category: 'TRUST',
    description:
      'A certificate that signs another in the chain is not allowed to (no CA basic constraint or key usage, or path length exceeded).',
  },
  CERTIFICATE_SIGNATURE_INVALID: {
    category: 'TRUST',
    description: 'A certificate of the chain is not signed by the next one: the chain is forged or damaged.',
  },
  UNTRUSTED_ROOT: {
    category: 'TRUST',
    description:
      'The chain does not end in a configured trust anchor (a shipped root, a configured root file or, when enabled, a simulator root).',
  },
  STRUCTURED_FIELD_MALFORMED: {
    category: 'CONTENT',
    description: 'A structured header field (RFC 8941) does not parse.',
  },
  STRUCTURED_FIELD_TOO_LARGE: {
    category: 'CONTENT',
    description: 'A structured header field exceeds the size Keyward accepts.',
  },
  SIGNATURE_MISSING: {
    category: 'CONTENT',
    description: 'The request carries no HTTP message signature (RFC 9421) where one is required.',
  },
  SIGNATURE_MALFORMED: {
    category: 'CONTENT',
    description: 'The Signature or Signature-Input header does not parse or names unknown components.',
  },
  SIGNATURE_POLICY_VIOLATION: {
    category: 'TRUST',
    description:
      'The HTTP message signature does not cover the components, parameters or algorithm the endpoint requires.',
  },
  SIGNATURE_EXPIRED: {
    category: 'TIME',
    description: 'The HTTP message signature was created too long ago or has passed its expiry.',
  },
  SIGNATURE_NOT_YET_VALID: {
    category: 'TIME',
    description: 'The HTTP message signature was created in the future beyond the allowed skew.',
  },
  SIGNATURE_INVALID: { category: 'TRUST', description: 'The HTTP message signature does not verify with the key.' },
  CONTENT_DIGEST_MISSING: {
    category: 'CONTENT',
    description: 'The request has a body but no Content-Digest header (RFC 9530) with a supported algorithm.',
  },
  CONTENT_DIGEST_MALFORMED: { category: 'CONTENT', description: 'The Content-Digest header does not parse.' },
  CONTENT_DIGEST_MISMATCH: {
    category: 'TRUST',
    description: 'The Content-Digest does not match the body: the body was changed in transit or digested wrongly.',
  },
} as const satisfies CodeTable;
