import { timingSafeEqual } from 'node:crypto';
import { BoundedCache } from '../../crypto/bounded-cache.js';
import { sha256 } from '../../crypto/keys.js';
import { contentError, trustError } from '../../errors.js';
import { parseAuthenticatorData } from './authenticator-data.js';
import { checkClientData } from './client-data.js';
import { parseCoseKey, verifyCoseSignature } from './cose-key.js';
import type { AssertionInput } from './response-json.js';
import { type AuthenticatorData, type CoseKey, FLAGS } from './types.js';

export interface AssertionExpectations {
  /** The challenge as issued (raw bytes). */
  challenge: Uint8Array;
  origins: readonly string[];
  rpId: string;
  requireUserVerification: boolean;
}

/** What the relying party stored at registration. */
export interface StoredCredential {
  /** The COSE_Key bytes from the attested credential data. */
  publicKey: Uint8Array;
  /** The signature counter of the last accepted ceremony. */
  counter: number;
  /** The BE flag at registration; when given, a change is refused (WebAuthn §7.2 step 18). */
  backupEligible?: boolean;
}

export interface AssertionResult {
  /** The authenticator's new signature counter (store it when the assertion is accepted). */
  counter: number;
  /**
   * The counter did not increase although one of the two counters is non-zero (WebAuthn §7.2
   * step 22): a possibly cloned authenticator. The caller refuses and flags the credential.
   */
  counterRegressed: boolean;
  flags: number;
  userVerified: boolean;
  backupEligible: boolean;
  backedUp: boolean;
  /** Authenticator extension outputs, when the ED flag is set. */
  extensions?: Map<unknown, unknown>;
  /** The top-level origin the client reported, if any. */
  topOrigin?: string;
}

/** Stored credential keys are imported once and reused for every sign-in with the credential. */
const credentialKeys = new BoundedCache<string, CoseKey>(8192);
const rpIdHashes = new BoundedCache<string, Buffer>(64);

function credentialKey(bytes: Uint8Array): CoseKey {
  const id = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return credentialKeys.get(id) ?? credentialKeys.set(id, parseCoseKey(bytes));
}

const rpIdHashOf = (rpId: string) => rpIdHashes.get(rpId) ?? rpIdHashes.set(rpId, sha256(Buffer.from(rpId, 'utf8')));

/**
 * A WebAuthn assertion (WebAuthn §7.2), in the specification's order: client data (type
 * webauthn.get, challenge, origin) → rpIdHash → UP, UV when required → BE/BS → signature over
 * authenticatorData ‖ SHA-256(clientDataJSON) with the stored key → counter. Which credential
 * (allowCredentials, userHandle) and storing the counter are the caller's steps.
 */
export function verifyAssertion(
  input: AssertionInput,
  expect: AssertionExpectations,
  credential: StoredCredential,
): AssertionResult {
  const clientData = checkClientData(input.clientDataJSON, {
    type: 'webauthn.get',
    challenge: expect.challenge,
    origins: expect.origins,
  });
  const authData = parseAuthenticatorData(input.authenticatorData);
  checkAuthenticatorData(authData, expect);
  const backupEligible = (authData.flags & FLAGS.BE) !== 0;
  if (credential.backupEligible !== undefined && credential.backupEligible !== backupEligible) {
    throw trustError('BACKUP_ELIGIBILITY_CHANGED', 'The credential is not the one registered.', {
      detail: `BE ${backupEligible}, at registration ${credential.backupEligible}`,
    });
  }

  const signed = Buffer.concat([input.authenticatorData, clientData.clientDataHash]);
  if (!verifyCoseSignature(credentialKey(credential.publicKey), signed, input.signature)) {
    throw trustError('CREDENTIAL_SIGNATURE_INVALID', 'The assertion is not signed by the registered credential.');
  }

  const result: AssertionResult = {
    counter: authData.counter,
    counterRegressed: (authData.counter !== 0 || credential.counter !== 0) && authData.counter <= credential.counter,
    flags: authData.flags,
    userVerified: (authData.flags & FLAGS.UV) !== 0,
    backupEligible,
    backedUp: (authData.flags & FLAGS.BS) !== 0,
  };
  if (authData.extensions) result.extensions = authData.extensions;
  if (clientData.topOrigin !== undefined) result.topOrigin = clientData.topOrigin;
  return result;
}

/** rpIdHash, UP, UV and the backup flags (WebAuthn §7.2 steps 15–19). */
function checkAuthenticatorData(authData: AuthenticatorData, expect: AssertionExpectations): void {
  const expected = rpIdHashOf(expect.rpId);
  if (!timingSafeEqual(authData.rpIdHash, expected)) {
    throw trustError('RP_ID_MISMATCH', 'The assertion was made for another relying party.', {
      detail: `expected RP ID ${expect.rpId}`,
    });
  }
  if (!(authData.flags & FLAGS.UP))
    throw trustError('USER_PRESENCE_MISSING', 'The authenticator did not confirm user presence.');
  if (expect.requireUserVerification && !(authData.flags & FLAGS.UV))
    throw trustError('USER_VERIFICATION_MISSING', 'The authenticator did not verify the user.');
  if (authData.flags & FLAGS.BS && !(authData.flags & FLAGS.BE)) {
    throw contentError('BACKUP_STATE_INVALID', 'The authenticator data is inconsistent.', {
      detail: 'BS set without BE',
    });
  }
}
