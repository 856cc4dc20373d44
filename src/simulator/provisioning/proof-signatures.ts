import type { KeyObject } from 'node:crypto';
import { signCoseSign1 } from '../../crypto/cose/sign1.js';
import { encodeInOrder } from './wire.js';

/**
 * The three proofs the Identity Credential HAL signs with a credential's CredentialKey
 * (PROTOCOLS.md §7): untagged COSE_Sign1, ES256, protected {1: -7}, empty unprotected header,
 * payload attached. The HAL builds payloads with an insertion-ordered CBOR builder, so they are
 * encoded in the order written; the exact payload bytes are what ProofOfBinding later hashes.
 */

/** The document as the holder received it: profiles and namespaces as CBOR maps. */
export interface ProvisionedData {
  /** AccessControlProfile maps as the HAL restates them (only the fields that say something). */
  accessControlProfiles: Map<string, unknown>[];
  /** namespace → [{"name", "value", "accessControlProfiles"}]. */
  nameSpaces: Map<string, Map<string, unknown>[]>;
}

export const proofOfProvisioningPayload = (docType: string, data: ProvisionedData, testCredential = false) =>
  encodeInOrder(['ProofOfProvisioning', docType, data.accessControlProfiles, data.nameSpaces, testCredential]);

export const proofOfOwnershipPayload = (docType: string, challenge: Uint8Array, testCredential = false) =>
  encodeInOrder(['ProofOfOwnership', docType, challenge, testCredential]);

/** ProofOfDeletion; without a challenge, the older three-element form. */
export const proofOfDeletionPayload = (docType: string, challenge: Uint8Array | undefined, testCredential = false) =>
  encodeInOrder(
    challenge === undefined
      ? ['ProofOfDeletion', docType, testCredential]
      : ['ProofOfDeletion', docType, challenge, testCredential],
  );

/** The COSE_Sign1 of a proof, signed ES256 with `credentialKey` (a P-256 private key). */
export const signProof = (payload: Uint8Array, credentialKey: KeyObject): Uint8Array =>
  signCoseSign1({ payload, key: credentialKey });
