/** OIDs and KeyMint/Keymaster enumerations used by Android Key Attestation (docs/protocols/android-key-attestation.md). */
export const KEY_DESCRIPTION_OID = '1.3.6.1.4.1.11129.2.1.17';

export const SECURITY_LEVELS = ['SOFTWARE', 'TRUSTED_ENVIRONMENT', 'STRONG_BOX'] as const;
export type AndroidSecurityLevel = (typeof SECURITY_LEVELS)[number];

export const VERIFIED_BOOT_STATES = ['VERIFIED', 'SELF_SIGNED', 'UNVERIFIED', 'FAILED'] as const;
export type AndroidBootState = (typeof VERIFIED_BOOT_STATES)[number];

export const ORIGINS = ['GENERATED', 'DERIVED', 'IMPORTED', 'RESERVED', 'SECURELY_IMPORTED'] as const;

/** KeyPurpose values (tag 1): SIGN 2, and ATTEST_KEY 7 — the only purpose an attestation key may have. */
export const KEY_PURPOSE = { SIGN: 2, ATTEST_KEY: 7 } as const;

/** Attestation versions whose schema Keyward knows; later versions parse with the same schema and are reported. */
export const KNOWN_ATTESTATION_VERSIONS = [1, 2, 3, 4, 100, 200, 300, 400, 500];

type FieldType = 'integer' | 'integerSet' | 'null' | 'bytes' | 'text' | 'rootOfTrust' | 'applicationId' | 'origin';

/**
 * AuthorizationList fields by tag: the name used in decoded facts (matching Google's own
 * decodings where it has one) and how the EXPLICIT content is read. Tags not listed are kept
 * as unknown tags with their raw DER.
 */
export const AUTHORIZATION_TAGS: Record<number, { name: string; type: FieldType }> = {
  1: { name: 'purposes', type: 'integerSet' },
  2: { name: 'algorithms', type: 'integer' },
  3: { name: 'keySize', type: 'integer' },
  4: { name: 'blockModes', type: 'integerSet' },
  5: { name: 'digests', type: 'integerSet' },
  6: { name: 'paddings', type: 'integerSet' },
  7: { name: 'callerNonce', type: 'null' },
  8: { name: 'minMacLength', type: 'integer' },
  10: { name: 'ecCurve', type: 'integer' },
  11: { name: 'mlDsaVariant', type: 'integer' },
  200: { name: 'rsaPublicExponent', type: 'integer' },
  203: { name: 'rsaOaepMgfDigests', type: 'integerSet' },
  302: { name: 'bootloaderOnly', type: 'null' },
  303: { name: 'rollbackResistance', type: 'null' },
  305: { name: 'earlyBootOnly', type: 'null' },
  400: { name: 'activeDateTime', type: 'integer' },
  401: { name: 'originationExpireDateTime', type: 'integer' },
  402: { name: 'usageExpireDateTime', type: 'integer' },
  403: { name: 'minSecondsBetweenOps', type: 'integer' },
  404: { name: 'maxUsesPerBoot', type: 'integer' },
  405: { name: 'usageCountLimit', type: 'integer' },
  501: { name: 'userId', type: 'integer' },
  502: { name: 'userSecureIds', type: 'integerSet' },
  503: { name: 'noAuthRequired', type: 'null' },
  504: { name: 'userAuthType', type: 'integer' },
  505: { name: 'authTimeout', type: 'integer' },
  506: { name: 'allowWhileOnBody', type: 'null' },
  507: { name: 'trustedUserPresenceRequired', type: 'null' },
  508: { name: 'trustedConfirmationRequired', type: 'null' },
  509: { name: 'unlockedDeviceRequired', type: 'null' },
  600: { name: 'allApplications', type: 'null' },
  601: { name: 'applicationId', type: 'bytes' },
  701: { name: 'creationDateTime', type: 'integer' },
  702: { name: 'origin', type: 'origin' },
  703: { name: 'rollbackResistant', type: 'null' },
  704: { name: 'rootOfTrust', type: 'rootOfTrust' },
  705: { name: 'osVersion', type: 'integer' },
  706: { name: 'osPatchLevel', type: 'integer' },
  709: { name: 'attestationApplicationId', type: 'applicationId' },
  710: { name: 'attestationIdBrand', type: 'text' },
  711: { name: 'attestationIdDevice', type: 'text' },
  712: { name: 'attestationIdProduct', type: 'text' },
  713: { name: 'attestationIdSerial', type: 'text' },
  714: { name: 'attestationIdImei', type: 'text' },
  715: { name: 'attestationIdMeid', type: 'text' },
  716: { name: 'attestationIdManufacturer', type: 'text' },
  717: { name: 'attestationIdModel', type: 'text' },
  718: { name: 'vendorPatchLevel', type: 'integer' },
  719: { name: 'bootPatchLevel', type: 'integer' },
  720: { name: 'deviceUniqueAttestation', type: 'null' },
  721: { name: 'identityCredentialKey', type: 'null' },
  723: { name: 'attestationIdSecondImei', type: 'text' },
  724: { name: 'moduleHash', type: 'bytes' },
};
