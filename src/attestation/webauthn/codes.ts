import type { CodeTable } from '../../errors.js';

/** Codes of WebAuthn registrations and assertions: client data, authenticator data, COSE keys, trust. */
export const WEBAUTHN_CODES = {
  RESPONSE_MALFORMED: {
    category: 'CONTENT',
    description:
      'The credential response JSON does not have the PublicKeyCredential shape (a field is missing, mistyped, not base64url, or id is not rawId).',
  },
  CLIENT_DATA_JSON_MALFORMED: {
    category: 'CONTENT',
    description: 'clientDataJSON is not a UTF-8 JSON object with string type, challenge and origin (or repeats a key).',
  },
  CLIENT_DATA_TYPE_MISMATCH: {
    category: 'CONTENT',
    description:
      "clientDataJSON.type is not the ceremony's (webauthn.create for registration, webauthn.get for sign-in).",
  },
  WEBAUTHN_CHALLENGE_MISMATCH: {
    category: 'CONTENT',
    description: 'clientDataJSON.challenge is not the challenge issued for this ceremony.',
  },
  ORIGIN_MISMATCH: {
    category: 'TRUST',
    description: 'clientDataJSON.origin is not one of the configured origins (fido2.origins).',
  },
  CROSS_ORIGIN_REFUSED: {
    category: 'TRUST',
    description:
      'The ceremony ran in a cross-origin iframe (clientDataJSON.crossOrigin is true), which is not accepted.',
  },
  TOKEN_BINDING_UNSUPPORTED: {
    category: 'CONTENT',
    description: 'clientDataJSON says token binding is in use (status "present"), which Keyward does not support.',
  },
  ATTESTATION_OBJECT_MALFORMED: {
    category: 'CONTENT',
    description: 'The attestation object is not a CBOR map with a text fmt, a map attStmt and a byte string authData.',
  },
  AUTHENTICATOR_DATA_MALFORMED: {
    category: 'CONTENT',
    description:
      'The authenticator data is truncated, has bytes its flags do not announce, or carries malformed attested credential or extension data.',
  },
  ATTESTED_CREDENTIAL_MISSING: {
    category: 'CONTENT',
    description: "The registration's authenticator data carries no attested credential data (AT flag clear).",
  },
  COSE_KEY_MALFORMED: {
    category: 'CONTENT',
    description:
      'The credential public key is not a valid COSE_Key: a field is missing or mistyped, the point is not on the curve, the key is too weak, or alg does not fit kty/crv.',
  },
  COSE_ALGORITHM_UNSUPPORTED: {
    category: 'CONTENT',
    description:
      'The COSE algorithm is not one Keyward verifies (ES256, ES384, ES512, EdDSA, RS256, RS384, RS512, PS256, PS384, PS512, RS1).',
  },
  RP_ID_MISMATCH: {
    category: 'TRUST',
    description: "The authenticator data's rpIdHash is not SHA-256 of the configured RP ID (fido2.rpId).",
  },
  USER_PRESENCE_MISSING: {
    category: 'TRUST',
    description: 'The authenticator did not test user presence (UP flag clear).',
  },
  USER_VERIFICATION_MISSING: {
    category: 'TRUST',
    description: 'User verification is required but the authenticator did not verify the user (UV flag clear).',
  },
  BACKUP_STATE_INVALID: {
    category: 'CONTENT',
    description: 'The authenticator data says the credential is backed up (BS) but not backup eligible (BE).',
  },
  BACKUP_ELIGIBILITY_CHANGED: {
    category: 'TRUST',
    description: "The credential's backup eligibility (BE flag) differs from what it was at registration.",
  },
  CREDENTIAL_SIGNATURE_INVALID: {
    category: 'TRUST',
    description: 'The assertion signature does not verify with the registered credential public key.',
  },
  ATTESTATION_FORMAT_UNKNOWN: {
    category: 'CONTENT',
    description: 'The attestation statement format (fmt) is not one Keyward verifies.',
  },
  ATTESTATION_STATEMENT_MALFORMED: {
    category: 'CONTENT',
    description: "The attestation statement does not follow its format's syntax (missing, extra or mistyped fields).",
  },
  ATTESTATION_SIGNATURE_INVALID: {
    category: 'TRUST',
    description: 'The attestation statement signature does not verify with the attestation or credential key.',
  },
  ATTESTATION_ALGORITHM_MISMATCH: {
    category: 'CONTENT',
    description:
      "The attestation statement's algorithm does not fit the attestation certificate's key or (self attestation) is not the credential key's.",
  },
  ATTESTATION_CERTIFICATE_INVALID: {
    category: 'CONTENT',
    description:
      'The attestation certificate does not meet its format\'s requirements (packed: version 3, subject C/O/OU "Authenticator Attestation"/CN, not a CA, a non-critical AAGUID extension).',
  },
  ATTESTATION_AAGUID_MISMATCH: {
    category: 'CONTENT',
    description:
      "The AAGUID in the attestation certificate's id-fido-gen-ce-aaguid extension is not the authenticator's.",
  },
  ATTESTATION_AAGUID_NOT_ZERO: {
    category: 'CONTENT',
    description: 'A fido-u2f attestation carries a non-zero AAGUID (U2F authenticators have none).',
  },
  ATTESTATION_KEY_UNSUPPORTED: {
    category: 'CONTENT',
    description:
      'The attestation certificate or credential key is of a type the format does not allow (fido-u2f: EC P-256 only).',
  },
  ATTESTATION_KEY_MISMATCH: {
    category: 'CONTENT',
    description: 'The credential public key is not the key the attestation certificate certifies (apple).',
  },
  ATTESTATION_NONCE_MISMATCH: {
    category: 'CONTENT',
    description:
      "The attestation certificate's nonce is not SHA-256(authenticatorData ‖ clientDataHash): it was made for another registration (apple).",
  },
  COSE_ALGORITHM_NOT_ALLOWED: {
    category: 'CONTENT',
    description: "The credential key's algorithm is not one the server offered in pubKeyCredParams.",
  },
  RESPONSE_ID_MISMATCH: {
    category: 'CONTENT',
    description: 'The credential id of the response is not the one in the authenticator data.',
  },
  CREDENTIAL_ID_TOO_LONG: {
    category: 'CONTENT',
    description: 'The credential id is longer than 1023 bytes (WebAuthn §7.1).',
  },
  METADATA_NOT_FOUND: {
    category: 'TRUST',
    description:
      'fido2.attestationMode enforced: the authenticator (by AAGUID, or U2F attestation key identifier) is not in the metadata Keyward trusts.',
  },
  METADATA_STATUS_REFUSED: {
    category: 'TRUST',
    description:
      "The authenticator's metadata status in effect (e.g. REVOKED, ATTESTATION_KEY_COMPROMISE) or certification level is refused by fido2.mds.refuseStatuses / minCertificationLevel (enforced mode).",
  },
  ATTESTATION_TYPE_REFUSED: {
    category: 'TRUST',
    description:
      'fido2.attestationMode enforced: none attestation, or self attestation by an authenticator whose metadata does not declare it (basic_surrogate).',
  },
} as const satisfies CodeTable;
