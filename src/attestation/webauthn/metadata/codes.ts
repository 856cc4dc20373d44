import type { CodeTable } from '../../../errors.js';

/** Codes of FIDO metadata: MDS3 BLOBs, metadata statements and status decisions. */
export const METADATA_CODES = {
  METADATA_BLOB_MALFORMED: {
    category: 'CONTENT',
    description:
      'The metadata BLOB is not a compact JWS with a JSON header and payload of the MDS3 shape (no, nextUpdate, entries), or it is larger than allowed.',
  },
  METADATA_BLOB_ALGORITHM_UNSUPPORTED: {
    category: 'CONTENT',
    description:
      'The metadata BLOB is signed with an algorithm Keyward does not accept for BLOBs (RS256, ES256, PS256 and EdDSA are), or names critical header extensions.',
  },
  METADATA_BLOB_SIGNATURE_INVALID: {
    category: 'TRUST',
    description:
      "The metadata BLOB's signature does not verify with its signing certificate's key: the BLOB was changed or forged.",
  },
  METADATA_BLOB_NOT_NEWER: {
    category: 'TRUST',
    description:
      'The metadata BLOB is not newer than the one already held (its serial number no is not greater): a replayed or rolled-back BLOB.',
  },
  METADATA_BLOB_STALE: {
    category: 'TIME',
    description:
      'The metadata BLOB is past its nextUpdate by more than the grace period (fido2.mds.graceDays): a newer BLOB should have been published.',
  },
  METADATA_CERTIFICATE_REVOKED: {
    category: 'TRUST',
    description: "A certificate of the metadata BLOB's signing chain is listed as revoked in its issuer's CRL.",
  },
  METADATA_CRL_UNAVAILABLE: {
    category: 'INTERNAL',
    status: 503,
    description:
      "A CRL of the metadata BLOB's signing chain could not be obtained while fido2.mds.crlCheck is required: check outbound access or fido2.mds.crlFiles.",
  },
  METADATA_CRL_INVALID: {
    category: 'TRUST',
    description:
      "A CRL of the metadata BLOB's signing chain does not parse, is not its issuer's (name or signature), or is a delta or indirect CRL (refused when fido2.mds.crlCheck is required).",
  },
  METADATA_CRL_STALE: {
    category: 'TIME',
    description:
      "A CRL of the metadata BLOB's signing chain is past its nextUpdate or not yet valid (refused when fido2.mds.crlCheck is required): fetch or configure a current CRL.",
  },
  METADATA_STATEMENT_INVALID: {
    category: 'CONTENT',
    description:
      'A metadata statement or MDS entry lacks a field Keyward relies on or has it in the wrong form (AAGUID, key identifiers, root certificates, status reports); the message names the field.',
  },
} as const satisfies CodeTable;
