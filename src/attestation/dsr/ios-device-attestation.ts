import { importSpki } from '../../crypto/keys.js';
import { rpIdHash } from '../apple/app-ids.js';
import type { AppAttestKeyRecord } from '../apple/stored-keys.js';
import { verifyAppleAssertion } from '../apple/verify-assertion.js';
import { renameError } from './ios-registration.js';
import { deriveNonce, NONCE_SUFFIXES } from './nonce-derivations.js';

/**
 * RFC-02 iOS platform check: the reference client (poc-dsr-ios DefaultTrustService.requestAttestation)
 * passes SHA-256(SHA-256(nonce ‖ "1") ‖ sub) to DCAppAttestService.generateAssertion as
 * clientDataHash, i.e. the client data is SHA-256(nonce ‖ "1") ‖ sub (64 bytes), sub being the
 * SHA-256 of the mTLS key's raw EC point; the reference GMS (IOSAssertionValidation) checks the
 * same. The assertion must be signed by the App Attest key stored at registration, for its app
 * id, with a counter strictly greater than the stored one (the reference GMS accepts an equal
 * counter, `c >= counter`; Keyward does not, an equal counter being a replay). The caller stores
 * the returned counter with the store's atomic compare-and-set (AppAttestKeyStore.advanceCounter),
 * which also settles concurrent assertions with the same counter.
 */

/** The bytes the iOS client hashes into clientDataHash for the device-attestation assertion. */
export const iosAssertionClientData = (nonce: Uint8Array, sub: Uint8Array): Buffer =>
  Buffer.concat([deriveNonce(nonce, NONCE_SUFFIXES.attest), sub]);

export interface IosDeviceAttestationInput {
  /** The assertion claim (CBOR {signature, authenticatorData}). */
  assertion: Uint8Array;
  /** The nonce bytes of the device-attestation token. */
  nonce: Uint8Array;
  /** The sub claim's bytes (SHA-256 of the mTLS key point), already checked against the client certificate. */
  sub: Uint8Array;
  /** The App Attest key stored with the registration of `sub`. */
  key: Pick<AppAttestKeyRecord, 'keyId' | 'appId' | 'publicKey' | 'counter'>;
}

export interface IosDeviceAttestationResult {
  keyId: string;
  appId: string;
  /** The assertion's counter: store it with AppAttestKeyStore.advanceCounter (refuse the request if that returns false). */
  counter: number;
  /** The stored counter the assertion was checked against. */
  previousCounter: number;
  /** The device token's deviceHealth.assertion facts as the reference GMS writes them (rpID: unpadded base64 of the RP id hash). */
  assertion: { rpID: string; counter: number };
}

/**
 * Verifies the assertion of an RFC-02 device attestation, in order: decode → signature by the
 * stored key over SHA-256(authenticatorData ‖ SHA-256(SHA-256(nonce ‖ "1") ‖ sub)) → RP id hash of
 * the stored app id → counter strictly above the stored one.
 */
export function verifyIosDeviceAttestation(input: IosDeviceAttestationInput): IosDeviceAttestationResult {
  const { key } = input;
  const verified = renameError(
    () =>
      verifyAppleAssertion(
        { assertion: input.assertion, clientData: iosAssertionClientData(input.nonce, input.sub) },
        { publicKey: importSpki(Buffer.from(key.publicKey, 'base64')), appId: key.appId, counter: key.counter },
      ),
    {
      ASSERTION_SIGNATURE_INVALID: [
        'DSR_IOS_ASSERTION_INVALID',
        'The assertion is not signed by the registered App Attest key for this nonce and device.',
      ],
      COUNTER_NOT_INCREASING: [
        'DSR_IOS_COUNTER_NOT_INCREASING',
        'The assertion counter did not increase: a replayed assertion or a cloned key.',
      ],
    },
  );
  return {
    keyId: key.keyId,
    appId: verified.appId,
    counter: verified.counter,
    previousCounter: key.counter,
    assertion: { rpID: rpIdHash(verified.appId).toString('base64').replace(/=+$/, ''), counter: verified.counter },
  };
}
