import type { CodeTable } from '../../errors.js';

/** Codes of the FIDO2 relying party's ceremonies and credential store. */
export const FIDO2_CODES = {
  CREDENTIAL_ALREADY_REGISTERED: {
    category: 'CONTENT',
    status: 409,
    description: 'A credential with this credential id is already registered.',
  },
  WEBAUTHN_USER_UNKNOWN: {
    category: 'CONTENT',
    description: 'No WebAuthn user has this user name (sign-in options for a user name).',
  },
  WEBAUTHN_NO_CREDENTIALS: {
    category: 'CONTENT',
    description: 'The user has no registered credentials to sign in with.',
  },
  ADDITIONAL_CREDENTIAL_REFUSED: {
    category: 'TRUST',
    description:
      'The user name already has credentials and fido2.allowAdditionalCredentials is off: the server registers no further ones for it.',
  },
  WEBAUTHN_USER_NAME_TAKEN: {
    category: 'CONTENT',
    description:
      'Another registration created this user name (with another user handle) after these registration options were issued; request new options.',
  },
  USER_NAME_INVALID: {
    category: 'CONTENT',
    description:
      'The user name (after NFC normalisation) contains control characters (C0, DEL, C1) or bidirectional overrides (U+202A–U+202E, U+2066–U+2069), or is longer than 256 characters.',
  },
  EXTENSIONS_TOO_DEEP: {
    category: 'CONTENT',
    description:
      'WebAuthn extensions (extensions, clientExtensionResults, getClientExtensionResults) nest values deeper than 8 levels; the request is refused before anything is stored.',
  },
  CEREMONY_CHALLENGE_UNREADABLE: {
    category: 'CONTENT',
    description: "The response's clientDataJSON carries no challenge this server could have issued.",
  },
  CEREMONY_MISMATCH: {
    category: 'CONTENT',
    description:
      'The challenge was issued for the other ceremony (a sign-in challenge in a registration, or the reverse).',
  },
  CREDENTIAL_UNKNOWN: {
    category: 'TRUST',
    description: 'The assertion is made with a credential this server has not registered (or an operator deleted).',
  },
  CREDENTIAL_NOT_ALLOWED: {
    category: 'TRUST',
    description: 'The credential belongs to another user than the one the sign-in options were issued for.',
  },
  USER_HANDLE_MISSING: {
    category: 'CONTENT',
    description:
      'A sign-in without a user name needs the userHandle of a discoverable credential, and the response has none.',
  },
  USER_HANDLE_MISMATCH: {
    category: 'TRUST',
    description: "The response's userHandle is not the user the credential is registered to.",
  },
  SIGN_COUNT_REGRESSED: {
    category: 'TRUST',
    description:
      'The signature counter did not increase past the stored one: the authenticator may have been cloned. The credential is flagged and refused from now on.',
  },
  CREDENTIAL_POSSIBLY_CLONED: {
    category: 'TRUST',
    description:
      'The credential is flagged as possibly cloned (an earlier signature counter regression) and is refused; an operator deletes it and the user registers again.',
  },
  CREDENTIAL_USE_CONFLICT: {
    category: 'TRUST',
    description:
      'Another sign-in with the same credential changed its signature counter at the same time; this one is refused.',
  },
  CREDENTIAL_NOT_FOUND: {
    category: 'CONTENT',
    status: 404,
    description: 'No registered credential has this credential id (operator API).',
  },
} as const satisfies CodeTable;
