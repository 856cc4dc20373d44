import { ANDROID_CODES } from './attestation/android/codes.js';
import { APPLE_CODES } from './attestation/apple/codes.js';
import { DSR_ANDROID_CODES } from './attestation/dsr/android-codes.js';
import { DSR_CLAIM_CODES } from './attestation/dsr/claim-codes.js';
import { DSR_CARD_CODES } from './attestation/dsr/codes.js';
import { DSR_INTEGRITY_CODES } from './attestation/dsr/integrity-codes.js';
import { DSR_IOS_CODES } from './attestation/dsr/ios-codes.js';
import { WEBAUTHN_CODES } from './attestation/webauthn/codes.js';
import { WEBAUTHN_FORMAT_CODES } from './attestation/webauthn/formats/codes.js';
import { METADATA_CODES } from './attestation/webauthn/metadata/codes.js';
import { CHALLENGE_CODES } from './challenges/codes.js';
import { CRYPTO_CODES } from './crypto/codes.js';
import type { CodeTable } from './errors.js';
import { DSR_BUNDLE_CODES } from './features/dsr/bundles/codes.js';
import { DSR_CODES } from './features/dsr/codes.js';
import { DSR_DEVICE_CA_CODES } from './features/dsr/device-ca/codes.js';
import { DSR_PEP_CODES } from './features/dsr/pep/codes.js';
import { FIDO2_CODES } from './features/fido2/codes.js';
import { FIDO2_METADATA_CODES } from './features/fido2/metadata-codes.js';
import { MDVM_CODES, MDVM_REFERENCE_CODES } from './features/mdvm/codes.js';
import { WARDEN_CODES } from './features/warden/codes.js';
import { WARDEN_OPERATOR_CODES } from './features/warden/operator-codes.js';
import { HTTP_CODES } from './http/codes.js';
import { MDOC_CODES } from './attestation/mdoc/codes.js';
import { COSE_CODES } from './crypto/cose/codes.js';
import { PROVISIONING_CODES } from './features/provisioning/codes.js';
import { PROVISIONING_OPERATOR_CODES } from './features/provisioning/operator-codes.js';
import { CONSOLE_CODES } from './features/console/console-codes.js';
import { OPERATOR_ACCOUNT_CODES } from './features/console/codes.js';

/** Every area's code table, in the order the error reference lists them. */
export const CODE_AREAS = [
  { area: 'http', title: 'HTTP layer', table: HTTP_CODES },
  { area: 'challenges', title: 'Challenges', table: CHALLENGE_CODES },
  { area: 'crypto', title: 'Certificates, keys and HTTP message signatures', table: CRYPTO_CODES },
  { area: 'android', title: 'Android key attestation', table: ANDROID_CODES },
  { area: 'apple', title: 'Apple App Attest', table: APPLE_CODES },
  { area: 'webauthn', title: 'WebAuthn', table: WEBAUTHN_CODES },
  {
    area: 'webauthn-formats',
    title: 'WebAuthn attestation formats (tpm, android-key, android-safetynet)',
    table: WEBAUTHN_FORMAT_CODES,
  },
  { area: 'metadata', title: 'FIDO metadata', table: METADATA_CODES },
  { area: 'fido2', title: 'FIDO2 relying party', table: FIDO2_CODES },
  { area: 'fido2-metadata', title: 'FIDO metadata service (download, storage, refresh)', table: FIDO2_METADATA_CODES },
  { area: 'warden', title: 'Warden Supreme', table: WARDEN_CODES },
  { area: 'mdvm', title: 'MDVM', table: MDVM_CODES },
  { area: 'mdvm-reference', title: 'MDVM reference codes', table: MDVM_REFERENCE_CODES },
  { area: 'dsr-card', title: 'DSR health card (registration token, card certificate, KVNR)', table: DSR_CARD_CODES },
  { area: 'dsr-claims', title: 'DSR registration and device-attestation token claims', table: DSR_CLAIM_CODES },
  {
    area: 'dsr-android',
    title: 'DSR Android attest key, mTLS key and fresh key attestation',
    table: DSR_ANDROID_CODES,
  },
  { area: 'dsr-ios', title: 'DSR iOS App Attest attestation and assertion', table: DSR_IOS_CODES },
  { area: 'dsr-integrity', title: 'DSR Play Integrity verdicts', table: DSR_INTEGRITY_CODES },
  { area: 'dsr', title: 'DSR device tokens, PKCE and authorization codes', table: DSR_CODES },
  { area: 'dsr-device-ca', title: 'DSR device registration CSR and device CA', table: DSR_DEVICE_CA_CODES },
  { area: 'dsr-bundles', title: 'DSR policy bundles (PAP) and PIP lists', table: DSR_BUNDLE_CODES },
  { area: 'dsr-pep', title: 'DSR policy enforcement point (nginx auth_request)', table: DSR_PEP_CODES },
  { area: 'admin', title: 'Operator API', table: WARDEN_OPERATOR_CODES },
  { area: 'cose', title: 'COSE structures (COSE_Sign1, COSE_Mac0)', table: COSE_CODES },
  { area: 'mdoc', title: 'ISO 18013-5 mdoc verification (reader side)', table: MDOC_CODES },
  { area: 'provisioning', title: 'Identity-credential provisioning protocol (/mdlServer)', table: PROVISIONING_CODES },
  {
    area: 'provisioning-admin',
    title: 'mdoc system of record (operator API and CLI)',
    table: PROVISIONING_OPERATOR_CODES,
  },
  { area: 'console', title: 'Operator console', table: CONSOLE_CODES },
  {
    area: 'operators',
    title: 'Operator accounts (keyward operators, console operator pages)',
    table: OPERATOR_ACCOUNT_CODES,
  },
] as const satisfies readonly { area: string; title: string; table: CodeTable }[];

/** Every code Keyward raises: the union of the areas' tables. */
export type ErrorCode =
  | keyof typeof HTTP_CODES
  | keyof typeof CHALLENGE_CODES
  | keyof typeof CRYPTO_CODES
  | keyof typeof ANDROID_CODES
  | keyof typeof APPLE_CODES
  | keyof typeof WEBAUTHN_CODES
  | keyof typeof WEBAUTHN_FORMAT_CODES
  | keyof typeof METADATA_CODES
  | keyof typeof FIDO2_CODES
  | keyof typeof FIDO2_METADATA_CODES
  | keyof typeof WARDEN_CODES
  | keyof typeof MDVM_CODES
  | keyof typeof MDVM_REFERENCE_CODES
  | keyof typeof DSR_CARD_CODES
  | keyof typeof DSR_CLAIM_CODES
  | keyof typeof DSR_ANDROID_CODES
  | keyof typeof DSR_IOS_CODES
  | keyof typeof DSR_INTEGRITY_CODES
  | keyof typeof DSR_CODES
  | keyof typeof DSR_DEVICE_CA_CODES
  | keyof typeof DSR_BUNDLE_CODES
  | keyof typeof DSR_PEP_CODES
  | keyof typeof WARDEN_OPERATOR_CODES
  | keyof typeof COSE_CODES
  | keyof typeof MDOC_CODES
  | keyof typeof PROVISIONING_CODES
  | keyof typeof PROVISIONING_OPERATOR_CODES
  | keyof typeof CONSOLE_CODES
  | keyof typeof OPERATOR_ACCOUNT_CODES;
