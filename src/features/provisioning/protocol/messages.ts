import type { KeyObject } from 'node:crypto';
import { Tag } from 'cbor2';
import { decodeCbor } from '../../../attestation/cbor.js';
import { coseKeyToPublicKey } from '../../../crypto/cose/cose-key.js';
import { type CoseSign1, coseSign1FromCbor } from '../../../crypto/cose/sign1.js';
import { DerReader, TagClass, UNIVERSAL } from '../../../crypto/asn1/der.js';
import { contentError, isKeywardError, type ErrorCode } from '../../../errors.js';
import { REQUEST, REQUEST_ALIASES, type RequestType } from './message-types.js';

/**
 * Strict readers of the requests of PROTOCOLS.md §7, in the shapes the deployed Android holder
 * app sends them. Each message is a CBOR map of text keys: messageType, eSessionId on every
 * message after a flow's first, and the message's own fields; nothing else. Where the seed
 * protocol document and the app differ, the app wins:
 *
 * - eSessionId is a text string (the seed types it bstr). Keyward issues text session ids, so a
 *   byte string can only echo an id Keyward never gave out: it is refused as mistyped.
 * - RequestEndSession (the seed's RequestEndMessage is read as the same message).
 * - authKeyCerts is an array of bstr, or (older apps) one bstr holding the CBOR encoding of that
 *   array.
 * - Proofs (…Signature fields) are COSE_Sign1 arrays embedded in the message (the app), or one
 *   bstr holding an encoded COSE_Sign1 (the reference server's own tests). Either way the parts
 *   that are signed (the protected header and payload bstr) are the exact bytes received.
 *
 * Failures, each its own code: PROVISIONING_MESSAGE_TOO_LARGE, PROVISIONING_MALFORMED_CBOR,
 * PROVISIONING_NOT_A_MESSAGE, PROVISIONING_UNKNOWN_MESSAGE_TYPE, PROVISIONING_MISSING_FIELD,
 * PROVISIONING_FIELD_TYPE, PROVISIONING_UNKNOWN_FIELD, and for structured fields
 * PROVISIONING_MALFORMED_CERTIFICATE_CHAIN, PROVISIONING_MALFORMED_COSE_KEY,
 * PROVISIONING_MALFORMED_AUTH_KEY_CERTS, PROVISIONING_TOO_MANY_AUTH_KEYS, PROVISIONING_MALFORMED_PROOF.
 */

export interface MessageLimits {
  /** Largest request body, bytes. */
  maxBytes: number;
  /** CBOR nesting bound of a request (cbor2's counting: map entries one level, array items two). */
  maxDepth: number;
  /** Most certificates in credentialKeyCertificateChain. */
  maxChainLength: number;
  /** Most auth-key certificates in one CertifyAuthKeysSendCerts (the per-request quota). */
  maxAuthKeys: number;
}

/**
 * Defaults: 512 KiB holds a ProofOfProvisioning with a large portrait or a hundred auth-key
 * certificates; depth 8 is what the deepest message needs (a proof's unprotected header inside
 * the message map); Android chains have four to six certificates.
 */
export const DEFAULT_MESSAGE_LIMITS: MessageLimits = {
  maxBytes: 512 * 1024,
  maxDepth: 8,
  maxChainLength: 10,
  maxAuthKeys: 100,
};

/** Longest provisioning code and session id accepted (both are short tokens). */
const MAX_TOKEN_LENGTH = 256;

export type RequestMessage =
  | { type: typeof REQUEST.startProvisioning; provisioningCode: string }
  | { type: typeof REQUEST.androidStartProvisioning; sessionId: string }
  | { type: typeof REQUEST.setCertificateChain; sessionId: string; credentialKeyCertificateChain: Uint8Array[] }
  | { type: typeof REQUEST.setProofOfProvisioning; sessionId: string; proofOfProvisioning: CoseSign1 }
  | { type: typeof REQUEST.certifyAuthKeys; credentialKey: KeyObject }
  | { type: typeof REQUEST.certifyProveOwnershipResponse; sessionId: string; proofOfOwnership: CoseSign1 }
  | { type: typeof REQUEST.certifySendCerts; sessionId: string; authKeyCerts: Uint8Array[] }
  | { type: typeof REQUEST.requestEndSession; sessionId: string }
  | { type: typeof REQUEST.updateCredential; credentialKey: KeyObject }
  | { type: typeof REQUEST.updateProveOwnershipResponse; sessionId: string; proofOfOwnership: CoseSign1 }
  | { type: typeof REQUEST.updateGetDataToUpdate; sessionId: string }
  | { type: typeof REQUEST.updateSetProofOfProvisioning; sessionId: string; proofOfProvisioning: CoseSign1 }
  | { type: typeof REQUEST.deleteCredential; credentialKey: KeyObject }
  | { type: typeof REQUEST.deleteProveOwnershipResponse; sessionId: string; proofOfOwnership: CoseSign1 }
  | { type: typeof REQUEST.deleteDeleted; sessionId: string; proofOfDeletion: CoseSign1 };

/** The message of `type`. */
export type RequestOf<T extends RequestType> = Extract<RequestMessage, { type: T }>;

/** What each field is read as. */
type FieldKind = 'sessionId' | 'provisioningCode' | 'certificateChain' | 'coseKey' | 'proof' | 'authKeyCerts';

/** Each request's fields (besides messageType) and the name it is returned under. */
const FIELDS: Readonly<Record<RequestType, readonly { wire: string; kind: FieldKind; as: string }[]>> = (() => {
  const sessionId = { wire: 'eSessionId', kind: 'sessionId', as: 'sessionId' } as const;
  const credentialKey = { wire: 'credentialKey', kind: 'coseKey', as: 'credentialKey' } as const;
  const proof = (wire: string, as: string) => ({ wire, kind: 'proof', as }) as const;
  const pop = proof('proofOfProvisioningSignature', 'proofOfProvisioning');
  const poo = proof('proofOfOwnershipSignature', 'proofOfOwnership');
  return {
    [REQUEST.startProvisioning]: [{ wire: 'provisioningCode', kind: 'provisioningCode', as: 'provisioningCode' }],
    [REQUEST.androidStartProvisioning]: [sessionId],
    [REQUEST.setCertificateChain]: [
      sessionId,
      { wire: 'credentialKeyCertificateChain', kind: 'certificateChain', as: 'credentialKeyCertificateChain' },
    ],
    [REQUEST.setProofOfProvisioning]: [sessionId, pop],
    [REQUEST.certifyAuthKeys]: [credentialKey],
    [REQUEST.certifyProveOwnershipResponse]: [sessionId, poo],
    [REQUEST.certifySendCerts]: [sessionId, { wire: 'authKeyCerts', kind: 'authKeyCerts', as: 'authKeyCerts' }],
    [REQUEST.requestEndSession]: [sessionId],
    [REQUEST.updateCredential]: [credentialKey],
    [REQUEST.updateProveOwnershipResponse]: [sessionId, poo],
    [REQUEST.updateGetDataToUpdate]: [sessionId],
    [REQUEST.updateSetProofOfProvisioning]: [sessionId, pop],
    [REQUEST.deleteCredential]: [credentialKey],
    [REQUEST.deleteProveOwnershipResponse]: [sessionId, poo],
    [REQUEST.deleteDeleted]: [sessionId, proof('proofOfDeletionSignature', 'proofOfDeletion')],
  };
})();

const REQUEST_TYPES = new Set<string>(Object.values(REQUEST));

/** A view of `bytes` as a plain Uint8Array, so decoded byte strings are plain views too. */
const plain = (bytes: Uint8Array) =>
  bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Reads one /mdlServer request body, in order: size → one CBOR item → a map with a text
 * messageType → a known request type → exactly that type's fields, each of its type.
 */
export function readRequestMessage(body: Uint8Array, limits: Partial<MessageLimits> = {}): RequestMessage {
  const bounds = { ...DEFAULT_MESSAGE_LIMITS, ...limits };
  if (body.length === 0 || body.length > bounds.maxBytes) {
    throw contentError('PROVISIONING_MESSAGE_TOO_LARGE', 'The request body is empty or too large.', {
      detail: `${body.length} bytes, limit ${bounds.maxBytes}`,
    });
  }
  const value = decodeCbor(plain(body), 'PROVISIONING_MALFORMED_CBOR', 'request body', bounds.maxDepth);
  if (!(value instanceof Map)) throw notAMessage('the body is not a CBOR map');
  const messageType = value.get('messageType');
  if (typeof messageType !== 'string') throw notAMessage('messageType is absent or not a text string');
  const type = REQUEST_ALIASES[messageType] ?? messageType;
  if (!REQUEST_TYPES.has(type)) {
    throw contentError('PROVISIONING_UNKNOWN_MESSAGE_TYPE', 'The message type is unknown.', {
      detail: `messageType ${JSON.stringify(messageType.slice(0, 100))}`,
    });
  }
  const fields = FIELDS[type as RequestType];
  for (const key of value.keys()) {
    if (key !== 'messageType' && !fields.some((field) => field.wire === key)) {
      throw contentError('PROVISIONING_UNKNOWN_FIELD', 'The message carries an unexpected field.', {
        detail: `${type}: field ${JSON.stringify(String(key).slice(0, 100))}`,
      });
    }
  }
  const message: Record<string, unknown> = { type };
  for (const field of fields) {
    if (!value.has(field.wire)) {
      throw contentError('PROVISIONING_MISSING_FIELD', 'The message lacks a required field.', {
        detail: `${type}: no ${field.wire}`,
      });
    }
    message[field.as] = readField(field.kind, field.wire, value.get(field.wire), bounds);
  }
  return message as RequestMessage;
}

const notAMessage = (detail: string) =>
  contentError('PROVISIONING_NOT_A_MESSAGE', 'The request is not a provisioning message.', { detail });

const mistyped = (field: string, detail: string) =>
  contentError('PROVISIONING_FIELD_TYPE', 'A message field has the wrong type.', { detail: `${field}: ${detail}` });

function readField(kind: FieldKind, wire: string, value: unknown, limits: MessageLimits): unknown {
  switch (kind) {
    case 'sessionId':
    case 'provisioningCode':
      if (typeof value !== 'string') throw mistyped(wire, 'not a text string');
      if (value.length === 0 || value.length > MAX_TOKEN_LENGTH) throw mistyped(wire, `length ${value.length}`);
      return value;
    case 'certificateChain':
      if (!(value instanceof Uint8Array)) throw mistyped(wire, 'not a byte string');
      return splitCertificates(value, limits.maxChainLength);
    case 'coseKey':
      if (!(value instanceof Map)) throw mistyped(wire, 'not a map');
      return readCredentialKey(value);
    case 'proof':
      return readProof(wire, value, limits.maxDepth);
    case 'authKeyCerts':
      return readAuthKeyCerts(value, limits);
  }
}

/** Concatenated DER certificates, leaf first: each a SEQUENCE, back to back, nothing else. */
export function splitCertificates(bytes: Uint8Array, maxCount: number): Uint8Array[] {
  const code: ErrorCode = 'PROVISIONING_MALFORMED_CERTIFICATE_CHAIN';
  const reader = new DerReader(bytes, code);
  const certificates: Uint8Array[] = [];
  while (!reader.done) {
    certificates.push(reader.expect(TagClass.Universal, UNIVERSAL.SEQUENCE, 'certificate').bytes);
    if (certificates.length > maxCount) {
      throw contentError(code, 'The certificate chain is malformed.', { detail: `more than ${maxCount} certificates` });
    }
  }
  if (certificates.length === 0) {
    throw contentError(code, 'The certificate chain is malformed.', { detail: 'no certificate' });
  }
  return certificates;
}

/** credentialKey: an EC2 P-256 COSE_Key (CredentialKey signs ES256). */
function readCredentialKey(map: Map<unknown, unknown>): KeyObject {
  let key: KeyObject;
  try {
    key = coseKeyToPublicKey(map);
  } catch (error) {
    if (!isKeywardError(error)) throw error;
    throw contentError('PROVISIONING_MALFORMED_COSE_KEY', 'credentialKey is not a valid COSE_Key.', {
      ...(error.detail ? { detail: error.detail } : {}),
      cause: error,
    });
  }
  if (key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw contentError('PROVISIONING_MALFORMED_COSE_KEY', 'credentialKey is not a valid COSE_Key.', {
      detail: `curve ${String(key.asymmetricKeyDetails?.namedCurve)}, expected P-256`,
    });
  }
  return key;
}

/**
 * A proof: an untagged COSE_Sign1 embedded as an array, or one bstr holding its encoding, with
 * an attached payload (the proof's CBOR).
 */
function readProof(wire: string, value: unknown, maxDepth: number): CoseSign1 {
  const malformed = (detail: string, cause?: unknown) =>
    contentError('PROVISIONING_MALFORMED_PROOF', 'The proof is not a valid COSE_Sign1.', {
      detail: `${wire}: ${detail}`,
      ...(cause ? { cause } : {}),
    });
  let structure = value;
  if (value instanceof Uint8Array) {
    structure = decodeCbor(plain(value), 'PROVISIONING_MALFORMED_PROOF', 'proof', maxDepth);
  } else if (!Array.isArray(value)) {
    throw mistyped(wire, 'neither a COSE_Sign1 array nor a byte string');
  }
  if (structure instanceof Tag) throw malformed('tagged COSE_Sign1 (proofs are untagged)');
  let proof: CoseSign1;
  try {
    proof = coseSign1FromCbor(structure);
  } catch (error) {
    if (!isKeywardError(error)) throw error;
    throw malformed(error.detail ?? error.message, error);
  }
  if (proof.payload === null) throw malformed('detached payload');
  return proof;
}

/**
 * authKeyCerts: an array of bstr (the current app), or one bstr holding the CBOR encoding of
 * such an array (older apps); one to `maxAuthKeys` certificates.
 */
function readAuthKeyCerts(value: unknown, limits: MessageLimits): Uint8Array[] {
  const code: ErrorCode = 'PROVISIONING_MALFORMED_AUTH_KEY_CERTS';
  const malformed = (detail: string) => contentError(code, 'authKeyCerts is malformed.', { detail });
  let list = value;
  if (value instanceof Uint8Array) {
    // Each certificate is one level below the array: depth 2 bounds the nested encoding.
    list = decodeCbor(plain(value), code, 'authKeyCerts', 2);
  }
  if (!Array.isArray(list)) throw malformed('neither an array nor a byte string holding one');
  if (list.length === 0) throw malformed('no certificate');
  if (list.length > limits.maxAuthKeys) {
    throw contentError('PROVISIONING_TOO_MANY_AUTH_KEYS', 'Too many auth keys in one request.', {
      detail: `${list.length} auth keys, limit ${limits.maxAuthKeys}`,
    });
  }
  list.forEach((certificate, index) => {
    if (!(certificate instanceof Uint8Array) || certificate.length === 0) {
      throw malformed(`authKeyCerts[${index}] is not a non-empty byte string`);
    }
  });
  return list as Uint8Array[];
}
