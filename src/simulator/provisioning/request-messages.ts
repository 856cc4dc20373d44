import type { KeyObject } from 'node:crypto';
import { RawCbor } from '../../features/provisioning/issuer/canonical-cbor.js';
import { REQUEST } from '../../features/provisioning/protocol/message-types.js';
import { publicKeyToCoseKey } from '../../crypto/cose/cose-key.js';
import { encodeInOrder } from './wire.js';

/**
 * The requests of PROTOCOLS.md §7 in the shapes the deployed Android holder app sends them:
 * messageType first, then eSessionId (text) on every message after a flow's first, then the
 * message's fields; proofs embedded as COSE_Sign1 arrays (their signed bytes written unchanged),
 * credentialKey as an EC2 COSE_Key map, authKeyCerts as an array of bstr (or, as older apps did,
 * one bstr holding that array's encoding).
 */

const message = (messageType: string, sessionId: string | undefined, fields: [string, unknown][] = []) =>
  encodeInOrder(
    new Map<string, unknown>([
      ['messageType', messageType],
      ...(sessionId === undefined ? [] : [['eSessionId', sessionId] as [string, unknown]]),
      ...fields,
    ]),
  );

/** A signed COSE_Sign1, embedded as the array it encodes. */
const embedded = (coseSign1: Uint8Array) => new RawCbor(coseSign1);

export const startProvisioning = (provisioningCode: string) =>
  message(REQUEST.startProvisioning, undefined, [['provisioningCode', provisioningCode]]);

export const androidStartProvisioning = (sessionId: string) => message(REQUEST.androidStartProvisioning, sessionId);

/** credentialKeyCertificateChain: one bstr of the DER certificates back to back, leaf first. */
export const setCertificateChain = (sessionId: string, chain: readonly Uint8Array[]) =>
  message(REQUEST.setCertificateChain, sessionId, [
    ['credentialKeyCertificateChain', new Uint8Array(Buffer.concat(chain.map((der) => Buffer.from(der))))],
  ]);

export const setProofOfProvisioning = (sessionId: string, proof: Uint8Array) =>
  message(REQUEST.setProofOfProvisioning, sessionId, [['proofOfProvisioningSignature', embedded(proof)]]);

export const certifyAuthKeys = (credentialKey: KeyObject) =>
  message(REQUEST.certifyAuthKeys, undefined, [['credentialKey', publicKeyToCoseKey(credentialKey)]]);

export const certifyProveOwnershipResponse = (sessionId: string, proof: Uint8Array) =>
  message(REQUEST.certifyProveOwnershipResponse, sessionId, [['proofOfOwnershipSignature', embedded(proof)]]);

export type AuthKeyCertsForm = 'array' | 'bstr';

export const certifySendCerts = (sessionId: string, certificates: readonly Uint8Array[], form: AuthKeyCertsForm) => {
  const list = certificates.map((der) => new Uint8Array(der));
  return message(REQUEST.certifySendCerts, sessionId, [['authKeyCerts', form === 'bstr' ? encodeInOrder(list) : list]]);
};

export const requestEndSession = (sessionId: string) => message(REQUEST.requestEndSession, sessionId);

export const updateCredential = (credentialKey: KeyObject) =>
  message(REQUEST.updateCredential, undefined, [['credentialKey', publicKeyToCoseKey(credentialKey)]]);

export const updateProveOwnershipResponse = (sessionId: string, proof: Uint8Array) =>
  message(REQUEST.updateProveOwnershipResponse, sessionId, [['proofOfOwnershipSignature', embedded(proof)]]);

export const updateGetDataToUpdate = (sessionId: string) => message(REQUEST.updateGetDataToUpdate, sessionId);

export const updateSetProofOfProvisioning = (sessionId: string, proof: Uint8Array) =>
  message(REQUEST.updateSetProofOfProvisioning, sessionId, [['proofOfProvisioningSignature', embedded(proof)]]);

export const deleteCredential = (credentialKey: KeyObject) =>
  message(REQUEST.deleteCredential, undefined, [['credentialKey', publicKeyToCoseKey(credentialKey)]]);

export const deleteProveOwnershipResponse = (sessionId: string, proof: Uint8Array) =>
  message(REQUEST.deleteProveOwnershipResponse, sessionId, [['proofOfOwnershipSignature', embedded(proof)]]);

export const deleteDeleted = (sessionId: string, proof: Uint8Array) =>
  message(REQUEST.deleteDeleted, sessionId, [['proofOfDeletionSignature', embedded(proof)]]);
