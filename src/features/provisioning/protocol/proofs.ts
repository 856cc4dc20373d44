import { createHash, type KeyObject, timingSafeEqual } from 'node:crypto';
import { decodeCbor } from '../../../attestation/cbor.js';
import { COSE_ES256, type CoseSign1, verifyCoseSign1 } from '../../../crypto/cose/sign1.js';
import { contentError, trustError } from '../../../errors.js';
import { DataReader, type DocumentData, nameSpacesDiffer, profilesDiffer } from './data.js';

/**
 * The three proofs a device signs with its CredentialKey (PROTOCOLS.md §7), each an untagged
 * COSE_Sign1, ES256, whose attached payload is:
 *
 *   ProofOfProvisioning = ["ProofOfProvisioning", docType, [* AccessControlProfile], NameSpaces, testCredential]
 *   ProofOfOwnership    = ["ProofOfOwnership", docType, challenge, testCredential]
 *   ProofOfDeletion     = ["ProofOfDeletion", docType, challenge, testCredential]
 *                       / ["ProofOfDeletion", docType, testCredential]      (older devices)
 *
 * Each is verified as the steps go: alg is ES256 → the signature verifies with the CredentialKey
 * over the exact protected header and payload bytes received → the payload is the proof's array →
 * its docType, challenge or data equal what Keyward sent → testCredential is false unless test
 * credentials are allowed. Nothing of the payload is believed before the signature is checked.
 */

export interface ProofOptions {
  /** Accept proofs with testCredential true (default false: a test credential is not a real document). */
  allowTestCredential?: boolean;
}

export interface DeletionProofOptions extends ProofOptions {
  /**
   * Refuse a ProofOfDeletion whose challenge is empty or absent (default false). The deployed
   * Android app signs an empty challenge and older devices none at all; accepting that is safe
   * only because the same session already verified a ProofOfOwnership over a fresh challenge with
   * the same CredentialKey. A non-empty challenge must always equal the one sent.
   */
  requireDeletionChallenge?: boolean;
}

export interface VerifiedProofOfProvisioning {
  /** The payload exactly as received: what the system of record stores and ProofOfBinding hashes. */
  payload: Uint8Array;
  /** SHA-256 of `payload`: the value every auth-key certificate's ProofOfBinding must carry. */
  payloadSha256: Buffer;
  testCredential: boolean;
}

export interface VerifiedProof {
  payload: Uint8Array;
  testCredential: boolean;
}

/** Nesting bound of a proof payload: document values (driving privileges with codes) nest deep inside namespaces. */
const PROOF_MAX_DEPTH = 24;

const ES256 = COSE_ES256;

/** SHA-256 of a ProofOfProvisioning payload's exact bytes (ProofOfBinding's hash). */
export const proofOfProvisioningHash = (payload: Uint8Array): Buffer => createHash('sha256').update(payload).digest();

/** Verifies ProofOfProvisioning against the document Keyward sent in this session. */
export function verifyProofOfProvisioning(
  proof: CoseSign1,
  credentialKey: KeyObject,
  sent: DocumentData,
  options: ProofOptions = {},
): VerifiedProofOfProvisioning {
  const payload = signedPayload(proof, credentialKey, 'ProofOfProvisioning');
  const reader = new DataReader('PROVISIONING_MALFORMED_PROOF', 'ProofOfProvisioning');
  const items = proofArray(reader, payload, 'ProofOfProvisioning', [5]);
  assertDocType(reader.text(items[1], 'docType'), sent.docType, 'ProofOfProvisioning');
  const profiles = reader.profiles(items[2]);
  const nameSpaces = reader.nameSpaces(items[3]);
  const difference =
    profilesDiffer(sent.accessControlProfiles, profiles) ?? nameSpacesDiffer(sent.nameSpaces, nameSpaces);
  if (difference) {
    throw trustError('PROVISIONING_PROOF_DATA_MISMATCH', 'The ProofOfProvisioning is not over the data sent.', {
      detail: difference,
    });
  }
  const testCredential = assertTestCredential(reader.boolean(items[4], 'testCredential'), options);
  return { payload, payloadSha256: proofOfProvisioningHash(payload), testCredential };
}

/** Verifies ProofOfOwnership over the challenge Keyward sent in this session. */
export function verifyProofOfOwnership(
  proof: CoseSign1,
  credentialKey: KeyObject,
  sent: { docType: string; challenge: Uint8Array },
  options: ProofOptions = {},
): VerifiedProof {
  const payload = signedPayload(proof, credentialKey, 'ProofOfOwnership');
  const reader = new DataReader('PROVISIONING_MALFORMED_PROOF', 'ProofOfOwnership');
  const items = proofArray(reader, payload, 'ProofOfOwnership', [4]);
  assertDocType(reader.text(items[1], 'docType'), sent.docType, 'ProofOfOwnership');
  assertChallenge(reader.bytes(items[2], 'challenge'), sent.challenge, 'ProofOfOwnership');
  return { payload, testCredential: assertTestCredential(reader.boolean(items[3], 'testCredential'), options) };
}

/**
 * Verifies ProofOfDeletion: over the challenge Keyward sent in DeleteCredentialReadyForDeletion,
 * or (unless `requireDeletionChallenge`) an empty or absent one, see DeletionProofOptions.
 */
export function verifyProofOfDeletion(
  proof: CoseSign1,
  credentialKey: KeyObject,
  sent: { docType: string; challenge: Uint8Array },
  options: DeletionProofOptions = {},
): VerifiedProof {
  const payload = signedPayload(proof, credentialKey, 'ProofOfDeletion');
  const reader = new DataReader('PROVISIONING_MALFORMED_PROOF', 'ProofOfDeletion');
  const items = proofArray(reader, payload, 'ProofOfDeletion', [3, 4]);
  assertDocType(reader.text(items[1], 'docType'), sent.docType, 'ProofOfDeletion');
  const challenge = items.length === 4 ? reader.bytes(items[2], 'challenge') : new Uint8Array(0);
  if (challenge.length > 0 || options.requireDeletionChallenge) {
    assertChallenge(challenge, sent.challenge, 'ProofOfDeletion');
  }
  return { payload, testCredential: assertTestCredential(reader.boolean(items.at(-1), 'testCredential'), options) };
}

/** ES256, and the signature verifies with `credentialKey`: then the attached payload. */
function signedPayload(proof: CoseSign1, credentialKey: KeyObject, what: string): Uint8Array {
  if (proof.alg !== ES256) {
    throw contentError('PROVISIONING_PROOF_ALGORITHM', `The ${what} is not signed with ES256.`, {
      detail: `${what} alg ${String(proof.alg)}`,
    });
  }
  if (proof.payload === null) {
    throw contentError('PROVISIONING_MALFORMED_PROOF', `The ${what} is malformed.`, { detail: 'detached payload' });
  }
  if (!verifyCoseSign1(proof, credentialKey)) {
    throw trustError('PROVISIONING_PROOF_SIGNATURE_INVALID', `The ${what} signature is not valid.`, {
      detail: `${what} does not verify with the session's CredentialKey`,
    });
  }
  return proof.payload;
}

/** The payload decoded as the proof's array: its label first, one of `lengths` items. */
function proofArray(reader: DataReader, payload: Uint8Array, label: string, lengths: readonly number[]): unknown[] {
  const plain = new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength);
  const items = reader.array(decodeCbor(plain, 'PROVISIONING_MALFORMED_PROOF', label, PROOF_MAX_DEPTH), label);
  if (items[0] !== label) throw reader.fail(`first element is ${JSON.stringify(items[0])}, expected "${label}"`);
  if (!lengths.includes(items.length)) throw reader.fail(`${items.length} elements, expected ${lengths.join(' or ')}`);
  return items;
}

function assertDocType(stated: string, sent: string, what: string): void {
  if (stated !== sent) {
    throw trustError('PROVISIONING_PROOF_DOCTYPE_MISMATCH', `The ${what} is for another document type.`, {
      detail: `${what} docType ${JSON.stringify(stated.slice(0, 100))}, sent ${JSON.stringify(sent)}`,
    });
  }
}

function assertChallenge(stated: Uint8Array, sent: Uint8Array, what: string): void {
  if (stated.length !== sent.length || !timingSafeEqual(stated, sent)) {
    throw trustError('PROVISIONING_PROOF_CHALLENGE_MISMATCH', `The ${what} is not over this session's challenge.`, {
      detail: `${what} challenge of ${stated.length} bytes differs from the one sent`,
    });
  }
}

function assertTestCredential(testCredential: boolean, options: ProofOptions): boolean {
  if (testCredential && !options.allowTestCredential) {
    throw trustError('PROVISIONING_TEST_CREDENTIAL', 'Test credentials are not accepted.');
  }
  return testCredential;
}
