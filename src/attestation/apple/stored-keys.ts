import { importSpki } from '../../crypto/keys.js';
import { contentError, trustError } from '../../errors.js';
import type { AppleAttestationResult } from './verify.js';
import { verifyAppleAssertion, type AppleAssertionInput, type VerifiedAssertion } from './verify-assertion.js';

/** An attested App Attest key, remembered so its assertions can be verified. */
export interface AppAttestKeyRecord {
  /** base64 SHA-256 of the key point, as the app names the key. */
  keyId: string;
  appId: string;
  /** SubjectPublicKeyInfo DER, base64. */
  publicKey: string;
  environment: string;
  /** The counter of the last accepted assertion; 0 after attestation. */
  counter: number;
  createdAt: number;
  /** When the counter last moved (or the key was stored). */
  updatedAt: number;
}

/**
 * App Attest keys by key id, declared here and implemented by the store. `advanceCounter` is one atomic compare-and-set: of any number of
 * concurrent calls carrying the same counter exactly one succeeds, and a counter never moves
 * backwards or stays put.
 */
export interface AppAttestKeyStore {
  /** Stores a newly attested key; false (and nothing changes) when the key id is already stored. */
  insert(record: AppAttestKeyRecord): Promise<boolean>;
  find(keyId: string): Promise<AppAttestKeyRecord | undefined>;
  /** Sets the counter to `counter` if that is greater than the stored one; true if it did. */
  advanceCounter(keyId: string, counter: number, at: number): Promise<boolean>;
}

/** The record of a verified attestation's key, counter 0, as the key store keeps it. */
export const attestedKeyRecord = (attestation: AppleAttestationResult, at: number): AppAttestKeyRecord => ({
  keyId: attestation.facts.keyId,
  appId: attestation.app.ids[0]!,
  publicKey: attestation.publicKey.spki,
  environment: attestation.facts.environment,
  counter: 0,
  createdAt: at,
  updatedAt: at,
});

/** Remembers the key of a verified attestation (counter 0) so its assertions can be checked. */
export async function rememberAttestedKey(
  store: AppAttestKeyStore,
  attestation: AppleAttestationResult,
  at: number,
): Promise<void> {
  const inserted = await store.insert(attestedKeyRecord(attestation, at));
  if (!inserted)
    throw contentError('KEY_ALREADY_REGISTERED', 'This key is already registered.', {
      status: 409,
      detail: `key id ${attestation.facts.keyId}`,
    });
}

/**
 * An assertion by a stored key: verified against the stored key, app id and counter, then the
 * counter is advanced with one compare-and-set. When concurrent assertions carry the same
 * counter, all may pass the first check but only one wins the compare-and-set; the others are
 * rejected as replays.
 */
export async function verifyStoredAssertion(
  store: AppAttestKeyStore,
  input: AppleAssertionInput & { keyId: string; at: number },
): Promise<VerifiedAssertion & { keyId: string; previousCounter: number }> {
  const record = await store.find(input.keyId);
  if (!record)
    throw trustError('APP_ATTEST_KEY_UNKNOWN', 'No attested key with this key id is registered.', {
      detail: `key id ${input.keyId}`,
    });
  // A device asserts again and again with the same key: it stays in the bounded key cache.
  const verified = verifyAppleAssertion(input, {
    publicKey: importSpki(Buffer.from(record.publicKey, 'base64')),
    appId: record.appId,
    counter: record.counter,
  });
  if (!(await store.advanceCounter(record.keyId, verified.counter, input.at))) {
    throw trustError(
      'COUNTER_NOT_INCREASING',
      'The assertion counter did not increase: a replayed or cloned assertion.',
      {
        detail: `counter ${verified.counter} lost to a concurrent assertion with the same or a higher counter`,
      },
    );
  }
  return { counter: verified.counter, appId: verified.appId, keyId: record.keyId, previousCounter: record.counter };
}
