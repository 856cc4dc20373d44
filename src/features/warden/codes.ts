import type { CodeTable } from '../../errors.js';

/** Codes of Warden Supreme: policies, the CSR with its attestation proof, and issuance. */
export const WARDEN_CODES = {
  UNKNOWN_POLICY: {
    category: 'CONTENT',
    status: 404,
    description: 'There is no attestation policy with this name (warden.policies).',
  },
  PROOF_MISSING: {
    category: 'CONTENT',
    description: 'The certificate request carries no attestation proof attribute.',
  },
  PROOF_MALFORMED: {
    category: 'CONTENT',
    description: 'The attestation proof attribute does not hold exactly one UTF8String.',
  },
  STATEMENT_MALFORMED: {
    category: 'CONTENT',
    description: 'The attestation statement in the proof is malformed JSON or misses fields.',
  },
  UNSUPPORTED_STATEMENT: {
    category: 'CONTENT',
    description: 'The attestation statement type is not one Warden supports.',
  },
  DUPLICATE_ATTRIBUTE: { category: 'CONTENT', description: 'A certificate request attribute appears more than once.' },
  DEVICE_NAME_MALFORMED: {
    category: 'CONTENT',
    description: 'The device name attribute is empty, too long or has control characters.',
  },
  NONCE_MISSING: {
    category: 'CONTENT',
    description: 'The request subject does not carry exactly one serialNumber holding the nonce.',
  },
  NONCE_MALFORMED: {
    category: 'CONTENT',
    description: 'The subject serialNumber is not the nonce in hex (either case).',
  },
  PLATFORM_NOT_CONFIGURED: {
    category: 'CONTENT',
    description: 'The policy accepts no proofs from this platform (for App Attest: no apple.appIds).',
  },
  DATA_AUTH_MISMATCH: {
    category: 'TRUST',
    description: 'The request does not authenticate its data the way the challenge asked (signed or hashed).',
  },
  ATTESTED_KEY_MISMATCH: { category: 'TRUST', description: 'The certificate request is not for the attested key.' },
  CSR_SIGNATURE_INVALID: {
    category: 'TRUST',
    description: 'The certificate request is not signed by the attested key.',
  },
  ISSUANCE_NOT_RECORDED: {
    category: 'INTERNAL',
    description: 'The binding certificate could not be recorded, so it was not issued; the client may retry.',
  },
} as const satisfies CodeTable;
