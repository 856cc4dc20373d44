import type { CodeTable } from '../../errors.js';

/**
 * Codes of the identity-credential provisioning protocol (PROTOCOLS.md §7): the /mdlServer
 * messages, the order they come in, the proofs signed by CredentialKey, the auth-key
 * certificates with their ProofOfBinding, and the CredentialKey's attestation. Every one of them
 * answers EndSessionMessage with reason "Failed"; the code is what Keyward logs. Chain, record and
 * policy failures of the CredentialKey's attestation keep the Android key attestation codes.
 */
export const PROVISIONING_CODES = {
  PROVISIONING_MESSAGE_TOO_LARGE: {
    category: 'CONTENT',
    description: 'The /mdlServer request body is empty or larger than the configured limit.',
  },
  PROVISIONING_MALFORMED_CBOR: {
    category: 'CONTENT',
    description:
      'The /mdlServer request body is not one well-formed CBOR item (definite lengths, no duplicate map keys, nesting within the limit).',
  },
  PROVISIONING_NOT_A_MESSAGE: {
    category: 'CONTENT',
    description: 'The /mdlServer request body is not a CBOR map with a text messageType.',
  },
  PROVISIONING_UNKNOWN_MESSAGE_TYPE: {
    category: 'CONTENT',
    description: 'The messageType is not a request of any provisioning flow.',
  },
  PROVISIONING_MISSING_FIELD: {
    category: 'CONTENT',
    description: 'A field the message type requires (eSessionId, provisioningCode, a proof, …) is absent.',
  },
  PROVISIONING_FIELD_TYPE: {
    category: 'CONTENT',
    description:
      'A field of the message has the wrong CBOR type or is out of bounds (eSessionId must be text, challenges and certificates byte strings, …).',
  },
  PROVISIONING_UNKNOWN_FIELD: {
    category: 'CONTENT',
    description: 'The message carries a field its message type does not define.',
  },
  PROVISIONING_MALFORMED_CERTIFICATE_CHAIN: {
    category: 'CONTENT',
    description:
      'credentialKeyCertificateChain is not one or more concatenated DER certificates (leaf first), within the chain length limit.',
  },
  PROVISIONING_MALFORMED_COSE_KEY: {
    category: 'CONTENT',
    description: 'credentialKey is not a COSE_Key of an EC2 P-256 public key.',
  },
  PROVISIONING_MALFORMED_AUTH_KEY_CERTS: {
    category: 'CONTENT',
    description:
      'authKeyCerts is neither an array of byte strings nor a byte string holding a CBOR array of byte strings, or is empty.',
  },
  PROVISIONING_TOO_MANY_AUTH_KEYS: {
    category: 'CONTENT',
    description: 'The request asks to certify more auth keys than the configured limit per request.',
  },
  PROVISIONING_MALFORMED_PROOF: {
    category: 'CONTENT',
    description:
      'A proof (ProofOfProvisioning, ProofOfOwnership, ProofOfDeletion) is not an untagged COSE_Sign1 with an attached payload of the expected CBOR array.',
  },
  PROVISIONING_PROOF_ALGORITHM: {
    category: 'CONTENT',
    description:
      "A proof's protected header does not name ES256 (alg -7), the only algorithm CredentialKey signs with.",
  },
  PROVISIONING_PROOF_SIGNATURE_INVALID: {
    category: 'TRUST',
    description: "A proof's signature does not verify with the session's CredentialKey.",
  },
  PROVISIONING_PROOF_DOCTYPE_MISMATCH: {
    category: 'TRUST',
    description: "A proof's docType is not the docType of the document this session is about.",
  },
  PROVISIONING_PROOF_CHALLENGE_MISMATCH: {
    category: 'TRUST',
    description: "A proof's challenge is not the challenge Keyward sent in this session.",
  },
  PROVISIONING_PROOF_DATA_MISMATCH: {
    category: 'TRUST',
    description:
      'The ProofOfProvisioning states access-control profiles or namespaces other than the ones Keyward sent in this session.',
  },
  PROVISIONING_TEST_CREDENTIAL: {
    category: 'TRUST',
    description: 'A proof says testCredential true, which this server does not accept.',
  },
  PROVISIONING_AUTH_KEY_CERT_MALFORMED: {
    category: 'CONTENT',
    description: 'An auth-key certificate does not parse, or its key is not an EC P-256 key.',
  },
  PROVISIONING_AUTH_KEY_CERT_DUPLICATE: {
    category: 'CONTENT',
    description: 'The same auth key appears twice in one CertifyAuthKeysSendCerts request.',
  },
  PROVISIONING_AUTH_KEY_CERT_NOT_SIGNED_BY_CREDENTIAL_KEY: {
    category: 'TRUST',
    description: "An auth-key certificate's signature does not verify with the CredentialKey.",
  },
  PROVISIONING_AUTH_KEY_CERT_EXPIRED: {
    category: 'TIME',
    description: 'An auth-key certificate has expired (notAfter is in the past).',
  },
  PROVISIONING_PROOF_OF_BINDING_MISSING: {
    category: 'TRUST',
    description: 'An auth-key certificate carries no ProofOfBinding extension (OID 1.3.6.1.4.1.11129.2.1.26).',
  },
  PROVISIONING_PROOF_OF_BINDING_MALFORMED: {
    category: 'CONTENT',
    description: 'The ProofOfBinding extension is not CBOR ["ProofOfBinding", bstr .size 32].',
  },
  PROVISIONING_PROOF_OF_BINDING_MISMATCH: {
    category: 'TRUST',
    description:
      'The ProofOfBinding hash is not the SHA-256 of the ProofOfProvisioning stored for this credential: the auth key is not bound to it.',
  },
  PROVISIONING_CREDENTIAL_KEY_CHALLENGE_MISMATCH: {
    category: 'CONTENT',
    description: "The CredentialKey's attestation challenge is not the challenge Keyward sent in ProvisioningResponse.",
  },
  PROVISIONING_NOT_IDENTITY_CREDENTIAL_KEY: {
    category: 'TRUST',
    description:
      "The CredentialKey's attestation does not list identityCredentialKey (tag 721) as hardware-enforced: it is not an Identity Credential key.",
  },
  PROVISIONING_CREDENTIAL_KEY_UNSUPPORTED: {
    category: 'CONTENT',
    description: 'The CredentialKey is not an EC P-256 key (proofs are ES256).',
  },
  PROVISIONING_MESSAGE_OUT_OF_ORDER: {
    category: 'CONTENT',
    description: 'The message is not one the session accepts in its current step of the flow.',
  },
  PROVISIONING_SESSION_UNKNOWN: {
    category: 'CONTENT',
    description:
      'The eSessionId names no session under way: never issued, already ended (a failure ends it too), or expired.',
  },
  PROVISIONING_SESSION_CONFLICT: {
    category: 'CONTENT',
    description:
      'Another message of the same session was handled at the same time and moved it on first (a lost compare-and-set); the session is ended.',
  },
  PROVISIONING_CODE_UNKNOWN: {
    category: 'TRUST',
    description: 'The provisioningCode was never issued.',
  },
  PROVISIONING_CODE_USED: {
    category: 'TRUST',
    description: 'The provisioningCode has been used already: a code provisions one credential, once.',
  },
  PROVISIONING_CODE_EXPIRED: {
    category: 'TIME',
    description: 'The provisioningCode has expired; the operator issues a new one.',
  },
  PROVISIONING_CODE_REVOKED: {
    category: 'TRUST',
    description: 'The provisioningCode was revoked by an operator.',
  },
  PROVISIONING_DOCUMENT_WITHDRAWN: {
    category: 'TRUST',
    description:
      'The document is marked for deletion (or gone): it is not provisioned and no auth keys are certified for it; UpdateCredential answers delete.',
  },
  PROVISIONING_CREDENTIAL_UNKNOWN: {
    category: 'TRUST',
    description:
      'The credentialKey is not the CredentialKey of any credential Keyward provisioned (or that credential has been deleted).',
  },
  PROVISIONING_CREDENTIAL_KEY_REUSED: {
    category: 'TRUST',
    description:
      'A credential with this CredentialKey is provisioned already; a CredentialKey belongs to one credential.',
  },
  PROVISIONING_CREDENTIAL_OUTDATED: {
    category: 'CONTENT',
    description:
      "The document's data changed after the credential was provisioned: auth keys are certified only for current data, so the holder must run UpdateCredential first.",
  },
  PROVISIONING_DOCUMENT_DATA_INVALID: {
    category: 'INTERNAL',
    description:
      "A document's stored data is not the {accessControlProfiles, nameSpaces} CBOR the system of record holds.",
  },
  PROVISIONING_INTERNAL: {
    category: 'INTERNAL',
    description:
      'An unexpected failure (the store, a bug) while handling a provisioning message; the session is ended.',
  },
} as const satisfies CodeTable;
