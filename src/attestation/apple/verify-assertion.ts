import type { KeyObject } from 'node:crypto';
import { sha256 } from '../../crypto/keys.js';
import { verifySignature } from '../../crypto/x509/signatures.js';
import { contentError, trustError } from '../../errors.js';
import { rpIdHash } from './app-ids.js';
import { parseAuthenticatorData } from './authenticator-data.js';
import { decodeCbor } from '../cbor.js';

const ASSERTION_MALFORMED = 'APPLE_ASSERTION_MALFORMED';
/** Genuine assertions are about 120 bytes. */
const MAX_ASSERTION_BYTES = 4096;
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

export interface AppleAssertionInput {
  /** The assertion object (CBOR) as the app sent it. */
  assertion: Uint8Array;
  /** The exact bytes the app hashed into clientDataHash. */
  clientData: Uint8Array;
}

/** What the server remembers of an attested key. */
export interface AssertionKey {
  publicKey: KeyObject;
  appId: string;
  /** The counter of the last accepted assertion (0 right after attestation). */
  counter: number;
}

export interface VerifiedAssertion {
  counter: number;
  appId: string;
}

const malformed = (detail: string) => contentError(ASSERTION_MALFORMED, 'The assertion is malformed.', { detail });

/**
 * Apple App Attest assertion (docs/protocols/apple-app-attest.md), in order: decode {signature, authenticatorData} →
 * nonce = SHA256(authenticatorData ‖ SHA256(clientData)) → ECDSA P-256 signature over the nonce
 * with the stored key → rpIdHash = SHA256(app id) → counter strictly above the stored one.
 * Storing the new counter (atomically) is the caller's step; see stored-keys.ts.
 */
export function verifyAppleAssertion(input: AppleAssertionInput, key: AssertionKey): VerifiedAssertion {
  if (input.assertion.length > MAX_ASSERTION_BYTES)
    throw malformed(`${input.assertion.length} bytes, at most ${MAX_ASSERTION_BYTES} accepted`);
  const object = decodeCbor(input.assertion, ASSERTION_MALFORMED, 'assertion');
  if (!(object instanceof Map) || object.size !== 2) throw malformed('not a map of signature and authenticatorData');
  const signature: unknown = object.get('signature');
  const authenticatorData: unknown = object.get('authenticatorData');
  if (!(signature instanceof Uint8Array) || !(authenticatorData instanceof Uint8Array))
    throw malformed('signature or authenticatorData is not a byte string');
  const authData = parseAuthenticatorData(authenticatorData, ASSERTION_MALFORMED);

  const nonce = sha256(Buffer.concat([authenticatorData, sha256(input.clientData)]));
  if (!verifySignature(ECDSA_WITH_SHA256, nonce, signature, key.publicKey)) {
    throw trustError('ASSERTION_SIGNATURE_INVALID', 'The assertion is not signed by the attested key.');
  }
  if (!rpIdHash(key.appId).equals(authData.rpIdHash)) {
    throw trustError('APP_ID_MISMATCH', 'The assertion was made for another app.', {
      detail: `expected app id ${key.appId}`,
    });
  }
  if (authData.counter <= key.counter) {
    throw trustError(
      'COUNTER_NOT_INCREASING',
      'The assertion counter did not increase: a replayed or cloned assertion.',
      {
        detail: `counter ${authData.counter}, last accepted ${key.counter}`,
      },
    );
  }
  return { counter: authData.counter, appId: key.appId };
}
