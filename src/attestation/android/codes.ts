import type { CodeTable } from '../../errors.js';

/** Codes of Android key attestation: the attestation record, revocation and the configured policy. */
export const ANDROID_CODES = {
  KEY_DESCRIPTION_MISSING: {
    category: 'CONTENT',
    description: 'The leaf certificate carries no Android key attestation record.',
  },
  MALFORMED_KEY_DESCRIPTION: { category: 'CONTENT', description: 'The key attestation record does not parse.' },
  KEY_DESCRIPTION_NOT_STRICT_DER: {
    category: 'CONTENT',
    description: 'The key attestation record is not in strict DER form (re-encoding it would change what was signed).',
  },
  CONFLICTING_AUTHORIZATIONS: {
    category: 'CONTENT',
    description: 'The attestation record states a fact twice (software- and hardware-enforced) with different values.',
  },
  CHALLENGE_MISMATCH: {
    category: 'CONTENT',
    description: 'The attestation was not made for this challenge: fetch a new challenge and generate the key with it.',
  },
  SOFTWARE_ATTESTATION_ROOT: {
    category: 'TRUST',
    description:
      "The chain ends in Google's software attestation root: the key was attested in software, not by secure hardware.",
  },
  NOT_AN_ATTEST_KEY: {
    category: 'TRUST',
    description: 'A certificate of the chain is signed by a key that is not an attestation key.',
  },
  CERTIFICATE_REVOKED: {
    category: 'TRUST',
    description: "A certificate of the chain is revoked in Google's attestation status list.",
  },
  CERTIFICATE_SUSPENDED: {
    category: 'TRUST',
    description: "A certificate of the chain is suspended in Google's attestation status list.",
  },
  REVOCATION_LIST_UNAVAILABLE: {
    category: 'INTERNAL',
    status: 503,
    description:
      'The attestation status list could not be fetched and no earlier list is held; the client should retry later, the operator check outbound access.',
  },
  SOFTWARE_SECURITY_LEVEL: {
    category: 'TRUST',
    description: 'The key is not protected by secure hardware (TEE or StrongBox).',
  },
  STRONGBOX_REQUIRED: {
    category: 'TRUST',
    description: 'The policy requires StrongBox and the key is only TEE-protected.',
  },
  ROOT_OF_TRUST_MISSING: { category: 'TRUST', description: 'The attestation does not state the device boot state.' },
  BOOTLOADER_UNLOCKED: { category: 'TRUST', description: 'The device bootloader is unlocked.' },
  BOOT_KEY_NOT_ALLOWED: {
    category: 'TRUST',
    description:
      'The device boots an operating system signed with a key the policy does not allow (android.policy.allowedBootKeys).',
  },
  BOOT_STATE_NOT_VERIFIED: { category: 'TRUST', description: 'The device did not boot a verified operating system.' },
  OS_VERSION_TOO_OLD: { category: 'TRUST', description: 'The operating system version is below the policy minimum.' },
  PATCH_LEVEL_TOO_OLD: {
    category: 'TRUST',
    description: 'The security patch level is absent or older than the policy allows.',
  },
  PATCH_LEVEL_IN_FUTURE: {
    category: 'TRUST',
    description: 'The security patch level lies in the future: a tampered or misconfigured device.',
  },
  RKP_REQUIRED: {
    category: 'TRUST',
    description: 'The policy requires a remotely provisioned attestation key and the chain does not come from one.',
  },
  KEY_NOT_GENERATED: { category: 'TRUST', description: 'The key was imported, not generated on the device.' },
  STATEMENT_AGE_UNKNOWN: {
    category: 'TIME',
    description: 'The attestation does not say when the key was created and the policy limits its age.',
  },
  STATEMENT_TOO_OLD: {
    category: 'TIME',
    description: 'The attested key was created longer ago than the policy allows: generate a fresh key.',
  },
  APPLICATION_ID_MISSING: { category: 'TRUST', description: 'The attestation does not identify the app.' },
  PACKAGE_NOT_ALLOWED: { category: 'TRUST', description: 'The app package is not one the policy allows.' },
  SIGNER_NOT_ALLOWED: { category: 'TRUST', description: 'The app is not signed with a certificate the policy allows.' },
  APP_VERSION_TOO_OLD: { category: 'TRUST', description: 'The app version is below the policy minimum.' },
} as const satisfies CodeTable;
