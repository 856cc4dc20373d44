import type { CodeTable } from '../../../errors.js';

/** Codes of the tpm, android-key and android-safetynet attestation statement formats. */
export const WEBAUTHN_FORMAT_CODES = {
  TPM_STATEMENT_MALFORMED: {
    category: 'CONTENT',
    description:
      'The tpm attestation statement lacks a field (ver, alg, x5c, sig, certInfo, pubArea) or has one of the wrong type.',
  },
  TPM_VERSION_UNSUPPORTED: {
    category: 'CONTENT',
    description: 'The tpm attestation statement is not of TPM version "2.0", the only one WebAuthn defines.',
  },
  TPM_ECDAA_UNSUPPORTED: {
    category: 'CONTENT',
    description: 'The tpm attestation statement uses ECDAA, which WebAuthn Level 2 removed; Keyward accepts only x5c.',
  },
  TPM_ALGORITHM_UNSUPPORTED: {
    category: 'CONTENT',
    description:
      'The tpm attestation statement names an algorithm Keyward does not know, or one without a hash for certInfo extraData (EdDSA).',
  },
  TPM_STRUCTURE_MALFORMED: {
    category: 'CONTENT',
    description: 'certInfo (TPMS_ATTEST) or pubArea (TPMT_PUBLIC) does not parse: truncated, or bytes after its end.',
  },
  TPM_KEY_TYPE_UNSUPPORTED: {
    category: 'CONTENT',
    description:
      'pubArea describes a key that is neither RSA nor ECC on P-256/P-384/P-521, or names a hash algorithm Keyward does not know.',
  },
  TPM_PUBLIC_KEY_MISMATCH: {
    category: 'TRUST',
    description:
      "pubArea's key (RSA modulus and exponent, or ECC curve and point) is not the credential public key in the authenticator data.",
  },
  TPM_NOT_TPM_GENERATED: {
    category: 'TRUST',
    description: 'certInfo does not start with TPM_GENERATED_VALUE: the TPM did not produce it.',
  },
  TPM_CERTINFO_TYPE_INVALID: {
    category: 'CONTENT',
    description: 'certInfo is not a TPM2_Certify attestation (type TPM_ST_ATTEST_CERTIFY).',
  },
  TPM_EXTRA_DATA_MISMATCH: {
    category: 'TRUST',
    description:
      "certInfo's extraData is not the hash of authenticator data and client data hash: the statement was not made for this registration.",
  },
  TPM_NAME_MISMATCH: {
    category: 'TRUST',
    description:
      'The name certInfo certifies is not the name (nameAlg and digest) of pubArea: another key was certified.',
  },
  TPM_SIGNATURE_INVALID: {
    category: 'TRUST',
    description: "The tpm statement's sig does not verify over certInfo with the attestation identity key certificate.",
  },
  TPM_AIK_CERTIFICATE_INVALID: {
    category: 'TRUST',
    description:
      'The attestation identity key certificate breaks WebAuthn §8.3.1: not version 3, a non-empty subject, no critical subjectAltName with the TPM manufacturer, model and version, no tcg-kp-AIKCertificate extended key usage, or a CA.',
  },
  TPM_MANUFACTURER_UNKNOWN: {
    category: 'TRUST',
    description: "The TPM manufacturer in the AIK certificate is not in the TCG's TPM vendor ID registry.",
  },
  TPM_AAGUID_MISMATCH: {
    category: 'TRUST',
    description:
      "The AIK certificate's id-fido-gen-ce-aaguid extension names another authenticator model than the authenticator data.",
  },
  ANDROID_KEY_STATEMENT_MALFORMED: {
    category: 'CONTENT',
    description: 'The android-key attestation statement lacks alg, sig or x5c, or has one of the wrong type.',
  },
  ANDROID_KEY_ALGORITHM_UNSUPPORTED: {
    category: 'CONTENT',
    description: 'The android-key attestation statement is signed with an algorithm Keyward does not support.',
  },
  ANDROID_KEY_SIGNATURE_INVALID: {
    category: 'TRUST',
    description:
      "The android-key statement's sig does not verify over authenticator data and client data hash with the leaf certificate's key.",
  },
  ANDROID_KEY_PUBLIC_KEY_MISMATCH: {
    category: 'TRUST',
    description: 'The attested key in the leaf certificate is not the credential public key in the authenticator data.',
  },
  ANDROID_KEY_RECORD_MISSING: {
    category: 'CONTENT',
    description: 'The android-key leaf certificate carries no Android key attestation record (KeyDescription).',
  },
  ANDROID_KEY_CHALLENGE_MISMATCH: {
    category: 'TRUST',
    description:
      "The attestation record's attestationChallenge is not the client data hash: the key was attested for another registration.",
  },
  ANDROID_KEY_ALL_APPLICATIONS: {
    category: 'TRUST',
    description:
      'The attested key is usable by every app on the device (allApplications), so it is not scoped to the relying party.',
  },
  ANDROID_KEY_ORIGIN_NOT_GENERATED: {
    category: 'TRUST',
    description: 'The attested key was not generated in the keystore (origin is not KM_ORIGIN_GENERATED).',
  },
  ANDROID_KEY_PURPOSE_NOT_SIGN: {
    category: 'TRUST',
    description: 'The attested key is not a signing key (purpose is not KM_PURPOSE_SIGN alone).',
  },
  SAFETYNET_STATEMENT_MALFORMED: {
    category: 'CONTENT',
    description: 'The android-safetynet attestation statement lacks a non-empty ver or the response bytes.',
  },
  SAFETYNET_RESPONSE_MALFORMED: {
    category: 'CONTENT',
    description:
      'The SafetyNet response is not a compact JWS with an x5c header and the expected claims (nonce, timestampMs, ctsProfileMatch).',
  },
  SAFETYNET_ALGORITHM_UNSUPPORTED: {
    category: 'CONTENT',
    description: 'The SafetyNet response is not signed with RS256, the algorithm SafetyNet uses.',
  },
  SAFETYNET_SIGNATURE_INVALID: {
    category: 'TRUST',
    description: "The SafetyNet response's JWS signature does not verify with its leaf certificate.",
  },
  SAFETYNET_NONCE_MISMATCH: {
    category: 'TRUST',
    description:
      'The SafetyNet nonce is not the SHA-256 of authenticator data and client data hash: the response was made for another registration.',
  },
  SAFETYNET_HOSTNAME_MISMATCH: {
    category: 'TRUST',
    description: 'The SafetyNet response is not signed by a certificate issued to attest.android.com.',
  },
  SAFETYNET_CTS_PROFILE_MISMATCH: {
    category: 'TRUST',
    description:
      'SafetyNet reports ctsProfileMatch false (an uncertified, rooted or modified device); refused while fido2.safetynet.requireCtsProfileMatch is on.',
  },
  SAFETYNET_TIMESTAMP_TOO_OLD: {
    category: 'TIME',
    description: 'The SafetyNet response was made longer ago than the allowed window: a stale or replayed response.',
  },
  SAFETYNET_TIMESTAMP_IN_FUTURE: {
    category: 'TIME',
    description:
      'The SafetyNet response is dated further in the future than the allowed window; check the server clock.',
  },
} as const satisfies CodeTable;
