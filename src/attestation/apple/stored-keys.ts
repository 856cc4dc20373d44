import { importSpki } from '../../crypto/keys.js';
import { contentError, trustError } from '../../errors.js';
import type { AppAttestKeyStore } from '../../store/app-attest-key-store.js';
import type { AppleAttestationResult } from './verify-attestation.js';
import { verifyAppleAssertion, type AppleAssertionInput, type VerifiedAssertion } from './verify-assertion.js';

/** Remembers the key of a verified attestation (counter 0) so its assertions can be checked. */
export async function rememberAttestedKey(store: AppAttestKeyStore, attestation: AppleAttestationResult, at: number): Promise<void> {
  const inserted = await store.insert({
    keyId: attestation.facts.keyId,
    appId: attestation.app.ids[0]!,
    publicKey: attestation.publicKey.spki,
    environment: attestation.facts.environment,
    counter: 0,
    createdAt: at,
    updatedAt: at,
  });
  if (!inserted) throw contentError('KEY_ALREADY_REGISTERED', 'This key is already registered.', { status: 409, detail: `key id ${attestation.facts.keyId}` });
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
  if (!record) throw trustError('APP_ATTEST_KEY_UNKNOWN', 'No attested key with this key id is registered.', { detail: `key id ${input.keyId}` });
  // A device asserts again and again with the same key: it stays in the bounded key cache.
  const verified = verifyAppleAssertion(input, { publicKey: importSpki(Buffer.from(record.publicKey, 'base64')), appId: record.appId, counter: record.counter });
  if (!(await store.advanceCounter(record.keyId, verified.counter, input.at))) {
    throw trustError('COUNTER_NOT_INCREASING', 'The assertion counter did not increase: a replayed or cloned assertion.', {
      detail: `counter ${verified.counter} lost to a concurrent assertion with the same or a higher counter`,
    });
  }
  return { counter: verified.counter, appId: verified.appId, keyId: record.keyId, previousCounter: record.counter };
}
