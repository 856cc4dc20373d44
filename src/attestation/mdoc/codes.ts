import type { CodeTable } from '../../errors.js';

/**
 * Codes of the reader-side verification of ISO/IEC 18013-5 mdocs: a DeviceResponse or an
 * IssuerSigned, its issuerAuth, the document signer chain, the MSO, the digests, the validity
 * and the device authentication (deviceSignature or deviceMac).
 */
export const MDOC_CODES = {
  MDOC_MALFORMED: {
    category: 'CONTENT',
    description:
      'The DeviceResponse or IssuerSigned is not strict CBOR in the ISO 18013-5 structure (a member missing, mistyped or unknown where the standard fixes it).',
  },
  MDOC_TOO_LARGE: {
    category: 'CONTENT',
    description: 'The mdoc is larger, nests deeper or holds more documents or items than Keyward accepts.',
  },
  MDOC_VERSION_UNSUPPORTED: {
    category: 'CONTENT',
    description: 'The DeviceResponse version is not 1.x, or the MSO version is not "1.0".',
  },
  MDOC_STATUS_ERROR: {
    category: 'CONTENT',
    description: 'The DeviceResponse status is not 0 (OK) or it carries no document.',
  },
  MDOC_ISSUER_CHAIN_MISSING: {
    category: 'CONTENT',
    description: 'The issuerAuth COSE_Sign1 carries no document signer certificate (x5chain, label 33).',
  },
  MDOC_ISSUER_UNTRUSTED: {
    category: 'TRUST',
    description:
      'The document signer chain does not lead to a trusted certificate (an IACA root, or a document signer certificate trusted directly).',
  },
  MDOC_ISSUER_CHAIN_INVALID: {
    category: 'TRUST',
    description: 'A certificate of the document signer chain is not signed by the next one or is not allowed to sign.',
  },
  MDOC_ISSUER_CERTIFICATE_EXPIRED: {
    category: 'TIME',
    description: 'A certificate of the document signer chain is not valid at the verification time.',
  },
  MDOC_ISSUER_SIGNATURE_INVALID: {
    category: 'TRUST',
    description: 'The issuerAuth signature does not verify with the document signer certificate key.',
  },
  MDOC_MSO_MALFORMED: {
    category: 'CONTENT',
    description: 'The MobileSecurityObject (the tag-24 issuerAuth payload) is missing a member or has a mistyped one.',
  },
  MDOC_DIGEST_ALGORITHM_UNSUPPORTED: {
    category: 'CONTENT',
    description: 'The MSO digestAlgorithm is not SHA-256, SHA-384 or SHA-512.',
  },
  MDOC_DOCTYPE_MISMATCH: {
    category: 'CONTENT',
    description: "The MSO docType is not the document's docType.",
  },
  MDOC_DIGEST_MISSING: {
    category: 'TRUST',
    description:
      'A data element has no digest in the MSO under its namespace and digestID: it is not signed by the issuer.',
  },
  MDOC_DIGEST_MISMATCH: {
    category: 'TRUST',
    description: 'A data element (IssuerSignedItemBytes) does not hash to its MSO digest: it was altered.',
  },
  MDOC_NOT_YET_VALID: {
    category: 'TIME',
    description: 'The verification time is before the MSO validFrom.',
  },
  MDOC_EXPIRED: {
    category: 'TIME',
    description: 'The verification time is after the MSO validUntil.',
  },
  MDOC_DEVICE_KEY_MALFORMED: {
    category: 'CONTENT',
    description: 'The MSO deviceKeyInfo.deviceKey is not an EC2 COSE_Key on P-256, P-384 or P-521.',
  },
  MDOC_SESSION_TRANSCRIPT_MALFORMED: {
    category: 'CONTENT',
    description: 'The session transcript given for device authentication is not one CBOR item.',
  },
  MDOC_DEVICE_AUTH_MALFORMED: {
    category: 'CONTENT',
    description:
      'deviceSigned is missing or malformed: nameSpaces is not tag-24 bytes, or deviceAuth holds neither or both of deviceSignature and deviceMac.',
  },
  MDOC_DEVICE_AUTH_UNSUPPORTED: {
    category: 'CONTENT',
    description:
      'The deviceSignature or deviceMac uses an algorithm Keyward does not verify (ES256/384/512, HMAC 256/256).',
  },
  MDOC_DEVICE_SIGNATURE_INVALID: {
    category: 'TRUST',
    description:
      'The deviceSignature does not verify with the MSO device key over DeviceAuthenticationBytes: the session transcript differs or the mdoc is not the holder of the key.',
  },
  MDOC_DEVICE_MAC_INVALID: {
    category: 'TRUST',
    description:
      "The deviceMac does not verify with the EMacKey derived from the reader's ephemeral key and the MSO device key: a wrong reader key or session transcript, or a forged response.",
  },
} as const satisfies CodeTable;
