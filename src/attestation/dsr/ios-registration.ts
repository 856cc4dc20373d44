import { ecPoint, importSpki, sha256 } from '../../crypto/keys.js';
import { contentError, isKeywardError, KeywardError } from '../../errors.js';
import { attestedKeyRecord, type AppAttestKeyRecord } from '../apple/stored-keys.js';
import type { AppleAttestationInput, AppleAttestationResult, AppleVerifier } from '../apple/verify.js';
import { DSR_IOS_CODES } from './ios-codes.js';
import { deriveNonce, NONCE_SUFFIXES } from './nonce-derivations.js';
import type { IosRegistrationClaims } from './registration-claims.js';
import { constantTimeEqual } from '../../crypto/bytes.js';

/**
 * RFC-01 iOS platform checks, as the reference client (poc-dsr-ios DefaultTrustService.registration,
 * DefaultOSAttestationService.attest) builds them and the reference GMS (IOSAttestationValidation,
 * AbstractIOSValidation.generateChallenge) checks them:
 *
 * - the client data the app hashes into clientDataHash is SHA-256(nonce ‖ "INTEGRITY") ‖ sub, where
 *   sub = SHA-256 of the mTLS key's raw EC point (SecKeyCopyExternalRepresentation): 64 bytes. The
 *   CSR itself is not bound into it (the CSR carries its own CSR_MTLS challengePassword); the mTLS
 *   key is bound through sub, and Keyward requires sub to be the fingerprint of the CSR's key;
 * - keyId is the attested key's id (SHA-256 of its public key point).
 *
 * The attestation is verified with the Apple verifier (credential chain, nonce, app id, counter 0,
 * environment, receipt when configured). The App Attest key (public key, app id, counter 0) is
 * returned for the caller to store in the App Attest key store with the registration.
 */

/** The bytes the iOS client hashes into clientDataHash for the registration attestation. */
export const iosRegistrationClientData = (nonce: Uint8Array, sub: Uint8Array): Buffer =>
  Buffer.concat([deriveNonce(nonce, NONCE_SUFFIXES.integrity), sub]);

/** What a DSR registration keeps of an iOS device (JSON-storable). */
export interface IosPlatformFacts {
  /** The app id (TEAMID.bundle) the attestation was made for. */
  appId: string;
  environment: string;
  osVersion?: string;
  build?: string;
  /** Receipt risk metric, when receipts are checked and Apple reported one. */
  riskMetric?: number;
  receiptChecked: boolean;
  /** Name of the trust anchor the credential chain ends in. */
  anchor: string;
}

export interface IosRegistrationInput {
  claims: IosRegistrationClaims;
  /** The CSR's SubjectPublicKeyInfo (DER), as the CSR checks read it. */
  csrSpki: Uint8Array;
  /** Verification time, epoch ms. */
  at: number;
}

export interface IosRegistrationResult {
  /** base64 key id of the App Attest key (as the app names it). */
  keyId: string;
  /** The App Attest key to store (counter 0), ready for AppAttestKeyStore.insert. */
  appAttestKey: AppAttestKeyRecord;
  /** The mTLS key's SubjectPublicKeyInfo (DER), equal to the CSR's. */
  mtlsKeySpki: Buffer;
  facts: IosPlatformFacts;
  /** The verifier's full result. */
  attestation: AppleAttestationResult;
}

export type DsrIosCode = keyof typeof DSR_IOS_CODES;

/**
 * Runs `run`; a KeywardError whose code is a key of `renames` is thrown again under the DSR code
 * (with that code's category from DSR_IOS_CODES), keeping its detail and itself as the cause.
 */
export function renameError<T>(run: () => T, renames: Readonly<Partial<Record<string, [DsrIosCode, string]>>>): T {
  try {
    return run();
  } catch (error) {
    const rename = isKeywardError(error) && Object.hasOwn(renames, error.code) ? renames[error.code] : undefined;
    if (!rename || !isKeywardError(error)) throw error;
    const [code, message] = rename;
    throw new KeywardError(DSR_IOS_CODES[code].category, code, message, {
      ...(error.detail ? { detail: error.detail } : {}),
      cause: error,
    });
  }
}

/** The raw EC point of an SPKI (undefined for a non-EC or unreadable key). */
function rawPoint(spki: Uint8Array): Buffer | undefined {
  try {
    return ecPoint(importSpki(spki));
  } catch {
    return undefined;
  }
}

/** The facts worth keeping from a verified App Attest attestation. */
export function iosPlatformFacts(result: AppleAttestationResult): IosPlatformFacts {
  const { facts } = result;
  return {
    appId: result.app.ids[0]!,
    environment: facts.environment,
    ...(facts.osVersion ? { osVersion: facts.osVersion } : {}),
    ...(facts.build ? { build: facts.build } : {}),
    ...(facts.receipt?.riskMetric === undefined ? {} : { riskMetric: facts.receipt.riskMetric }),
    receiptChecked: facts.receiptChecked,
    anchor: result.anchor,
  };
}

/**
 * Verifies the iOS part of an RFC-01 registration, in order: `sub` is the fingerprint of the CSR's
 * key → the App Attest attestation over SHA-256(nonce ‖ "INTEGRITY") ‖ sub with keyId → the App
 * Attest key to store.
 */
export async function verifyIosRegistration(
  verifier: AppleVerifier,
  input: IosRegistrationInput,
): Promise<IosRegistrationResult> {
  const { claims, at } = input;
  const point = rawPoint(input.csrSpki);
  if (!point || !constantTimeEqual(sha256(point), claims.sub)) {
    throw contentError('DSR_IOS_SUB_MISMATCH', 'The sub claim is not the fingerprint of the CSR key.', {
      detail: point ? 'SHA-256 of the CSR key point differs from sub' : 'the CSR key is not an EC key',
    });
  }

  const attestationInput: AppleAttestationInput = {
    attestation: claims.attestation,
    clientData: iosRegistrationClientData(claims.nonce, claims.sub),
    keyId: claims.keyIdBytes,
    at,
  };
  const attestation = renameError(() => verifier.verify(attestationInput), {
    NONCE_MISMATCH: [
      'DSR_IOS_ATTESTATION_CHALLENGE_MISMATCH',
      'The App Attest attestation was not made for this registration nonce and key.',
    ],
    KEY_ID_MISMATCH: ['DSR_IOS_KEY_ID_MISMATCH', 'The keyId claim does not name the attested App Attest key.'],
  });

  return {
    keyId: attestation.facts.keyId,
    appAttestKey: attestedKeyRecord(attestation, at),
    mtlsKeySpki: Buffer.from(input.csrSpki),
    facts: iosPlatformFacts(attestation),
    attestation,
  };
}
